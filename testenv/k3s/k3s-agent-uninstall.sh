#!/bin/sh
# Test stand-in for /usr/local/bin/k3s-agent-uninstall.sh: see k3s-uninstall.sh.
exec "$(dirname "$0")/k3s-uninstall.sh" agent
