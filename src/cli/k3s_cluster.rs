//! `scheduler-k3s:initialize`, `cluster-add|list|remove` (also spelled `cluster:add|list|remove`
//! as in current Dokku), `show-kubeconfig` and `uninstall`. Progress goes to stderr so stdout
//! carries only data (the new node's name, the node list, the kubeconfig).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;

use super::output::{Format, print_json, print_table};
use super::terminal::Terminal;
use super::{CliError, Ctx};
use crate::cluster::k3s::{NodeRole, parse_kubelet_args};
use crate::cluster::kubeconfig;
use crate::model::duration::parse_duration;
use crate::model::preflight::{HostReport, Status};
use crate::ops::cluster as ops;

fn duration_arg(s: &str) -> Result<Duration, String> {
    parse_duration(s).map(|(d, _)| d).map_err(|e| e.to_string())
}

fn ingress_class_arg(s: &str) -> Result<String, String> {
    match s {
        "nginx" | "traefik" => Ok(s.to_owned()),
        _ => Err(format!(
            "Invalid ingress-class: {s} (allowed: nginx, traefik)"
        )),
    }
}

/// What `initialize` and `cluster-add` share: how the k3s node is installed and waited for.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Server address nodes join (default: the recorded one, else the IPv4 address of the
    /// network-interface property)
    #[arg(long, value_name = "IP")]
    server_ip: Option<IpAddr>,
    /// Taint the server CriticalAddonsOnly=true:NoSchedule so apps run on workers (servers only)
    #[arg(long)]
    taint_scheduling: bool,
    /// kubelet arguments key=value (comma-separated and/or repeated)
    #[arg(long, value_name = "K=V,...")]
    kubelet_args: Vec<String>,
    /// How long to wait for the API server and the node to be Ready
    #[arg(long, default_value = "300s", value_parser = duration_arg)]
    timeout: Duration,
    /// Do not run the preflight checks (scheduler-k3s:doctor) first
    #[arg(long)]
    skip_preflight: bool,
}

#[derive(Debug, Subcommand)]
pub enum K3sCluster {
    /// Install k3s on this host as the first server and install the cluster components (root)
    #[command(
        name = "scheduler-k3s:initialize",
        after_help = "Examples:\n  sudo berth scheduler-k3s:initialize\n  sudo berth scheduler-k3s:initialize --server-ip 10.0.0.1 --ingress-class traefik --taint-scheduling\n  sudo berth scheduler-k3s:initialize --kubelet-args max-pods=200,image-gc-high-threshold=80\n\nRe-running is safe: an installed k3s is kept and unchanged components are skipped.\nThe installer location is BERTH_K3S_INSTALLER (default https://get.k3s.io; a local file works)."
    )]
    Initialize {
        /// nginx or traefik (default: the stored ingress-class, else nginx)
        #[arg(long, value_parser = ingress_class_arg)]
        ingress_class: Option<String>,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Install k3s on another host over SSH and join it to the cluster (prints the node name)
    #[command(
        name = "scheduler-k3s:cluster:add",
        alias = "scheduler-k3s:cluster-add",
        after_help = "Examples:\n  berth scheduler-k3s:cluster:add ssh://root@10.0.0.2\n  berth scheduler-k3s:cluster:add --role server --taint-scheduling ssh://admin@10.0.0.3:2222\n  berth scheduler-k3s:cluster:add --profile edge-workers ssh://root@10.0.0.4   # labelled dokku.com/node-profile=edge-workers\n\nThe host key must be in known_hosts (BERTH_SSH_KNOWN_HOSTS, default ~/.ssh/known_hosts) unless\n--insecure-allow-unknown-hosts; the key is BERTH_SSH_KEY (default ~/.ssh/id_ed25519, then id_rsa).\nThe remote user must be root or have passwordless sudo."
    )]
    ClusterAdd {
        /// ssh://user@host[:port]
        #[arg(value_name = "SSH_URL", allow_hyphen_values = true)]
        url: String,
        /// worker (default) or server; overrides the profile's role
        #[arg(long, value_enum)]
        role: Option<NodeRole>,
        /// A node profile (scheduler-k3s:profiles:add) whose settings the flags given here override
        #[arg(long, value_name = "PROFILE")]
        profile: Option<String>,
        /// Accept a host key that is not in known_hosts
        #[arg(long)]
        insecure_allow_unknown_hosts: bool,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Check hosts before initialize / cluster:add: SSH, root, OS, init, memory, ports, clock, versions
    #[command(
        name = "scheduler-k3s:doctor",
        after_help = "Examples:\n  sudo berth scheduler-k3s:doctor\n  berth scheduler-k3s:doctor ssh://root@10.0.0.2 ssh://admin@10.0.0.3:2222\n  berth scheduler-k3s:doctor --role server --format json ssh://root@10.0.0.4\n\nWithout a URL this host is checked as the first server (what scheduler-k3s:initialize needs);\neach URL is checked as a node joining the cluster (what scheduler-k3s:cluster:add needs).\nEvery check is ok, warn or fail, with the fix; nothing is installed or changed.\ninitialize and cluster:add run the same checks and refuse on a failure unless --skip-preflight.\nExit code 1 when any check failed."
    )]
    Doctor {
        /// ssh://user@host[:port] of hosts to join (none: this host as the first server)
        #[arg(value_name = "SSH_URL", allow_hyphen_values = true)]
        urls: Vec<String>,
        /// The role the hosts would join as: worker (default) or server
        #[arg(long, value_enum, default_value = "worker")]
        role: NodeRole,
        /// Server address nodes join (default: the recorded one, else the network-interface's)
        #[arg(long, value_name = "IP")]
        server_ip: Option<IpAddr>,
        /// Accept a host key that is not in known_hosts
        #[arg(long)]
        insecure_allow_unknown_hosts: bool,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
    /// List the cluster's nodes: name, ready, roles, version, address, taints
    #[command(
        name = "scheduler-k3s:cluster:list",
        alias = "scheduler-k3s:cluster-list",
        after_help = "Examples:\n  berth scheduler-k3s:cluster:list\n  berth scheduler-k3s:cluster:list --format json"
    )]
    ClusterList {
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
    /// Cordon and drain a node, uninstall k3s on it over SSH, and delete it from the cluster
    #[command(
        name = "scheduler-k3s:cluster:remove",
        alias = "scheduler-k3s:cluster-remove",
        after_help = "Examples:\n  berth scheduler-k3s:cluster:remove ip-10-0-0-2-ab12cd34ef\n  berth scheduler-k3s:cluster:remove ip-10-0-0-2-ab12cd34ef --drain-timeout 10m\n\nEvictions respect PodDisruptionBudgets. The last server cannot be removed.\nThe uninstall script is BERTH_K3S_UNINSTALLER (servers) / BERTH_K3S_AGENT_UNINSTALLER (workers)."
    )]
    ClusterRemove {
        /// Node name (see scheduler-k3s:cluster:list)
        #[arg(value_name = "NODE", allow_hyphen_values = true)]
        node: String,
        /// Give up draining after this long (the node stays cordoned)
        #[arg(long, default_value = "300s", value_parser = duration_arg)]
        drain_timeout: Duration,
        /// Accept a host key that is not in known_hosts when connecting to uninstall k3s
        #[arg(long)]
        insecure_allow_unknown_hosts: bool,
        /// Do not uninstall k3s on the node (it is unreachable or will be wiped)
        #[arg(long)]
        no_uninstall: bool,
    },
    /// Print the cluster's kubeconfig, its server address set to the server IP, on stdout
    #[command(
        name = "scheduler-k3s:show-kubeconfig",
        after_help = "Examples:\n  berth scheduler-k3s:show-kubeconfig > ~/.kube/berth.yaml\n  berth scheduler-k3s:show-kubeconfig --server-ip 203.0.113.10"
    )]
    ShowKubeconfig {
        /// Address to put in place of 127.0.0.1 (default: the one initialize recorded)
        #[arg(long, value_name = "IP")]
        server_ip: Option<IpAddr>,
    },
    /// Remove k3s from this host with k3s's uninstall script (root; asks to confirm unless --force)
    #[command(
        name = "scheduler-k3s:uninstall",
        after_help = "Examples:\n  sudo berth scheduler-k3s:uninstall\n  sudo berth scheduler-k3s:uninstall --force\n\nOther nodes are not touched (remove them first with scheduler-k3s:cluster:remove).\nThe join token is kept and reused by the next initialize."
    )]
    Uninstall {
        /// Do not ask for confirmation
        #[arg(long)]
        force: bool,
    },
}

impl K3sCluster {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            K3sCluster::Initialize {
                ingress_class,
                node,
            } => {
                let opts = ops::InitOptions {
                    server_ip: node.server_ip,
                    taint_scheduling: node.taint_scheduling,
                    ingress_class,
                    kubelet_args: parse_kubelet_args(&node.kubelet_args).map_err(CliError::msg)?,
                    timeout: node.timeout,
                    skip_preflight: node.skip_preflight,
                };
                eprintln!("-----> Initializing k3s");
                let outcome = ops::initialize(ctx, &opts, &Terminal::new(false))?;
                // ClusterIssuers follow the global letsencrypt emails (reference §4.4).
                for line in crate::ops::cluster_objects::sync_cluster_issuers(&ctx.store)? {
                    super::output::verbose(line);
                }
                eprintln!(
                    "=====> Done: {} is the k3s server at https://{}:6443 ({} ingress{})",
                    outcome.node_name,
                    outcome.server_ip,
                    outcome.ingress_class,
                    if outcome.installed_k3s {
                        ""
                    } else {
                        "; k3s was already installed"
                    }
                );
                Ok(())
            }
            K3sCluster::ClusterAdd {
                url,
                role,
                profile,
                insecure_allow_unknown_hosts,
                node,
            } => {
                let opts = ops::AddOptions {
                    url,
                    role,
                    profile,
                    taint_scheduling: node.taint_scheduling,
                    insecure_allow_unknown_hosts,
                    server_ip: node.server_ip,
                    kubelet_args: parse_kubelet_args(&node.kubelet_args).map_err(CliError::msg)?,
                    timeout: node.timeout,
                    skip_preflight: node.skip_preflight,
                };
                let name = ops::add_node(ctx, &opts, Arc::new(Terminal::new(false)))?;
                eprintln!("=====> Done: node {name} is Ready");
                println!("{name}");
                Ok(())
            }
            K3sCluster::Doctor {
                urls,
                role,
                server_ip,
                insecure_allow_unknown_hosts,
                format,
            } => {
                let opts = ops::DoctorOptions {
                    targets: urls,
                    role,
                    server_ip,
                    insecure_allow_unknown_hosts,
                };
                let reports = ops::doctor(ctx, &opts, Arc::new(Terminal::new(false)))?;
                match format {
                    Format::Json => print_json(&reports)?,
                    Format::Stdout => print_doctor(&reports),
                }
                let failed = reports.iter().filter(|r| r.status == Status::Fail).count();
                if failed > 0 {
                    return Err(CliError::msg(format!(
                        "Preflight failed on {failed} of {} host(s): fix what the checks marked fail",
                        reports.len()
                    )));
                }
                Ok(())
            }
            K3sCluster::ClusterList { format } => {
                let nodes = ops::list_nodes(ctx)?;
                match format {
                    Format::Json => print_json(&nodes),
                    Format::Stdout => {
                        print_node_table(&nodes);
                        Ok(())
                    }
                }
            }
            K3sCluster::ClusterRemove {
                node,
                drain_timeout,
                insecure_allow_unknown_hosts,
                no_uninstall,
            } => {
                let opts = ops::RemoveOptions {
                    node,
                    drain_timeout,
                    insecure_allow_unknown_hosts,
                    no_uninstall,
                };
                ops::remove_node(ctx, &opts, Arc::new(Terminal::new(false)))?;
                eprintln!("=====> Done: node {} removed", opts.node);
                Ok(())
            }
            K3sCluster::ShowKubeconfig { server_ip } => {
                let (text, rewritten) = kubeconfig::kubeconfig_for_export(&ctx.store, server_ip)?;
                if !rewritten {
                    super::output::warn(
                        "no server IP known (run scheduler-k3s:initialize or pass --server-ip): the kubeconfig is printed unchanged",
                    );
                }
                print!("{text}");
                if !text.ends_with('\n') {
                    println!();
                }
                Ok(())
            }
            K3sCluster::Uninstall { force } => {
                // Check before asking, so a refusal never waits for an answer.
                if !crate::cluster::installer::is_root() {
                    return Err(CliError::msg(
                        "scheduler-k3s:uninstall must run as root: it removes k3s and its services from this host (run it with sudo)",
                    ));
                }
                ops::uninstall_script()?;
                if !force && !super::global_flags::current().force {
                    super::output::confirm(
                        "This command removes k3s, every workload and all cluster data from this host.",
                        "uninstall",
                    )?;
                }
                ops::uninstall(ctx, &Terminal::new(false))?;
                eprintln!("=====> Done: k3s removed from this host");
                Ok(())
            }
        }
    }
}

fn print_doctor(reports: &[HostReport]) {
    for r in reports {
        println!(
            "=====> Preflight checks on {} ({})",
            r.host,
            r.role.as_str()
        );
        for line in ops::preflight::check_lines(r) {
            println!("       {line}");
        }
    }
    let count = |s: Status| reports.iter().filter(|r| r.status == s).count();
    println!(
        "=====> {} host(s) checked: {} ok, {} with warnings, {} failed",
        reports.len(),
        count(Status::Ok),
        count(Status::Warn),
        count(Status::Fail)
    );
}

fn print_node_table(nodes: &[ops::NodeInfo]) {
    let or_dash = |list: &[String]| {
        if list.is_empty() {
            "-".to_owned()
        } else {
            list.join(",")
        }
    };
    let mut table =
        vec![["name", "ready", "roles", "version", "internal-ip", "taints"].map(String::from)];
    table.extend(nodes.iter().map(|n| {
        let taints = or_dash(&n.taints);
        [
            n.name.clone(),
            n.ready.to_string(),
            or_dash(&n.roles),
            n.version.clone(),
            n.internal_ip.clone(),
            if n.schedulable {
                taints
            } else {
                format!("{taints} (cordoned)")
            },
        ]
    }));
    print_table(&table);
}
