#!/bin/sh
# Test stand-in for the k3s installer (https://get.k3s.io), used through BERTH_K3S_INSTALLER.
# It stands in for k3s only at the installer boundary:
#   1. records the arguments, the K3S_*/INSTALL_K3S_* environment and the uid it ran as, one file
#      per run in $BERTH_TEST_K3S_RECORD_DIR (ARG <arg> / ENV <name>=<value> / UID <uid> lines);
#   2. registers a simulated Node (kwok makes it Ready) named by --node-name on the control plane
#      of $BERTH_TEST_KUBECONFIG with $BERTH_TEST_KUBECTL, carrying the --node-label labels, the
#      --node-taint taints, the role labels k3s puts on servers, and the taint
#      berth.test/isolated=true:NoSchedule so other tests' pods never land on it;
#   3. when BERTH_K3S_BIN is set (a local initialize), creates that file as k3s would.
# Over SSH the BERTH_TEST_* variables come from the test sshd's SetEnv.
set -eu
: "${BERTH_TEST_K3S_RECORD_DIR:?}" "${BERTH_TEST_KUBECONFIG:?}" "${BERTH_TEST_KUBECTL:?}"

record="$BERTH_TEST_K3S_RECORD_DIR/install-$(date +%s%N)-$$"
{
  for a in "$@"; do printf 'ARG %s\n' "$a"; done
  env | grep -E '^(K3S_|INSTALL_K3S_)' | sort | sed 's/^/ENV /' || true
  printf 'UID %s\n' "$(id -u)"
} >"$record.tmp"
mv "$record.tmp" "$record"

role=${1:-}
node=""
labels=""
taints="    - {key: berth.test/isolated, value: \"true\", effect: NoSchedule}
"
while [ $# -gt 0 ]; do
  case "$1" in
    --node-name) node=$2; shift ;;
    --node-label)
      labels="$labels    \"${2%%=*}\": \"${2#*=}\"
" ; shift ;;
    --node-taint)
      kv=${2%%:*}; effect=${2##*:}
      taints="$taints    - {key: \"${kv%%=*}\", value: \"${kv#*=}\", effect: $effect}
" ; shift ;;
  esac
  shift
done
[ -n "$node" ] || { echo "test installer: no --node-name given" >&2; exit 2; }
if [ "$role" = server ]; then
  labels="$labels    node-role.kubernetes.io/control-plane: \"true\"
    node-role.kubernetes.io/master: \"true\"
    node-role.kubernetes.io/etcd: \"true\"
"
fi

echo "[INFO]  test installer: registering simulated node $node ($role)"
"$BERTH_TEST_KUBECTL" --kubeconfig "$BERTH_TEST_KUBECONFIG" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $node
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
$labels
spec:
  taints:
$taints
status:
  addresses:
  - {type: InternalIP, address: 127.0.0.1}
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: v1.36.3+k3s1}
YAML

if [ -n "${BERTH_K3S_BIN:-}" ]; then
  printf '#!/bin/sh\necho "k3s version v1.36.3+k3s1 (test)"\n' >"$BERTH_K3S_BIN"
  chmod 0755 "$BERTH_K3S_BIN"
fi
echo "[INFO]  test installer: done"
