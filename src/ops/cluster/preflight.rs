//! The preflight of `scheduler-k3s:doctor`, `initialize` and `cluster:add`: runs the one probe
//! script ([`PROBE_SCRIPT`]) on this host or over SSH, adds what only berth knows (the cluster's
//! servers, the clock difference, the server address) and hands both to the pure rules of
//! `model::preflight`. Nothing is installed or changed on any host.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::cluster::installer::{self, interface_ipv4};
use crate::cluster::k3s::{self, K3sLocations, NodeRole};
use crate::cluster::state;
use crate::kube::nodes;
use crate::model::preflight::{
    self, Check, ClusterFacts, HostFacts, HostReport, PROBE_SCRIPT, Plan, Role, ServerAddress,
    Status,
};
use crate::model::properties::ResolvedProperties;
use crate::progress::Reporter;
use crate::ssh::{HostKeyPolicy, OutputSink, RemoteCommand, RemoteHost, SshOptions, SshTarget};
use crate::store::Store;

/// How this host is named in reports.
pub const THIS_HOST: &str = "this host";

/// Options of `scheduler-k3s:doctor`.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// ssh:// URLs of hosts to join; empty: this host as the first server.
    pub targets: Vec<String>,
    pub role: NodeRole,
    pub server_ip: Option<IpAddr>,
    pub insecure_allow_unknown_hosts: bool,
}

/// berth's node role as the preflight rules name it.
pub fn model_role(role: NodeRole) -> Role {
    match role {
        NodeRole::Server => Role::Server,
        NodeRole::Worker => Role::Worker,
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The probe's argv after `sh -c SCRIPT`: `$0`, the k3s binary, the server, its ports.
fn probe_args(k3s_bin: &str, server: Option<IpAddr>, role: Role) -> Vec<String> {
    let mut args = vec![
        "sh".to_owned(),
        k3s_bin.to_owned(),
        server.map(|s| s.to_string()).unwrap_or_default(),
    ];
    if server.is_some() {
        args.extend(
            preflight::server_ports(role)
                .iter()
                .map(|p| p.port.to_string()),
        );
    }
    args
}

/// `scheduler-k3s:doctor`: every target is parsed before any connection.
pub async fn doctor(
    store: &Store,
    opts: &DoctorOptions,
    sink: OutputSink,
) -> Result<Vec<HostReport>> {
    let targets = opts
        .targets
        .iter()
        .map(|u| SshTarget::parse(u))
        .collect::<Result<Vec<_>, _>>()?;
    if targets.is_empty() {
        return Ok(vec![local_report(store, opts.server_ip, None).await?]);
    }
    let join = JoinContext::gather(store, opts.server_ip).await?;
    let policy = if opts.insecure_allow_unknown_hosts {
        HostKeyPolicy::AcceptAny
    } else {
        HostKeyPolicy::Strict
    };
    let mut reports = Vec::new();
    for target in &targets {
        let checks =
            match RemoteHost::connect(target, &SshOptions::from_env(policy), sink.clone()).await {
                Ok(mut host) => {
                    let mut checks = vec![ssh_ok(policy)];
                    checks.extend(remote_checks(&mut host, model_role(opts.role), &join).await);
                    host.close().await;
                    checks
                }
                Err(e) => vec![Check::fail("ssh", e.to_string(), "")],
            };
        reports.push(HostReport::new(
            target.to_string(),
            model_role(opts.role),
            checks,
        ));
    }
    Ok(reports)
}

pub fn ssh_ok(policy: HostKeyPolicy) -> Check {
    Check::ok(
        "ssh",
        match policy {
            HostKeyPolicy::Strict => "connected; the host key matches known_hosts",
            HostKeyPolicy::AcceptAny => {
                "connected; the host key was not checked (--insecure-allow-unknown-hosts)"
            }
        },
    )
}

/// The components `initialize` installs for `ingress_class` (default: the stored one).
fn components(props: &ResolvedProperties, ingress_class: Option<&str>) -> Vec<String> {
    let ingress = ingress_class
        .unwrap_or(props.ingress_class().as_str())
        .to_owned();
    crate::render::components::COMPONENT_CHARTS
        .iter()
        .filter(|c| !crate::render::components::ingress_mismatch(c.release, &ingress))
        .map(|c| c.release.to_owned())
        .collect()
}

/// This host as the cluster's first server (what `initialize` needs).
pub async fn local_report(
    store: &Store,
    server_ip: Option<IpAddr>,
    ingress_class: Option<&str>,
) -> Result<HostReport> {
    let props = store.scheduler_k3s_properties(None)?;
    let loc = K3sLocations::from_env();
    let record = state::read(store)?;
    let installed = loc.k3s_bin.exists() && std::path::Path::new(props.kubeconfig_path()).exists();
    let address = match server_ip.or_else(|| {
        installed
            .then(|| record.server_ip.as_deref().and_then(k3s::parse_ip))
            .flatten()
    }) {
        Some(ip) => ServerAddress::Flag {
            ip,
            interface: installer::interface_holding(ip),
        },
        None => match interface_ipv4(props.network_interface()) {
            Ok(ip) => ServerAddress::Interface {
                name: props.network_interface().to_owned(),
                ip,
            },
            Err(e) => ServerAddress::Missing(format!("{e:#}")),
        },
    };
    let output = run_local_probe(&probe_args(
        &loc.k3s_bin.to_string_lossy(),
        None,
        Role::FirstServer,
    ))
    .await?;
    let facts = HostFacts::parse(&output);
    let plan = Plan {
        role: Role::FirstServer,
        components: components(&props, ingress_class),
        k3s_installed_here: installed,
        server: None,
        cluster: ClusterFacts::None,
        pinned_version: None,
        clock_skew_secs: None,
        address: Some(address),
    };
    Ok(HostReport::new(
        THIS_HOST,
        Role::FirstServer,
        preflight::evaluate(&facts, &plan),
    ))
}

async fn run_local_probe(args: &[String]) -> Result<String> {
    let run = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(PROBE_SCRIPT)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .context("the preflight probe did not finish within 60 s")?
        .context("cannot run sh for the preflight probe")?;
    if !out.status.success() {
        bail!(
            "the preflight probe failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What a join needs to know of the cluster, read once for all targets.
#[derive(Debug, Clone)]
pub struct JoinContext {
    /// The address joining nodes register with, when known.
    pub server_ip: Option<IpAddr>,
    pub cluster: ClusterFacts,
    pub pinned_version: Option<String>,
}

impl JoinContext {
    /// From the cluster (if it answers), the flag, the record or the network interface.
    pub async fn gather(store: &Store, server_ip: Option<IpAddr>) -> Result<JoinContext> {
        let props = store.scheduler_k3s_properties(None)?;
        let record = state::read(store)?;
        let server_ip = server_ip
            .or_else(|| record.server_ip.as_deref().and_then(k3s::parse_ip))
            .or_else(|| interface_ipv4(props.network_interface()).ok());
        let cluster = match super::lifecycle::client(&props).await {
            Ok(client) => match nodes::list(&client).await {
                Ok(list) => ClusterFacts::Servers(nodes::server_versions(&list)),
                Err(e) => ClusterFacts::Unreachable(format!("{e:#}")),
            },
            Err(e) => ClusterFacts::Unreachable(format!("{e:#}")),
        };
        Ok(JoinContext::new(server_ip, cluster))
    }

    pub fn new(server_ip: Option<IpAddr>, cluster: ClusterFacts) -> JoinContext {
        let pinned_version = match &cluster {
            ClusterFacts::Servers(v) => k3s::lowest_version(v.iter().map(String::as_str)),
            _ => None,
        };
        JoinContext {
            server_ip,
            cluster,
            pinned_version,
        }
    }
}

/// The checks of a host berth is connected to, as a joining node of `role`.
pub async fn remote_checks(host: &mut RemoteHost, role: Role, join: &JoinContext) -> Vec<Check> {
    let args = probe_args("", join.server_ip, role);
    let mut argv = vec!["-c".to_owned(), PROBE_SCRIPT.to_owned()];
    argv.extend(args);
    let before = unix_now();
    let output = host.capture(&RemoteCommand::new("sh", argv)).await;
    let after = unix_now();
    let output = match output {
        Ok(o) => o,
        Err(e) => return vec![Check::fail("probe", e.to_string(), "")],
    };
    let facts = HostFacts::parse(&output);
    let clock_skew_secs = facts.unix_time.map(|t| t - (before + after) / 2);
    let plan = Plan {
        role,
        components: vec![],
        k3s_installed_here: false,
        server: join.server_ip,
        cluster: join.cluster.clone(),
        pinned_version: join.pinned_version.clone(),
        clock_skew_secs,
        address: None,
    };
    let mut checks = preflight::evaluate(&facts, &plan);
    if join.server_ip.is_none() {
        checks.push(Check::warn(
            "server ports",
            "no server address is known, so the connection to the server was not tested",
            "pass --server-ip",
        ));
    }
    checks
}

/// Show `report`'s checks as progress details (a fix under each warn or fail).
pub fn report_progress(report: &HostReport, progress: &dyn Reporter) {
    progress.step(&format!(
        "Preflight checks on {} ({})",
        report.host,
        report.role.as_str()
    ));
    for line in check_lines(report) {
        progress.detail(&line);
    }
}

/// The text lines of a report's checks: `ok    name  detail`, and `      fix: …` under problems.
pub fn check_lines(report: &HostReport) -> Vec<String> {
    let width = report
        .checks
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for c in &report.checks {
        lines.push(format!(
            "{:<4}  {:<width$}  {}",
            c.status.as_str(),
            c.name,
            c.detail
        ));
        if let (Some(fix), true) = (&c.fix, c.status != Status::Ok) {
            lines.push(format!("      {:<width$}  fix: {fix}", ""));
        }
    }
    lines
}

/// Refuse when a check failed: the first failure (with its fix) in one line.
pub fn refuse_on_failure(report: &HostReport) -> Result<()> {
    let mut failures = report.failures();
    let Some(first) = failures.next() else {
        return Ok(());
    };
    let more = failures.count();
    let fix = first
        .fix
        .as_deref()
        .map(|f| format!(" (fix: {f})"))
        .unwrap_or_default();
    bail!(
        "Preflight failed on {}: {}: {}{fix}{}; fix the host or pass --skip-preflight",
        report.host,
        first.name,
        first.detail,
        if more > 0 {
            format!(" — and {more} more failed check(s), listed above")
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probe is valid sh and, run on this host, reports it (uid, kernel, clock, memory,
    /// sockets); with a server address it tests each port (nothing listens on port 1 here).
    #[tokio::test]
    async fn the_probe_runs_here() {
        let out = run_local_probe(&probe_args("", None, Role::FirstServer))
            .await
            .unwrap();
        let f = HostFacts::parse(&out);
        assert!(
            f.uid.is_some() && f.kernel.is_some() && f.unix_time.is_some(),
            "{out}"
        );
        assert!(f.memory.is_some() && f.tcp_listening.is_some(), "{out}");
        assert_eq!(f.reach, Some(vec![]));
        let server = Some("127.0.0.1".parse().unwrap());
        let mut args = probe_args("", server, Role::Worker);
        *args.last_mut().unwrap() = "1".into();
        let f = HostFacts::parse(&run_local_probe(&args).await.unwrap());
        match f.reach.as_deref() {
            Some([(1, preflight::Reach::Refused(_))]) | None => {}
            other => panic!("port 1 on 127.0.0.1: {other:?}"),
        }
    }

    #[test]
    fn refusals_name_the_first_failure_and_count_the_rest() {
        let report = HostReport::new(
            "ssh://root@h:22",
            Role::Worker,
            vec![
                Check::ok("os", "Linux"),
                Check::fail("port 10250/tcp", "in use", "stop it"),
                Check::fail("clock", "late", "ntp"),
            ],
        );
        let e = refuse_on_failure(&report).unwrap_err().to_string();
        assert_eq!(
            e,
            "Preflight failed on ssh://root@h:22: port 10250/tcp: in use (fix: stop it) — and 1 more failed check(s), listed above; fix the host or pass --skip-preflight"
        );
        assert!(
            refuse_on_failure(&HostReport::new(
                "h",
                Role::Worker,
                vec![Check::warn("a", "b", "c")]
            ))
            .is_ok()
        );
        let lines = check_lines(&report);
        assert_eq!(lines[0], "ok    os              Linux");
        assert_eq!(lines[2], "                      fix: stop it");
    }
}
