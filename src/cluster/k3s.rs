//! What berth passes to the k3s installer, as pure functions of the cluster settings: the node
//! name, the server arguments of `initialize`, the join arguments of `cluster-add`, and the
//! installer/uninstaller locations (settings, so tests can point them at a local test installer).

use std::net::IpAddr;
use std::path::PathBuf;

/// Environment variable with the k3s installer's location: an `https://` (or `http://`) URL or a
/// local file. Default [`DEFAULT_INSTALLER`], the official installer.
pub const ENV_INSTALLER: &str = "BERTH_K3S_INSTALLER";
/// The official k3s installer.
pub const DEFAULT_INSTALLER: &str = "https://get.k3s.io";
/// Environment variable with the path of k3s's server uninstall script (on this host for
/// `uninstall`, on a removed server node for `cluster-remove`).
pub const ENV_UNINSTALLER: &str = "BERTH_K3S_UNINSTALLER";
/// Where the official installer puts the server uninstall script.
pub const DEFAULT_UNINSTALLER: &str = "/usr/local/bin/k3s-uninstall.sh";
/// Environment variable with the path of k3s's agent uninstall script on a removed worker node.
pub const ENV_AGENT_UNINSTALLER: &str = "BERTH_K3S_AGENT_UNINSTALLER";
/// Where the official installer puts the agent uninstall script.
pub const DEFAULT_AGENT_UNINSTALLER: &str = "/usr/local/bin/k3s-agent-uninstall.sh";
/// Environment variable with the k3s binary whose presence means "k3s is installed here".
pub const ENV_K3S_BIN: &str = "BERTH_K3S_BIN";
/// Where the official installer puts k3s.
pub const DEFAULT_K3S_BIN: &str = "/usr/local/bin/k3s";
/// Environment variable with k3s's configuration directory on every node, where berth writes
/// `registries.yaml` (registry logins for containerd). Default [`DEFAULT_CONFIG_DIR`].
pub const ENV_CONFIG_DIR: &str = "BERTH_K3S_CONFIG_DIR";
/// k3s's configuration directory.
pub const DEFAULT_CONFIG_DIR: &str = "/etc/rancher/k3s";
/// Where a joining node keeps the join token (0600), passed to k3s as `K3S_TOKEN_FILE` so the
/// token never appears in a process list or in the k3s service's command line.
pub const REMOTE_TOKEN_FILE: &str = "/etc/rancher/k3s/berth-join-token";
/// The k3s supervisor / API port servers listen on.
pub const SERVER_PORT: u16 = 6443;

/// Label k3s's service load balancer uses to pick nodes for `LoadBalancer` Services.
pub const LABEL_ENABLE_LB: &str = "svccontroller.k3s.cattle.io/enablelb";
/// Label Dokku puts on worker nodes.
pub const LABEL_WORKER_ROLE: &str = "node-role.kubernetes.io/worker";
/// Label recording the node profile a node joined with (`cluster:add --profile`).
pub const LABEL_NODE_PROFILE: &str = "dokku.com/node-profile";
/// Label k3s puts on server nodes.
pub const LABEL_CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";
/// Annotation recording how a node was added (the ssh:// URL), as Dokku does.
pub const ANNOTATION_REMOTE_HOST: &str = "dokku.com/remote-host";
/// Taint `--taint-scheduling` puts on servers so only critical add-ons run there.
pub const CRITICAL_ADDONS_TAINT: &str = "CriticalAddonsOnly=true:NoSchedule";

/// The installer, uninstaller and k3s binary locations in effect (environment or defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct K3sLocations {
    pub installer: String,
    pub uninstaller: PathBuf,
    pub agent_uninstaller: PathBuf,
    pub k3s_bin: PathBuf,
    pub config_dir: PathBuf,
}

impl K3sLocations {
    /// Read the `BERTH_K3S_*` settings; an unset or empty variable means the official default.
    pub fn from_env() -> K3sLocations {
        let var = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        K3sLocations {
            installer: var(ENV_INSTALLER, DEFAULT_INSTALLER),
            uninstaller: var(ENV_UNINSTALLER, DEFAULT_UNINSTALLER).into(),
            agent_uninstaller: var(ENV_AGENT_UNINSTALLER, DEFAULT_AGENT_UNINSTALLER).into(),
            k3s_bin: var(ENV_K3S_BIN, DEFAULT_K3S_BIN).into(),
            config_dir: var(ENV_CONFIG_DIR, DEFAULT_CONFIG_DIR).into(),
        }
    }
}

/// The role a node has in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeRole {
    /// Runs the control plane (and embedded etcd) as well as workloads.
    Server,
    /// Runs workloads only (a k3s agent).
    Worker,
}

impl NodeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::Server => "server",
            NodeRole::Worker => "worker",
        }
    }
}

/// Node names as Dokku makes them: `ip-<host with dots as dashes>-<suffix>`, lowercase, cut to a
/// valid DNS label length. `suffix` is random hex in practice (a parameter to keep this pure).
pub fn node_name(host: &str, suffix: &str) -> String {
    let host: String = host
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let host = host.trim_matches('-');
    // A node name is a DNS subdomain, but k3s also uses it as a hostname label: keep it <= 63.
    let room = 63 - "ip-".len() - 1 - suffix.len();
    let host: String = host.chars().take(room).collect();
    format!("ip-{}-{suffix}", host.trim_end_matches('-'))
}

/// Arguments every k3s server of a berth cluster shares. k3s refuses to join a server whose
/// critical settings (flannel backend, disabled components) differ from the cluster's, so the
/// first server and joining servers use the same list.
fn server_common_args() -> Vec<String> {
    [
        "--disable",
        "local-storage",
        "--disable",
        "traefik", // berth installs its own ingress controller (a HelmChart) instead
        "--etcd-expose-metrics",
        "--flannel-backend=wireguard-native",
        "--kube-controller-manager-arg",
        "bind-address=0.0.0.0",
        "--kube-proxy-arg",
        "metrics-bind-address=0.0.0.0",
        "--kube-scheduler-arg",
        "bind-address=0.0.0.0",
        "--kube-controller-manager-arg",
        "terminated-pod-gc-threshold=10",
        "--write-kubeconfig-mode",
        "0600",
    ]
    .map(str::to_owned)
    .into()
}

/// Options of `initialize` that shape the k3s server command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInit<'a> {
    pub node_name: &'a str,
    pub server_ip: IpAddr,
    pub taint_scheduling: bool,
    pub kubelet_args: &'a [String],
}

/// `sh install.sh <args>` for the first server (reference §3 step 11, plus `--tls-san` so the
/// API certificate is valid for the server IP that `show-kubeconfig` hands out, and a 0600
/// kubeconfig instead of 0644). The token travels in `K3S_TOKEN`, not in the arguments.
pub fn server_init_args(init: &ServerInit<'_>) -> Vec<String> {
    let mut args = vec!["server".to_owned(), "--cluster-init".to_owned()];
    args.extend(server_common_args());
    args.extend([
        "--node-name".to_owned(),
        init.node_name.to_owned(),
        "--tls-san".to_owned(),
        init.server_ip.to_string(),
        "--node-label".to_owned(),
        format!("{LABEL_ENABLE_LB}=true"),
    ]);
    if init.taint_scheduling {
        args.extend(["--node-taint".to_owned(), CRITICAL_ADDONS_TAINT.to_owned()]);
    }
    for kv in init.kubelet_args {
        args.extend(["--kubelet-arg".to_owned(), kv.clone()]);
    }
    args
}

/// Options of `cluster-add` that shape the joining node's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeJoin<'a> {
    pub role: NodeRole,
    pub node_name: &'a str,
    pub server_ip: IpAddr,
    pub taint_scheduling: bool,
    pub kubelet_args: &'a [String],
    /// `--node-label` values (`key=value`) beyond the role's own.
    pub labels: &'a [String],
}

/// The URL joining nodes register with.
pub fn server_url(server_ip: IpAddr) -> String {
    match server_ip {
        IpAddr::V4(ip) => format!("https://{ip}:{SERVER_PORT}"),
        IpAddr::V6(ip) => format!("https://[{ip}]:{SERVER_PORT}"),
    }
}

/// `sh install.sh <args>` on a joining node: `agent` for workers (k3s's own worker mode) and
/// `server` with the cluster's server settings for servers (reference §6.1 step 9). The token
/// travels in `K3S_TOKEN_FILE`.
pub fn join_args(join: &NodeJoin<'_>) -> Vec<String> {
    let mut args = match join.role {
        NodeRole::Server => {
            let mut a = vec!["server".to_owned()];
            a.extend(server_common_args());
            a
        }
        NodeRole::Worker => vec![
            "agent".to_owned(),
            "--kube-proxy-arg".to_owned(),
            "metrics-bind-address=0.0.0.0".to_owned(),
        ],
    };
    args.extend([
        "--server".to_owned(),
        server_url(join.server_ip),
        "--node-name".to_owned(),
        join.node_name.to_owned(),
    ]);
    if join.role == NodeRole::Server {
        args.extend(["--node-label".to_owned(), format!("{LABEL_ENABLE_LB}=true")]);
    }
    for label in join.labels {
        args.extend(["--node-label".to_owned(), label.clone()]);
    }
    if join.taint_scheduling {
        args.extend(["--node-taint".to_owned(), CRITICAL_ADDONS_TAINT.to_owned()]);
    }
    for kv in join.kubelet_args {
        args.extend(["--kubelet-arg".to_owned(), kv.clone()]);
    }
    args
}

/// Check `--kubelet-args` values: `key=value` with a flag-like key, no whitespace (each becomes
/// one `--kubelet-arg` argument). Comma-separated lists are split first.
pub fn parse_kubelet_args(values: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for kv in values.iter().flat_map(|v| v.split(',')) {
        let kv = kv.trim();
        if kv.is_empty() {
            continue;
        }
        let Some((key, _)) = kv.split_once('=') else {
            return Err(format!(
                "Invalid kubelet arg {kv:?}: expected key=value (for example max-pods=200)"
            ));
        };
        let key_ok = !key.is_empty()
            && !key.starts_with('-')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if !key_ok || kv.chars().any(char::is_whitespace) {
            return Err(format!(
                "Invalid kubelet arg {kv:?}: the key must be a kubelet flag name without leading dashes (letters, digits, '-', '.', '_') and the value must not contain whitespace"
            ));
        }
        out.push(kv.to_owned());
    }
    Ok(out)
}

/// The k3s version a joining node must run: the lowest kubelet version among the servers, so a
/// new node never runs ahead of the control plane (reference §6.1 "Ensuring compatible k3s
/// version"). Versions look like `v1.31.4+k3s1`; unparsable ones are ignored.
pub fn lowest_version<'a>(versions: impl IntoIterator<Item = &'a str>) -> Option<String> {
    fn key(v: &str) -> Option<(u64, u64, u64, String)> {
        let core = v.trim().trim_start_matches('v');
        let (nums, rest) = match core.find(['+', '-']) {
            Some(i) => (&core[..i], &core[i..]),
            None => (core, ""),
        };
        let mut it = nums.split('.').map(|n| n.parse::<u64>().ok());
        Some((it.next()??, it.next()??, it.next()??, rest.to_owned()))
    }
    versions
        .into_iter()
        .filter_map(|v| key(v).map(|k| (k, v)))
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| {
            let v = v.trim();
            if v.starts_with('v') {
                v.to_owned()
            } else {
                format!("v{v}")
            }
        })
}

/// k3s's `registries.yaml`: registry credentials containerd uses on every node.
#[derive(Debug, serde::Serialize)]
struct Registries<'a> {
    configs: std::collections::BTreeMap<&'a str, RegistryConfig<'a>>,
}

#[derive(Debug, serde::Serialize)]
struct RegistryConfig<'a> {
    auth: RegistryAuth<'a>,
}

#[derive(Debug, serde::Serialize)]
struct RegistryAuth<'a> {
    username: &'a str,
    password: &'a str,
}

/// The `registries.yaml` for the global `registry:login` credentials (`None` when there are
/// none), so every node can pull private images even without an image pull secret.
pub fn registries_yaml(logins: &crate::model::registry::RegistryLogins) -> Option<String> {
    if logins.is_empty() {
        return None;
    }
    let doc = Registries {
        configs: logins
            .iter()
            .map(|(server, l)| {
                (
                    server.as_str(),
                    RegistryConfig {
                        auth: RegistryAuth {
                            username: &l.username,
                            password: &l.password,
                        },
                    },
                )
            })
            .collect(),
    };
    serde_saphyr::to_string(&doc).ok()
}

/// An IP address, when `s` is one.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_follow_dokku() {
        assert_eq!(
            node_name("10.0.0.1", "ab12cd34ef"),
            "ip-10-0-0-1-ab12cd34ef"
        );
        assert_eq!(
            node_name("Worker-1.Example.com", "0011223344"),
            "ip-worker-1-example-com-0011223344"
        );
        assert_eq!(node_name("::1", "0011223344"), "ip-1-0011223344");
        let long = node_name(&"a".repeat(100), "0011223344");
        assert_eq!(long.len(), 63);
    }

    #[test]
    fn server_args_carry_taint_kubelet_args_and_tls_san() {
        let kubelet = vec!["max-pods=200".to_owned()];
        let args = server_init_args(&ServerInit {
            node_name: "ip-10-0-0-1-x",
            server_ip: "10.0.0.1".parse().unwrap(),
            taint_scheduling: true,
            kubelet_args: &kubelet,
        });
        let joined = args.join(" ");
        assert!(joined.starts_with("server --cluster-init --disable local-storage"));
        assert!(joined.contains("--node-name ip-10-0-0-1-x --tls-san 10.0.0.1"));
        assert!(joined.contains("--node-taint CriticalAddonsOnly=true:NoSchedule"));
        assert!(joined.ends_with("--kubelet-arg max-pods=200"));
        assert!(!joined.contains("--token"));
    }

    #[test]
    fn worker_join_is_an_agent_and_server_join_repeats_server_settings() {
        let worker = join_args(&NodeJoin {
            role: NodeRole::Worker,
            node_name: "n",
            server_ip: "10.0.0.1".parse().unwrap(),
            taint_scheduling: false,
            kubelet_args: &[],
            labels: &[],
        });
        assert_eq!(worker[0], "agent");
        assert!(worker.join(" ").contains("--server https://10.0.0.1:6443"));
        let server = join_args(&NodeJoin {
            role: NodeRole::Server,
            node_name: "n",
            server_ip: "fd00::1".parse().unwrap(),
            taint_scheduling: true,
            kubelet_args: &[],
            labels: &["dokku.com/node-profile=db".to_owned()],
        });
        let s = server.join(" ");
        assert!(s.starts_with("server --disable local-storage"));
        assert!(s.contains("--server https://[fd00::1]:6443"));
        assert!(s.contains("--node-label dokku.com/node-profile=db"));
        assert!(s.contains("--flannel-backend=wireguard-native"));
    }

    #[test]
    fn kubelet_args_are_checked() {
        assert_eq!(
            parse_kubelet_args(&["max-pods=200,eviction-hard=memory.available<5%".into()]).unwrap(),
            vec!["max-pods=200", "eviction-hard=memory.available<5%"]
        );
        for bad in ["max-pods", "--max-pods=1", "a=b c", "=1"] {
            assert!(parse_kubelet_args(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn registries_yaml_has_one_auth_per_login() {
        use crate::model::registry::{RegistryLogin, RegistryLogins};
        assert_eq!(registries_yaml(&RegistryLogins::new()), None);
        let mut logins = RegistryLogins::new();
        logins.insert(
            "ghcr.io".into(),
            RegistryLogin {
                username: "bot".into(),
                password: "p: w'd".into(),
            },
        );
        let yaml = registries_yaml(&logins).unwrap();
        let back: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(back["configs"]["ghcr.io"]["auth"]["username"], "bot");
        assert_eq!(back["configs"]["ghcr.io"]["auth"]["password"], "p: w'd");
    }

    #[test]
    fn lowest_version_picks_the_oldest_server() {
        assert_eq!(
            lowest_version(["v1.31.4+k3s1", "v1.30.10+k3s2", "garbage", "v1.31.0+k3s1"]),
            Some("v1.30.10+k3s2".to_owned())
        );
        assert_eq!(lowest_version(["1.29.0"]), Some("v1.29.0".to_owned()));
        assert_eq!(lowest_version(["x"]), None);
    }
}
