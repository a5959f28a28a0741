//! The cluster lifecycle commands as functions of the store, the settings and a progress sink:
//! `initialize` (k3s server on this host + cluster components), `add_node` (k3s over SSH),
//! `remove_node` (cordon, drain, remote uninstall, delete), `uninstall` and `kubeconfig_for_export`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use kube::{Client, ResourceExt};

use super::preflight;
use crate::cluster::installer::{self, interface_ipv4};
use crate::cluster::k3s::{
    self, ANNOTATION_REMOTE_HOST, K3sLocations, LABEL_ENABLE_LB, LABEL_NODE_PROFILE,
    LABEL_WORKER_ROLE, NodeJoin, NodeRole, ServerInit, parse_ip,
};
use crate::cluster::state::{self, ClusterRecord};
use crate::kube::jobs::random_suffix;
use crate::kube::nodes;
use crate::model::preflight::{ClusterFacts, HostReport};
use crate::model::properties::ResolvedProperties;
use crate::progress::Reporter;
use crate::ssh::{HostKeyPolicy, OutputSink, RemoteCommand, RemoteHost, SshOptions, SshTarget};
use crate::store::{Scope, Store};

pub(crate) fn detail_fn(p: &dyn Reporter) -> impl Fn(&str) + Send + Sync + '_ {
    move |line: &str| p.detail(line)
}

/// A kube client for the global kubeconfig-path / kube-context, checked with one request.
pub async fn client(props: &ResolvedProperties) -> Result<Client> {
    crate::kube::client::connect_client(props.kubeconfig_path(), props.kube_context()).await
}

/// Options of `scheduler-k3s:initialize`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub server_ip: Option<IpAddr>,
    pub taint_scheduling: bool,
    /// `None`: keep the stored ingress-class (default nginx).
    pub ingress_class: Option<String>,
    pub kubelet_args: Vec<String>,
    /// Deadline for the API server and the node to become Ready.
    pub timeout: Duration,
    /// Do not run the preflight checks first.
    pub skip_preflight: bool,
}

/// What `initialize` did.
#[derive(Debug, Clone)]
pub struct InitOutcome {
    pub node_name: String,
    pub server_ip: IpAddr,
    pub installed_k3s: bool,
    pub generated_token: bool,
    pub ingress_class: String,
}

fn is_installed(loc: &K3sLocations, props: &ResolvedProperties) -> bool {
    loc.k3s_bin.exists() && Path::new(props.kubeconfig_path()).exists()
}

/// Install k3s as the first server on this host (unless it already is) and bring the cluster to
/// berth's shape; safe to re-run: every step that has nothing to do says so.
pub async fn initialize(
    store: &Store,
    command: &str,
    opts: &InitOptions,
    progress: &dyn Reporter,
) -> Result<InitOutcome> {
    if !installer::is_root() {
        bail!(
            "scheduler-k3s:initialize must run as root: it installs k3s and its system services on this host (run it with sudo)"
        );
    }
    if !opts.skip_preflight {
        let report =
            preflight::local_report(store, opts.server_ip, opts.ingress_class.as_deref()).await?;
        preflight::report_progress(&report, progress);
        preflight::refuse_on_failure(&report)?;
    }
    let lock = store.lock(&Scope::Global, command)?;
    let loc = K3sLocations::from_env();
    let props = store.scheduler_k3s_properties(None)?;
    let record = state::read(store)?;
    let installed = is_installed(&loc, &props);

    let server_ip = match opts.server_ip {
        Some(ip) => ip,
        None => match record.server_ip.as_deref().and_then(parse_ip) {
            Some(ip) if installed => ip,
            _ => interface_ipv4(props.network_interface())?,
        },
    };
    progress.detail(&format!("Using server ip address: {server_ip}"));

    let ingress_class = opts
        .ingress_class
        .clone()
        .unwrap_or_else(|| props.ingress_class().as_str().to_owned());
    if ingress_class != props.ingress_class().as_str()
        || props.get("ingress-class").global.is_empty()
    {
        progress.step(&format!("Setting ingress-class to {ingress_class}"));
        lock.set_scheduler_k3s_property("ingress-class", Some(&ingress_class))?;
    }

    let (token, generated_token) = match props.token() {
        Some(t) => (t.to_owned(), false),
        None => {
            let t = hex::encode(rand::random::<[u8; 16]>());
            lock.set_scheduler_k3s_property("token", Some(&t))?;
            progress.step(
                "Generated a cluster join token (stored 0600; `berth scheduler-k3s:report --global --scheduler-k3s-global-token` prints it)",
            );
            (t, true)
        }
    };

    let node_name = match (&record.node_name, installed) {
        (Some(n), true) => n.clone(),
        _ => k3s::node_name(&server_ip.to_string(), &random_suffix()),
    };

    if let Some(yaml) = k3s::registries_yaml(&store.registry_logins(&Scope::Global)?) {
        let path = loc.config_dir.join("registries.yaml");
        progress.step(&format!(
            "Writing registry logins to {} (0600){}",
            path.display(),
            if installed {
                "; restart k3s for containerd to use changed logins"
            } else {
                ""
            }
        ));
        crate::store::ensure_dir(&loc.config_dir)?;
        crate::store::write_atomic(&path, yaml.as_bytes(), crate::store::Secrecy::Secret)?;
    }

    if installed {
        progress.step(&format!(
            "k3s is already installed ({} and {} exist): skipping the installer",
            loc.k3s_bin.display(),
            props.kubeconfig_path()
        ));
    } else {
        progress.step(&format!("Downloading k3s installer ({})", loc.installer));
        let script = installer::fetch(&loc.installer).await?;
        let args = k3s::server_init_args(&ServerInit {
            node_name: &node_name,
            server_ip,
            taint_scheduling: opts.taint_scheduling,
            kubelet_args: &opts.kubelet_args,
        });
        progress.step(&format!("Running k3s installer for server {node_name}"));
        installer::run_script(
            &script,
            &args,
            &[("K3S_TOKEN", &token)],
            &detail_fn(progress),
        )
        .await?;
    }

    progress.step("Waiting for the Kubernetes API");
    let client = wait_for_api(&props, opts.timeout).await?;
    let node_name = if installed && record.node_name.is_none() {
        // k3s was installed by something else: adopt its (single) server node.
        adopt_server(&client).await?
    } else {
        node_name
    };
    progress.step(&format!("Waiting for node {node_name} to be Ready"));
    nodes::wait_ready(&client, &node_name, opts.timeout).await?;
    progress.step(&format!("Labeling node {LABEL_ENABLE_LB}=true"));
    nodes::label(
        &client,
        &node_name,
        &BTreeMap::from([(LABEL_ENABLE_LB.to_owned(), "true".to_owned())]),
        &BTreeMap::new(),
    )
    .await?;

    progress.step("Installing cluster components (k3s HelmCharts)");
    let overrides = store.chart_overrides()?;
    let outcomes = crate::kube::charts::ensure_components(
        &client,
        &ingress_class,
        &overrides,
        &crate::kube::charts::EnsureOptions {
            force: false,
            only: Vec::new(),
            wait: None,
            vector_sinks: crate::ops::logs::vector_sinks(store)?,
        },
        &detail_fn(progress),
    )
    .await?;
    for o in &outcomes {
        progress.detail(&describe_outcome(o));
    }

    let new_record = ClusterRecord {
        server_ip: Some(server_ip.to_string()),
        node_name: Some(node_name.clone()),
        ingress_class: Some(ingress_class.clone()),
        initialized_at: record
            .initialized_at
            .clone()
            .or_else(|| Some(jiff::Timestamp::now().to_string())),
    };
    state::write(&lock, &new_record)?;
    Ok(InitOutcome {
        node_name,
        server_ip,
        installed_k3s: !installed,
        generated_token,
        ingress_class,
    })
}

/// The server node of a k3s berth did not install; only an unambiguous one is adopted.
async fn adopt_server(client: &Client) -> Result<String> {
    let servers: Vec<String> = nodes::list(client)
        .await?
        .iter()
        .filter(|n| nodes::is_server(n))
        .map(|n| n.name_any())
        .collect();
    match servers.as_slice() {
        [only] => Ok(only.clone()),
        _ => bail!(
            "k3s is installed here but not by berth, and its cluster has {} server nodes ({}): berth cannot tell which one is this host",
            servers.len(),
            servers.join(", ")
        ),
    }
}

fn describe_outcome(o: &crate::kube::charts::ComponentOutcome) -> String {
    use crate::kube::charts::ComponentOutcome as C;
    match o {
        C::Installed { release, version } => format!("{release}@{version}: installed"),
        C::Upgraded { release, from, to } => format!("{release}: upgraded {from} -> {to}"),
        C::Unchanged { release, version } => {
            format!("{release}@{version}: already installed, skipped")
        }
        C::SkippedIngressMismatch { release } => {
            format!("{release}: skipped (not the cluster's ingress-class)")
        }
    }
}

/// Connect to the API server, retrying while a freshly installed k3s starts (bounded by
/// `timeout`): there is nothing to watch before the API answers.
async fn wait_for_api(props: &ResolvedProperties, timeout: Duration) -> Result<Client> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match client(props).await {
            Ok(c) => return Ok(c),
            Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
}

/// Options of `scheduler-k3s:cluster:add`.
#[derive(Debug, Clone)]
pub struct AddOptions {
    pub url: String,
    /// `--role`, when given (else the profile's, else worker).
    pub role: Option<NodeRole>,
    /// `--profile`: the stored node profile supplying defaults, and the node's
    /// `dokku.com/node-profile` label.
    pub profile: Option<String>,
    pub taint_scheduling: bool,
    pub insecure_allow_unknown_hosts: bool,
    pub server_ip: Option<IpAddr>,
    pub kubelet_args: Vec<String>,
    pub timeout: Duration,
    /// Do not run the preflight checks on the host first.
    pub skip_preflight: bool,
}

impl AddOptions {
    /// The role the node joins as.
    pub fn role(&self) -> NodeRole {
        self.role.unwrap_or(NodeRole::Worker)
    }
}

/// The server address joining nodes use: the flag, the recorded one, or the interface's.
fn join_server_ip(
    flag: Option<IpAddr>,
    record: &ClusterRecord,
    props: &ResolvedProperties,
) -> Result<IpAddr> {
    if let Some(ip) = flag {
        return Ok(ip);
    }
    if let Some(ip) = record.server_ip.as_deref().and_then(parse_ip) {
        return Ok(ip);
    }
    interface_ipv4(props.network_interface())
}

/// The fixed remote wrapper: reads the token from a private file into `K3S_TOKEN` (so it is never
/// an argument), pins `INSTALL_K3S_VERSION` when known, and runs the uploaded installer with the
/// join arguments. Every value reaches it as a positional argument, never inside this text.
const REMOTE_INSTALL_WRAPPER: &str = r#"dir=$1; version=$2; shift 2
K3S_TOKEN=$(cat "$dir/token") || exit 1
export K3S_TOKEN
if [ -n "$version" ]; then INSTALL_K3S_VERSION=$version; export INSTALL_K3S_VERSION; fi
exec sh "$dir/install.sh" "$@""#;

/// The addresses `target`'s host resolves to (empty when it does not resolve: then only the
/// canonical spelling is compared).
async fn resolved_addresses(target: &SshTarget) -> std::collections::BTreeSet<std::net::IpAddr> {
    match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
        Ok(addrs) => addrs.map(|a| a.ip()).collect(),
        Err(_) => Default::default(),
    }
}

/// Join `opts.url` to the cluster as a worker or server; returns the new node's name.
pub async fn add_node(
    store: &Store,
    opts: &AddOptions,
    sink: OutputSink,
    progress: &dyn Reporter,
) -> Result<String> {
    // Everything about the input is checked before any connection.
    let target = SshTarget::parse(&opts.url)?;
    if opts.taint_scheduling && opts.role() == NodeRole::Worker {
        bail!("--taint-scheduling can only be used with --role server");
    }
    let props = store.scheduler_k3s_properties(None)?;
    let token = props.token().map(str::to_owned).ok_or_else(|| {
        anyhow!(
            "Missing k3s token: run scheduler-k3s:initialize first, or set the cluster's token with: berth scheduler-k3s:set --global token <token>"
        )
    })?;
    let record = state::read(store)?;
    let loc = K3sLocations::from_env();

    let client = client(&props)
        .await
        .context("kubernetes api not available, cannot add node to cluster")?;
    let existing = nodes::list(&client).await?;
    let wanted = resolved_addresses(&target).await;
    for n in &existing {
        let Some(known) = n
            .annotations()
            .get(ANNOTATION_REMOTE_HOST)
            .and_then(|u| SshTarget::parse(u).ok())
        else {
            continue;
        };
        // Same node whatever the spelling: `127.1`, `localhost` and `127.0.0.1` on one port are
        // one host.
        let same = known.port == target.port
            && (known.host == target.host
                || !resolved_addresses(&known).await.is_disjoint(&wanted));
        if same {
            bail!(
                "{target} is already node {} of this cluster (added as {known}; remove it first with: berth scheduler-k3s:cluster:remove {})",
                n.name_any(),
                n.name_any()
            );
        }
    }
    let server_ip = join_server_ip(opts.server_ip, &record, &props)?;
    let version = k3s::lowest_version(nodes::server_versions(&existing).iter().map(String::as_str));
    let script = installer::fetch(&loc.installer).await?;
    let registries = k3s::registries_yaml(&store.registry_logins(&Scope::Global)?);

    let policy = if opts.insecure_allow_unknown_hosts {
        HostKeyPolicy::AcceptAny
    } else {
        HostKeyPolicy::Strict
    };
    progress.step(&format!(
        "Joining {target} to k3s cluster as {}",
        opts.role().as_str()
    ));
    let mut host = RemoteHost::connect(&target, &SshOptions::from_env(policy), sink).await?;
    if !opts.skip_preflight {
        let join = preflight::JoinContext::new(
            Some(server_ip),
            ClusterFacts::Servers(nodes::server_versions(&existing)),
        );
        let role = preflight::model_role(opts.role());
        let mut checks = vec![preflight::ssh_ok(policy)];
        checks.extend(preflight::remote_checks(&mut host, role, &join).await);
        let report = HostReport::new(target.to_string(), role, checks);
        preflight::report_progress(&report, progress);
        if let Err(e) = preflight::refuse_on_failure(&report) {
            host.close().await;
            return Err(e);
        }
    }
    let result = join_remote(
        &mut host,
        &target,
        opts,
        JoinPayload {
            script: &script,
            token: &token,
            registries: registries.as_deref(),
            config_dir: &loc.config_dir,
        },
        version.as_deref(),
        server_ip,
        progress,
    )
    .await;
    host.close().await;
    let node_name = result?;

    progress.step(&format!("Waiting for node {node_name} to be Ready"));
    nodes::wait_ready(&client, &node_name, opts.timeout).await?;
    let mut labels = BTreeMap::new();
    match opts.role() {
        NodeRole::Server => labels.insert(LABEL_ENABLE_LB.to_owned(), "true".to_owned()),
        NodeRole::Worker => labels.insert(LABEL_WORKER_ROLE.to_owned(), "worker".to_owned()),
    };
    // Never an empty value: a node without a profile has no label.
    if let Some(profile) = &opts.profile {
        labels.insert(LABEL_NODE_PROFILE.to_owned(), profile.clone());
    }
    progress.step("Annotating node with connection information");
    nodes::label(
        &client,
        &node_name,
        &labels,
        &BTreeMap::from([(ANNOTATION_REMOTE_HOST.to_owned(), target.to_string())]),
    )
    .await?;
    Ok(node_name)
}

/// What `cluster-add` uploads to the joining host.
struct JoinPayload<'a> {
    script: &'a [u8],
    token: &'a str,
    /// `registries.yaml` for the global registry logins, if any.
    registries: Option<&'a str>,
    /// k3s's configuration directory on the host.
    config_dir: &'a Path,
}

async fn join_remote(
    host: &mut RemoteHost,
    target: &SshTarget,
    opts: &AddOptions,
    payload: JoinPayload<'_>,
    version: Option<&str>,
    server_ip: IpAddr,
    progress: &dyn Reporter,
) -> Result<String> {
    host.ensure_root().await?;
    let dir = host
        .capture(&RemoteCommand::new("mktemp", ["-d", "/tmp/berth-k3s.XXXXXXXX"]).as_root())
        .await?
        .trim()
        .to_owned();
    if dir.is_empty() || !dir.starts_with("/tmp/berth-k3s.") {
        bail!("mktemp on {target} returned an unexpected directory {dir:?}");
    }
    let outcome = async {
        progress.step("Uploading k3s installer");
        host.run(
            &RemoteCommand::new("dd", [format!("of={dir}/install.sh"), "status=none".into()])
                .as_root()
                .stdin(payload.script.to_vec()),
        )
        .await?;
        host.run(
            &RemoteCommand::new("dd", [format!("of={dir}/token"), "status=none".into()])
                .as_root()
                .stdin(payload.token.as_bytes().to_vec()),
        )
        .await?;
        if let Some(yaml) = payload.registries {
            let path = payload.config_dir.join("registries.yaml");
            progress.step(&format!(
                "Writing registry logins to {} (0600)",
                path.display()
            ));
            host.run(
                &RemoteCommand::new(
                    "install",
                    [
                        "-D".to_owned(),
                        "-m".to_owned(),
                        "0600".to_owned(),
                        "/dev/stdin".to_owned(),
                        path.to_string_lossy().into_owned(),
                    ],
                )
                .as_root()
                .stdin(yaml.as_bytes().to_vec()),
            )
            .await?;
        }
        let node_name = k3s::node_name(&target.host, &random_suffix());
        let args = k3s::join_args(&NodeJoin {
            role: opts.role(),
            node_name: &node_name,
            server_ip,
            taint_scheduling: opts.taint_scheduling,
            kubelet_args: &opts.kubelet_args,
            labels: &[],
        });
        progress.step(&format!(
            "Adding {node_name} to the k3s cluster{}",
            version
                .map(|v| format!(" (k3s {v}, the servers' version)"))
                .unwrap_or_default()
        ));
        let mut argv = vec![
            "-c".to_owned(),
            REMOTE_INSTALL_WRAPPER.to_owned(),
            "sh".to_owned(),
            dir.clone(),
            version.unwrap_or("").to_owned(),
        ];
        argv.extend(args);
        host.run(&RemoteCommand::new("sh", argv).as_root()).await?;
        anyhow::Ok(node_name)
    }
    .await;
    // The directory holds the token: remove it whatever happened.
    let cleanup = host
        .capture(&RemoteCommand::new("rm", ["-rf", "--", dir.as_str()]).as_root())
        .await;
    let node_name = outcome?;
    if let Err(e) = cleanup {
        progress.warn(&format!("could not remove {dir} on {target}: {e}"));
    }
    Ok(node_name)
}

/// An SSH output sink that prints remote lines (already host-prefixed) as progress details.
pub fn progress_sink(progress: Arc<dyn Reporter>) -> OutputSink {
    Arc::new(move |line: &str| progress.detail(line))
}

/// `cluster-list`: one row per Node, sorted by name.
pub async fn list_nodes(store: &Store) -> Result<Vec<nodes::NodeInfo>> {
    let props = store.scheduler_k3s_properties(None)?;
    let client = client(&props)
        .await
        .context("kubernetes api not available, cannot list cluster nodes")?;
    Ok(nodes::list(&client)
        .await?
        .iter()
        .map(nodes::node_info)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the wrapper with sh, as the remote host does: the token reaches the installer only
    /// through `K3S_TOKEN`, the version through `INSTALL_K3S_VERSION`, and hostile arguments
    /// arrive literally (no expansion, no word splitting).
    #[test]
    fn the_remote_wrapper_passes_token_version_and_arguments_literally() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("token"), "s3cr3t").unwrap();
        std::fs::write(
            d.join("install.sh"),
            "printf 'token=%s version=%s\\n' \"$K3S_TOKEN\" \"${INSTALL_K3S_VERSION-unset}\"\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n",
        )
        .unwrap();
        let run = |version: &str| {
            let out = std::process::Command::new("sh")
                .args(["-c", REMOTE_INSTALL_WRAPPER, "sh"])
                .arg(d)
                .arg(version)
                .args(["agent", "$(touch pwned)", "a b", "--node-name", "n;x"])
                .env_remove("K3S_TOKEN")
                .env_remove("INSTALL_K3S_VERSION")
                .current_dir(d)
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(
            run("v1.31.4+k3s1"),
            "token=s3cr3t version=v1.31.4+k3s1\n[agent]\n[$(touch pwned)]\n[a b]\n[--node-name]\n[n;x]\n"
        );
        assert!(run("").starts_with("token=s3cr3t version=unset\n"));
        assert!(!d.join("pwned").exists());
    }
}
