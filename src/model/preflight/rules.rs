//! The rules, one function per check, each a pure function of the host's facts and the plan.

use std::net::IpAddr;

use super::{
    AGENT_BASE_MIB, Check, ClusterFacts, HostFacts, PER_NODE_COMPONENTS, Plan, PortNeed, Privilege,
    Reach, Role, SERVER_BASE_MIB, ServerAddress, component_mib, listen_ports, server_ports,
};

pub(super) fn root_check(f: &HostFacts, plan: &Plan) -> Check {
    let user = f.user.clone().unwrap_or_else(|| {
        f.uid
            .map(|u| format!("uid {u}"))
            .unwrap_or_else(|| "?".into())
    });
    match f.privilege {
        Some(Privilege::Root) => Check::ok("root", "running as root"),
        Some(Privilege::Sudo) => Check::ok("root", format!("{user} has passwordless sudo")),
        _ if plan.role == Role::FirstServer => Check::fail(
            "root",
            format!("running as {user}, not root: initialize installs k3s and its services"),
            "run berth as root (sudo berth …)",
        ),
        _ => Check::fail(
            "root",
            format!("user {user:?} is not root and cannot run 'sudo -n' without a password"),
            format!("connect as root (ssh://root@…) or grant {user} passwordless sudo"),
        ),
    }
}

/// Architectures k3s publishes binaries for (`uname -m` spellings).
const K3S_ARCHES: &[&str] = &["x86_64", "amd64", "aarch64", "arm64", "armv7l", "s390x"];

pub(super) fn os_check(f: &HostFacts) -> Check {
    let Some((sys, release, machine)) = &f.kernel else {
        return Check::warn(
            "os",
            "uname did not answer: the system is unknown",
            "check that the host is Linux with a POSIX shell",
        );
    };
    let name = f
        .os_release
        .get("PRETTY_NAME")
        .or_else(|| f.os_release.get("NAME"))
        .cloned()
        .unwrap_or_else(|| "unknown distribution".into());
    let detail = format!("{name}, {sys} {release} {machine}");
    if sys != "Linux" {
        Check::fail("os", detail, "k3s runs on Linux only")
    } else if !K3S_ARCHES.contains(&machine.as_str()) {
        Check::fail(
            "os",
            detail,
            "k3s publishes binaries for x86_64, arm64, armv7l and s390x only",
        )
    } else {
        Check::ok("os", detail)
    }
}

pub(super) fn init_check(f: &HostFacts) -> Check {
    let i = &f.init;
    let pid1 = i.pid1.as_deref().unwrap_or("unknown");
    if i.openrc {
        Check::ok("init", "OpenRC")
    } else if i.systemctl && i.systemd_running {
        Check::ok("init", "systemd")
    } else if i.systemctl {
        Check::warn(
            "init",
            format!(
                "systemctl is installed but systemd is not running (PID 1 is {pid1}): the installer will write the k3s service but cannot start it"
            ),
            "boot the host with systemd (or OpenRC); a container without an init system cannot run k3s as a service",
        )
    } else {
        Check::fail(
            "init",
            format!("neither systemd nor OpenRC found (PID 1 is {pid1})"),
            "the k3s installer runs k3s as a systemd or OpenRC service: install one",
        )
    }
}

fn mib(kib: u64) -> String {
    let mib = kib / 1024;
    if mib >= 1024 {
        format!("{:.1} GiB", mib as f64 / 1024.0)
    } else {
        format!("{mib} MiB")
    }
}

/// The memory a node of `plan.role` needs: k3s itself plus the components it runs, in MiB.
pub fn memory_need_mib(plan: &Plan) -> (u64, u64) {
    let base = if plan.role.is_server() {
        SERVER_BASE_MIB
    } else {
        AGENT_BASE_MIB
    };
    let components: u64 = if plan.role == Role::FirstServer {
        plan.components.iter().map(|c| component_mib(c)).sum()
    } else {
        PER_NODE_COMPONENTS.iter().map(|(_, m)| m).sum()
    };
    (base, components)
}

pub(super) fn memory_check(f: &HostFacts, plan: &Plan) -> Check {
    let Some(m) = f.memory else {
        return Check::warn(
            "memory",
            "/proc/meminfo did not answer",
            "check the host's memory by hand",
        );
    };
    let (base, components) = memory_need_mib(plan);
    let what = if plan.role == Role::FirstServer && !plan.components.is_empty() {
        plan.components.join(", ")
    } else {
        "the per-node parts of longhorn and vector".to_owned()
    };
    let detail = format!(
        "{} available of {}; k3s needs {} and {what} about {} (berth's estimates)",
        mib(m.available_kib),
        mib(m.total_kib),
        mib(base * 1024),
        mib(components * 1024)
    );
    let available_mib = m.available_kib / 1024;
    if plan.k3s_installed_here {
        // k3s and the components already use their share of the memory.
        Check::ok(
            "memory",
            format!(
                "{} available of {}; k3s is installed",
                mib(m.available_kib),
                mib(m.total_kib)
            ),
        )
    } else if available_mib < base {
        Check::fail(
            "memory",
            detail,
            "free memory or use a larger host: k3s alone will not run in this",
        )
    } else if available_mib < base + components {
        Check::warn(
            "memory",
            detail,
            "free memory or use a larger host; apps need room beside the cluster's own pods",
        )
    } else {
        Check::ok("memory", detail)
    }
}

pub(super) fn downloader_check(f: &HostFacts) -> Check {
    match f.downloaders.first() {
        Some(d) => Check::ok(
            "downloader",
            format!("{d} (the k3s installer downloads k3s with it)"),
        ),
        None => Check::fail(
            "downloader",
            "neither curl nor wget found: the k3s installer downloads k3s with one of them",
            "install curl (apt-get install curl / dnf install curl)",
        ),
    }
}

pub(super) fn address_check(f: &HostFacts, plan: &Plan) -> Option<Check> {
    if let Some(address) = &plan.address {
        return Some(match address {
            ServerAddress::Interface { name, ip } => Check::ok(
                "address",
                format!("{ip} on {name} (the network-interface property)"),
            ),
            ServerAddress::Flag {
                ip,
                interface: Some(i),
            } => Check::ok("address", format!("{ip} on {i} (--server-ip)")),
            ServerAddress::Flag {
                ip,
                interface: None,
            } => Check::warn(
                "address",
                format!("{ip} (--server-ip) is not an address of this host"),
                "fine behind NAT when other nodes reach this host at that address; otherwise pass one of this host's addresses",
            ),
            ServerAddress::Missing(message) => Check::fail(
                "address",
                message.clone(),
                "pass --server-ip or set: berth scheduler-k3s:set --global network-interface <name>",
            ),
        });
    }
    let server = plan.server?;
    Some(match &f.route {
        Some(route) if !route.contains("unreachable") && route.contains(" dev ") => {
            let word_after = |key: &str| {
                route
                    .split_whitespace()
                    .skip_while(|w| *w != key)
                    .nth(1)
                    .unwrap_or("?")
                    .to_owned()
            };
            Check::ok(
                "address",
                format!(
                    "reaches the server {server} via {} from {}",
                    word_after("dev"),
                    word_after("src")
                ),
            )
        }
        Some(route) => Check::fail(
            "address",
            format!("no route to the server {server}: {route}"),
            "connect the host to the server's network, or pass the server's reachable address with --server-ip",
        ),
        None => Check::warn(
            "address",
            format!("could not ask the route to {server} (no `ip` command on the host)"),
            "install iproute2 to have the route checked",
        ),
    })
}

pub(super) fn port_checks(f: &HostFacts, plan: &Plan) -> Vec<Check> {
    listen_ports(plan.role)
        .into_iter()
        .map(|need| {
            let name = format!("port {}", need.label());
            let seen = if need.udp {
                f.udp_bound.as_ref()
            } else {
                f.tcp_listening.as_ref()
            };
            match seen {
                None => Check::warn(
                    name,
                    format!("could not read /proc/net to see whether {} is free", need.label()),
                    "check by hand: ss -ltnup",
                ),
                Some(ports) if !ports.contains(&need.port) => {
                    Check::ok(name, format!("free, for {}", need.purpose))
                }
                Some(_) if plan.k3s_installed_here => Check::ok(
                    name,
                    format!("in use, by the installed k3s ({})", need.purpose),
                ),
                Some(_) if f.k3s_version.is_some() => Check::warn(
                    name,
                    format!("in use, probably by the k3s already installed there ({})", need.purpose),
                    "remove the old k3s first (k3s-uninstall.sh / k3s-agent-uninstall.sh) unless it is this cluster's",
                ),
                Some(_) => Check::fail(
                    name,
                    format!("in use by another program; k3s needs it for {}", need.purpose),
                    format!(
                        "stop what listens there (ss -{}lnp 'sport = :{}' names it)",
                        if need.udp { "u" } else { "t" },
                        need.port
                    ),
                ),
            }
        })
        .collect()
}

pub(super) fn reach_checks(f: &HostFacts, plan: &Plan) -> Vec<Check> {
    let Some(server) = plan.server else {
        return vec![];
    };
    let needs = server_ports(plan.role);
    let Some(reach) = &f.reach else {
        return vec![Check::warn(
            "server ports",
            format!("cannot test connections to {server} from the host (it lacks bash or timeout)"),
            format!(
                "check by hand that the host reaches {server} on {}",
                needs
                    .iter()
                    .map(PortNeed::label)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )];
    };
    needs
        .iter()
        .map(|need| {
            let name = format!("server {}", need.label());
            let at = match server {
                IpAddr::V6(ip) => format!("[{ip}]:{}", need.port),
                IpAddr::V4(ip) => format!("{ip}:{}", need.port),
            };
            let fix = format!(
                "open {} on the server {server} to this host (firewall, security group) and check that k3s runs there; --server-ip picks another address",
                need.label()
            );
            match reach.iter().find(|(p, _)| *p == need.port).map(|(_, r)| r) {
                Some(Reach::Connected) => Check::ok(name, format!("the host reaches {at} ({})", need.purpose)),
                Some(Reach::Refused(why)) => Check::fail(name, format!("the host cannot reach {at}: {why}"), fix),
                Some(Reach::TimedOut) => Check::fail(
                    name,
                    format!("the host gets no answer from {at} within 5 s (a firewall dropping it?)"),
                    fix,
                ),
                Some(Reach::Failed(why)) => Check::fail(name, format!("the host cannot reach {at}: {why}"), fix),
                None => Check::warn(name, format!("{at} was not tested"), ""),
            }
        })
        .collect()
}

/// Clock skew a cluster tolerates: certificates and tokens are checked against each node's clock.
const CLOCK_OK_SECS: i64 = 2;
const CLOCK_FAIL_SECS: i64 = 60;

pub(super) fn clock_check(plan: &Plan) -> Option<Check> {
    let skew = plan.clock_skew_secs?;
    let detail = match skew {
        0 => "in step with this host".to_owned(),
        s if s > 0 => format!("{s} s ahead of this host"),
        s => format!("{} s behind this host", -s),
    };
    let fix = "turn on time synchronisation on both hosts (timedatectl set-ntp true, or chrony)";
    Some(if skew.abs() <= CLOCK_OK_SECS {
        Check::ok("clock", detail)
    } else if skew.abs() < CLOCK_FAIL_SECS {
        Check::warn("clock", detail, fix)
    } else {
        Check::fail(
            "clock",
            format!("{detail}: TLS certificates and join tokens will be refused"),
            fix,
        )
    })
}

/// `(major, minor, patch)` of `v1.31.4+k3s1` or `k3s version v1.31.4+k3s1 (abc)`.
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let word = text
        .split_whitespace()
        .find(|w| w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit()))?;
    let core = word[1..].split(['+', '-']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

fn version_word(text: &str) -> String {
    text.split_whitespace()
        .find(|w| parse_version(w).is_some())
        .unwrap_or(text)
        .to_owned()
}

pub(super) fn version_check(f: &HostFacts, plan: &Plan) -> Check {
    let installed = f.k3s_version.as_deref().map(version_word);
    match &plan.cluster {
        ClusterFacts::None => match installed {
            Some(v) if plan.k3s_installed_here => {
                Check::ok("k3s version", format!("{v} installed (kept)"))
            }
            Some(v) => Check::warn(
                "k3s version",
                format!(
                    "{v} is on the host but berth's kubeconfig is not: the installer will run again"
                ),
                "",
            ),
            None => Check::ok(
                "k3s version",
                "not installed yet: the installer picks k3s's stable release",
            ),
        },
        ClusterFacts::Unreachable(why) => Check::warn(
            "k3s version",
            format!("cannot read the servers' versions: {why}"),
            "check the cluster with: berth scheduler-k3s:cluster:list",
        ),
        ClusterFacts::Servers(versions) if versions.is_empty() => Check::ok(
            "k3s version",
            "no server reports a version: the join installs k3s's stable release",
        ),
        ClusterFacts::Servers(versions) => {
            let mut distinct: Vec<&String> = versions.iter().collect();
            distinct.sort();
            distinct.dedup();
            let pinned = plan
                .pinned_version
                .clone()
                .unwrap_or_else(|| "k3s's stable release".into());
            if distinct.len() > 1 {
                return Check::warn(
                    "k3s version",
                    format!(
                        "the servers run different versions ({}); the join installs {pinned}, the lowest",
                        distinct
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "finish upgrading the servers to one version",
                );
            }
            match installed {
                Some(v)
                    if parse_version(&v)
                        != plan.pinned_version.as_deref().and_then(parse_version) =>
                {
                    Check::warn(
                        "k3s version",
                        format!(
                            "{v} is already installed there; the join installs {pinned}, the servers' version"
                        ),
                        "",
                    )
                }
                _ => Check::ok(
                    "k3s version",
                    format!("the join installs {pinned}, the servers' version"),
                ),
            }
        }
    }
}
