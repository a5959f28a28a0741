//! The preflight rules of `scheduler-k3s:doctor`, `initialize` and `cluster:add`: from what a
//! host reported ([`HostFacts`]) and what berth is about to do there ([`Plan`]), one
//! [`Check`] per requirement — ok, warn or fail, with the fix. Pure, so every rule has a unit test.

pub mod facts;
mod rules;

pub use rules::{memory_need_mib, parse_version};

use std::net::IpAddr;

use serde::Serialize;

pub use facts::{HostFacts, InitFacts, Memory, PROBE_SCRIPT, Privilege, Reach};

/// The outcome of one check; the order is severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One requirement and how the host meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
    /// What to do about a warn or fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn ok(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }
    pub fn warn(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name: name.into(),
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()).filter(|f: &String| !f.is_empty()),
        }
    }
    pub fn fail(
        name: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            status: Status::Fail,
            ..Check::warn(name, detail, fix)
        }
    }
}

/// What the host is about to become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `initialize`: the cluster's first server, on this host.
    FirstServer,
    /// `cluster:add --role server`.
    Server,
    /// `cluster:add` (a k3s agent).
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::FirstServer => "first server",
            Role::Server => "server",
            Role::Worker => "worker",
        }
    }
    fn is_server(self) -> bool {
        self != Role::Worker
    }
}

/// The checks of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostReport {
    /// `this host` or the ssh:// URL.
    pub host: String,
    pub role: Role,
    pub status: Status,
    pub checks: Vec<Check>,
}

impl HostReport {
    pub fn new(host: impl Into<String>, role: Role, checks: Vec<Check>) -> HostReport {
        let status = checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok);
        HostReport {
            host: host.into(),
            role,
            status,
            checks,
        }
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }
}

/// A port a k3s node listens on (k3s's documented inbound rules, with berth's wireguard-native
/// flannel backend and embedded etcd on servers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortNeed {
    pub port: u16,
    pub udp: bool,
    pub purpose: &'static str,
}

impl PortNeed {
    pub fn label(&self) -> String {
        format!("{}/{}", self.port, if self.udp { "udp" } else { "tcp" })
    }
}

const API: PortNeed = PortNeed {
    port: 6443,
    udp: false,
    purpose: "the Kubernetes API and k3s supervisor",
};
const ETCD_CLIENT: PortNeed = PortNeed {
    port: 2379,
    udp: false,
    purpose: "etcd clients",
};
const ETCD_PEER: PortNeed = PortNeed {
    port: 2380,
    udp: false,
    purpose: "etcd peers",
};
const KUBELET: PortNeed = PortNeed {
    port: 10250,
    udp: false,
    purpose: "the kubelet",
};
const WIREGUARD_V4: PortNeed = PortNeed {
    port: 51820,
    udp: true,
    purpose: "flannel WireGuard over IPv4",
};
const WIREGUARD_V6: PortNeed = PortNeed {
    port: 51821,
    udp: true,
    purpose: "flannel WireGuard over IPv6",
};

/// The ports `role` listens on, which must be free before k3s is installed.
pub fn listen_ports(role: Role) -> Vec<PortNeed> {
    if role.is_server() {
        vec![
            API,
            ETCD_CLIENT,
            ETCD_PEER,
            KUBELET,
            WIREGUARD_V4,
            WIREGUARD_V6,
        ]
    } else {
        vec![KUBELET, WIREGUARD_V4, WIREGUARD_V6]
    }
}

/// The server ports a joining node must reach: the API (agents and servers), etcd (servers).
pub fn server_ports(role: Role) -> Vec<PortNeed> {
    match role {
        Role::FirstServer => vec![],
        Role::Server => vec![API, ETCD_CLIENT, ETCD_PEER],
        Role::Worker => vec![API],
    }
}

/// k3s's own memory need: a server with embedded etcd and the control plane, an agent.
const SERVER_BASE_MIB: u64 = 1024;
const AGENT_BASE_MIB: u64 = 512;

/// berth's estimate of a component's steady-state memory on the node that runs its controllers
/// (requests of the charts' pods plus headroom), in MiB.
pub fn component_mib(release: &str) -> u64 {
    match release {
        "cert-manager" => 160,
        "longhorn" => 512,
        "traefik" => 96,
        "ingress-nginx" => 128,
        "keda" => 256,
        "keda-add-ons-http" => 128,
        "vector" => 128,
        _ => 128,
    }
}

/// Per-node parts of the components (DaemonSets) that every node runs.
const PER_NODE_COMPONENTS: &[(&str, u64)] = &[("longhorn", 256), ("vector", 128)];

/// Where the node's join or install leads, as far as it shapes the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterFacts {
    /// `initialize`: there is no cluster to join yet.
    None,
    /// The cluster answered: the kubelet versions of its servers (`v1.31.4+k3s1`).
    Servers(Vec<String>),
    /// The cluster could not be asked (the reason).
    Unreachable(String),
}

/// The address the first server will announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAddress {
    /// `--server-ip`; with the local interface holding it, if any.
    Flag {
        ip: IpAddr,
        interface: Option<String>,
    },
    /// The network-interface property's IPv4 address.
    Interface { name: String, ip: IpAddr },
    /// The property names no interface with an IPv4 address (the message says which exist).
    Missing(String),
}

/// What berth is about to do on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub role: Role,
    /// Components whose controllers this node runs (the first server runs them all).
    pub components: Vec<String>,
    /// The local host already has k3s (berth's binary + kubeconfig check): re-running
    /// `initialize` keeps it, so its ports being in use is expected.
    pub k3s_installed_here: bool,
    /// The server the node joins (`cluster:add`).
    pub server: Option<IpAddr>,
    pub cluster: ClusterFacts,
    /// The k3s version the join pins (the servers' lowest).
    pub pinned_version: Option<String>,
    /// The host's clock minus this host's, in seconds (remote hosts only).
    pub clock_skew_secs: Option<i64>,
    /// First server only.
    pub address: Option<ServerAddress>,
}

/// All checks of a host that answered, in the order a user fixes them.
pub fn evaluate(f: &HostFacts, plan: &Plan) -> Vec<Check> {
    use rules::*;
    let mut checks = vec![
        root_check(f, plan),
        os_check(f),
        init_check(f),
        memory_check(f, plan),
        downloader_check(f),
    ];
    checks.extend(address_check(f, plan));
    checks.extend(port_checks(f, plan));
    checks.extend(reach_checks(f, plan));
    checks.extend(clock_check(plan));
    checks.push(version_check(f, plan));
    checks
}

#[cfg(test)]
mod tests;
