# shellcheck shell=bash
# The real node (sourced by scripts/test-cluster): containerd + kubelet + kube-proxy on this host,
# joined to the local control plane beside the kwok nodes. What each setting is for, and every
# blocker it removes, is in ../shared/guides/real-node.md. Everything it changes on the host is
# recorded before `up` (host-before) and undone by `down` (real_node_down), which then checks that
# nothing is left (verify_host_clean).

REAL_NODE=berth-real-0
NODE_BRIDGE=berth-node0      # port-less bridge holding the node IP (kubelet refuses loopback)
NODE_IP=10.250.0.1
CNI_BRIDGE=berth-cni0
POD_SUBNET=10.89.0.0/24      # away from kwok's fake pod CIDR 10.244.0.0/16
GUARD_CHAIN=BERTH-GUARD
KUBELET_PORT=$((PORT_BASE + 251))
KUBELET_HEALTHZ_PORT=$((PORT_BASE + 248))
PROXY_HEALTHZ_PORT=$((PORT_BASE + 256))
PROXY_METRICS_PORT=$((PORT_BASE + 249))
NODE_TAINT_KEY=berth.test/real-node
# sysctls kubelet sets with no opt-out, plus ip_forward (pods reaching ClusterIPs).
HOST_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward)
# Fixed paths kubelet/containerd/CNI use whatever the flags say.
HOST_PATHS=(/var/lib/kubelet /var/log/containers /var/log/pods /var/lib/cni /run/containerd)
NODE="$WORK/node"

# Why the real node cannot start here, or nothing.
real_node_blocker() {
  [ "$(id -u)" = 0 ] || { echo "it needs root (kubelet, containerd and the pod network change the host)"; return; }
  local b
  for b in /usr/sbin/runc /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/loopback /usr/lib/cni/portmap; do
    [ -x "$b" ] || { echo "$b is missing (apt-get install runc containernetworking-plugins)"; return; }
  done
  for b in iptables ip6tables conntrack ip; do
    command -v "$b" >/dev/null || { echo "$b is missing (apt-get install iptables conntrack iproute2)"; return; }
  done
  if ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
    echo "another real node runs on this machine (bridge $NODE_BRIDGE exists; one real node per machine: stop the other cluster with 'scripts/test-cluster down')"; return
  fi
}

save_host_state() {
  local s p
  : >"$WORK/host-before"
  for s in "${HOST_SYSCTLS[@]}"; do printf 'sysctl %s %s\n' "$s" "$(sysctl -n "$s")" >>"$WORK/host-before"; done
  for p in "${HOST_PATHS[@]}"; do [ -e "$p" ] && printf 'path %s\n' "$p" >>"$WORK/host-before"; done
  printf 'veths %s\n' "$(ip -o link show type veth | wc -l)" >>"$WORK/host-before"
}

node_pki() {
  local pki="$WORK/pki"
  local client="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  local server="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth"
  sign_cert kubelet "/O=system:nodes/CN=system:node:$REAL_NODE" "$client"
  sign_cert kubelet-serving "/CN=$REAL_NODE" "$server\nsubjectAltName=IP:$NODE_IP,DNS:$REAL_NODE"
  sign_cert kube-proxy "/CN=system:kube-proxy" "$client"
  write_kubeconfig "$WORK/kubelet.kubeconfig" kubelet
  write_kubeconfig "$WORK/kube-proxy.kubeconfig" kube-proxy
}

# Guard rules: no forwarded packet from or to outside the pod subnet. In mangle FORWARD, which
# kube-proxy never writes (it prepends its accepts to filter FORWARD), and after DNAT, so
# ClusterIP traffic between pods passes and egress does not.
add_guard() {
  iptables -w -t mangle -N "$GUARD_CHAIN"
  iptables -w -t mangle -A "$GUARD_CHAIN" -s "$POD_SUBNET" -d "$POD_SUBNET" -j RETURN
  iptables -w -t mangle -A "$GUARD_CHAIN" -j DROP
  iptables -w -t mangle -I FORWARD 1 -j "$GUARD_CHAIN"
  ip6tables -w -t mangle -N "$GUARD_CHAIN"
  ip6tables -w -t mangle -A "$GUARD_CHAIN" -j DROP
  ip6tables -w -t mangle -I FORWARD 1 -j "$GUARD_CHAIN"
}

remove_guard() {
  remove_chain iptables mangle "$GUARD_CHAIN"
  remove_chain ip6tables mangle "$GUARD_CHAIN"
}

# remove_chain TOOL TABLE CHAIN: deletes every jump to CHAIN (by rule number), then CHAIN.
remove_chain() {
  local t=$1 table=$2 chain=$3 parent n
  "$t" -w -t "$table" -S 2>/dev/null | grep -qx -- "-N $chain" || return 0
  for parent in $("$t" -w -t "$table" -S 2>/dev/null | awk -v c="$chain" '$1 == "-A" { for (i = 3; i <= NF; i++) if ($i == "-j" && $(i + 1) == c) print $2 }' | sort -u); do
    for n in $("$t" -w -t "$table" -L "$parent" -n --line-numbers 2>/dev/null | awk -v c="$chain" '$2 == c {print $1}' | sort -rn); do
      "$t" -w -t "$table" -D "$parent" "$n" || true
    done
  done
  "$t" -w -t "$table" -F "$chain" || true
  "$t" -w -t "$table" -X "$chain" || true
}

write_containerd_config() {
  local images; images=$(images_dir)
  mkdir -p "$NODE/containerd" "$NODE/cni/net.d" "$NODE/cni/ipam" "$NODE/certs.d"
  write_registry_hosts "$NODE/certs.d"
  cat >"$NODE/cni/net.d/10-berth.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "berth-pods",
  "plugins": [
    {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$NODE/cni/ipam", "ranges": [[{"subnet": "$POD_SUBNET"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
  cat >"$NODE/containerd/config.toml" <<TOML
version = 3
root = "$NODE/containerd/root"
state = "$NODE/containerd/state"
# These want fixed system paths and are not needed.
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.internal.v1.opt",
  "io.containerd.image-verifier.v1.bindir", "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.erofs", "io.containerd.differ.v1.erofs"]

[grpc]
  address = "$NODE/containerd/containerd.sock"
[ttrpc]
  address = "$NODE/containerd/containerd.sock.ttrpc"
[debug]
  address = ""

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$REGISTRY_HOST/pause:1"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$NODE/certs.d"

[plugins.'io.containerd.cri.v1.runtime']
  # CAP_SYS_RESOURCE is not in this VM's bounding set: negative oom scores are refused.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$NODE/cni/net.d"

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
TOML
}

write_kubelet_config() {
  local pki="$WORK/pki"
  mkdir -p "$NODE/kubelet" "$NODE/pod-logs"
  cat >"$NODE/kubelet-config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This VM has cgroup v1 hierarchies.
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$NODE/containerd/containerd.sock
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
podLogsDir: $NODE/pod-logs
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: Webhook
registerWithTaints:
- {key: $NODE_TAINT_KEY, value: "true", effect: NoSchedule}
serializeImagePulls: false
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 60
clusterDomain: cluster.local
# No DNS server runs (pods cannot leave the machine anyway); naming one keeps the kubelet from
# warning "MissingClusterDNS" on every pod, which would drown the evidence berth shows.
clusterDNS: ["10.96.0.10"]
YAML
}

write_kube_proxy_config() {
  cat >"$NODE/kube-proxy-config.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
bindAddress: $NODE_IP
hostnameOverride: $REAL_NODE
clusterCIDR: $POD_SUBNET
clientConnection:
  kubeconfig: $WORK/kube-proxy.kubeconfig
nodePortAddresses: ["$NODE_IP/32"]
iptables:
  localhostNodePorts: false
# 0 leaves the host's conntrack sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
oomScoreAdj: 0
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
YAML
}

real_node_up() {
  save_host_state
  node_pki
  ip link add "$NODE_BRIDGE" type bridge
  ip addr add "$NODE_IP/32" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  add_guard
  sysctl -qw net.ipv4.ip_forward=1
  write_containerd_config
  write_kubelet_config
  write_kube_proxy_config
  local nb; nb=$(node_bin_dir)
  start_component_env containerd "PATH=$nb:$PATH" "$nb/containerd" --config "$NODE/containerd/config.toml" --log-level warn
  wait_ready containerd 30 "its socket" "$nb/ctr" --address "$NODE/containerd/containerd.sock" version
  start_component kubelet "$BIN/kubelet" --config="$NODE/kubelet-config.yaml" \
    --kubeconfig="$WORK/kubelet.kubeconfig" --root-dir="$NODE/kubelet" --cert-dir="$NODE/kubelet/pki" \
    --hostname-override="$REAL_NODE" --node-ip="$NODE_IP" --node-labels="$NODE_TAINT_KEY=true" --v=1
  wait_ready kubelet 90 "node $REAL_NODE Ready" kctl wait --for=condition=Ready "node/$REAL_NODE" --timeout=2s
  start_component kube-proxy "$BIN/kube-proxy" --config="$NODE/kube-proxy-config.yaml" --v=1
  wait_ready kube-proxy 60 "healthz" curl -fsS "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
  # The guard must stay first: kube-proxy only writes filter and nat, never mangle FORWARD.
  [ "$(iptables -w -t mangle -S FORWARD | sed -n 2p)" = "-A FORWARD -j $GUARD_CHAIN" ] \
    || die "guard rule $GUARD_CHAIN is not first in mangle FORWARD"
}

# namespace NAME whose pods run on the real node, through the API server's PodNodeSelector and
# PodTolerationRestriction admission plugins: berth renders nothing different.
real_namespace() {
  local ns=$1
  kctl get "node/$REAL_NODE" >/dev/null 2>&1 || die "no real node in this cluster (started without root or with --no-real-node)"
  kctl create namespace "$ns" --dry-run=client -o yaml | kctl apply -f - >/dev/null
  kctl annotate --overwrite namespace "$ns" \
    "scheduler.alpha.kubernetes.io/node-selector=$NODE_TAINT_KEY=true" \
    "scheduler.alpha.kubernetes.io/defaultTolerations=[{\"key\":\"$NODE_TAINT_KEY\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]" >/dev/null
  echo "namespace $ns: pods are scheduled onto $REAL_NODE"
}

# Deletes the real node's pods and lets kubelet stop their sandboxes (CNI teardown included).
drain_real_node() {
  kctl get "node/$REAL_NODE" >/dev/null 2>&1 || return 0
  kctl delete pods --all-namespaces --field-selector "spec.nodeName=$REAL_NODE" --grace-period=1 \
    --timeout=60s --wait=true >/dev/null 2>&1 || say "some pods of $REAL_NODE did not go within 60s"
  local nb deadline=$((SECONDS + 30))
  nb=$(node_bin_dir)
  # Pod sandboxes are stopped asynchronously after the pod objects are gone.
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$nb/ctr" --address "$NODE/containerd/containerd.sock" -n k8s.io tasks ls 2>/dev/null | grep -q RUNNING || break
    sleep 0.5
  done
}

kill_cgroup_processes() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$d" ] || continue
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | xargs -r kill -KILL 2>/dev/null || true
  done
}

remove_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$d" ] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

# Stops whatever is left of the real node and undoes its host changes, in the order that leaves
# nothing: pods → kube-proxy/kubelet/containerd (by the recorded PIDs, in stop_recorded) → shims →
# kube-proxy --cleanup → mounts → chains and guard → sysctls → bridges → cgroups → fixed paths.
real_node_down() {
  [ -f "$WORK/host-before" ] || return 0
  local nb; nb=$(node_bin_dir)
  # containerd shims outlive containerd: stop them by their binary (ours, never by name).
  local pid
  for pid in $(pgrep -f "$nb/containerd-shim-runc-v2" 2>/dev/null); do
    is_ours "$pid" "$nb/containerd-shim-runc-v2" && kill -KILL "$pid" 2>/dev/null
  done
  kill_cgroup_processes
  [ -x "$BIN/kube-proxy" ] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  local m
  findmnt -rn -o TARGET | awk -v w="$WORK/" 'index($0, w) == 1' | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  local t table chain
  for t in iptables ip6tables; do
    for table in filter nat mangle; do
      for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT KUBE-PROXY-CANARY; do
        remove_chain "$t" "$table" "$chain"
      done
    done
  done
  remove_guard
  local key s value p
  while read -r key s value; do
    [ "$key" = sysctl ] && sysctl -qw "$s=$value"
  done <"$WORK/host-before"
  ip link del "$CNI_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  remove_cgroups
  for p in "${HOST_PATHS[@]}"; do
    grep -qx "path $p" "$WORK/host-before" && continue
    rm -rf "$p"
  done
  grep -qx "path /var/lib/kubelet" "$WORK/host-before" && rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  grep -qx "path /run/containerd" "$WORK/host-before" && rm -rf /run/containerd/s /run/containerd/fifo
  return 0
}

# Prints one line per thing the real node left on the host; nothing when the host is clean.
# Compares with the state saved before `up` (file $1).
verify_host_clean() {
  local before=$1 key s value p t table chain
  while read -r key s value; do
    [ "$key" = sysctl ] || continue
    [ "$(sysctl -n "$s")" = "$value" ] || echo "sysctl $s is $(sysctl -n "$s"), was $value"
  done <"$before"
  for p in "${HOST_PATHS[@]}"; do
    grep -qx "path $p" "$before" || { [ -e "$p" ] && echo "path $p was left"; }
  done
  for b in "$NODE_BRIDGE" "$CNI_BRIDGE"; do ip link show "$b" >/dev/null 2>&1 && echo "bridge $b was left"; done
  local veths; veths=$(ip -o link show type veth | wc -l)
  [ "$veths" -le "$(awk '$1 == "veths" {print $2}' "$before")" ] || echo "$veths veth interfaces, more than before up"
  for t in iptables ip6tables; do
    for table in filter nat mangle; do
      "$t" -w -t "$table" -S 2>/dev/null | grep -E -- "^-N (KUBE-|$GUARD_CHAIN)" | sed "s/^/$t $table: chain left: /"
    done
  done
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do [ -d "$d" ] && echo "cgroup $d was left"; done
  findmnt -rn -o TARGET | grep -E '/kubelet|containerd|berth' | sed 's/^/mount left: /'
  for p in "$REGISTRY_PORT" "$PRIVATE_REGISTRY_PORT" "$INGRESS_HTTP_PORT" "$INGRESS_HTTPS_PORT" \
      "$KUBELET_HEALTHZ_PORT" "$PROXY_HEALTHZ_PORT" "$PROXY_METRICS_PORT"; do
    port_in_use "$p" && echo "port $p still has a listener"
  done
  local nb; nb=$(node_bin_dir)
  for exe in "$nb/containerd" "$nb/containerd-shim-runc-v2" "$BIN/kubelet" "$BIN/kube-proxy" "$(registry_bin)" "$(traefik_bin)"; do
    for pid in $(pgrep -f "$exe" 2>/dev/null); do is_ours "$pid" "$exe" && echo "process $pid ($exe) is still running"; done
  done
  return 0
}
