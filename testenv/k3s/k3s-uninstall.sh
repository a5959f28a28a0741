#!/bin/sh
# Test stand-in for k3s's uninstall scripts (BERTH_K3S_UNINSTALLER / BERTH_K3S_AGENT_UNINSTALLER):
# records that it ran (kind: server, or the first argument) and as which uid in
# $BERTH_TEST_K3S_RECORD_DIR, and removes $BERTH_K3S_BIN when set, as the real script removes k3s.
set -eu
: "${BERTH_TEST_K3S_RECORD_DIR:?}"
printf 'KIND %s\nUID %s\n' "${1:-server}" "$(id -u)" >"$BERTH_TEST_K3S_RECORD_DIR/uninstall-$(date +%s%N)-$$"
if [ -n "${BERTH_K3S_BIN:-}" ]; then rm -f "$BERTH_K3S_BIN"; fi
echo "test uninstaller: k3s removed"
