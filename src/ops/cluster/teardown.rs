//! Taking nodes out: `cluster-remove` (cordon, PodDisruptionBudget-respecting drain, k3s's
//! uninstall script over SSH, delete the Node) and `uninstall` on this host.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use kube::ResourceExt;

use super::lifecycle::detail_fn;
use crate::cluster::installer;
use crate::cluster::k3s::{self, ANNOTATION_REMOTE_HOST, K3sLocations, NodeRole};
use crate::cluster::state;
use crate::kube::nodes;
use crate::progress::Reporter;
use crate::ssh::{HostKeyPolicy, OutputSink, RemoteCommand, RemoteHost, SshOptions, SshTarget};
use crate::store::{Scope, Store};

/// Options of `scheduler-k3s:cluster:remove`.
#[derive(Debug, Clone)]
pub struct RemoveOptions {
    pub node: String,
    pub drain_timeout: Duration,
    pub insecure_allow_unknown_hosts: bool,
    /// Do not run k3s's uninstall script on the node (it is gone, or will be wiped).
    pub no_uninstall: bool,
}

/// Removing the only server would destroy the cluster (and its etcd).
fn refuse_last_server(node: &str, role: NodeRole, servers: usize) -> Result<()> {
    if role == NodeRole::Server && servers <= 1 {
        bail!(
            "{node} is the cluster's last server: removing it would destroy the cluster (use scheduler-k3s:uninstall on that host instead)"
        );
    }
    Ok(())
}

/// Cordon, drain, uninstall k3s over SSH (nodes added by berth or Dokku) and delete `opts.node`.
pub async fn remove_node(
    store: &Store,
    opts: &RemoveOptions,
    sink: OutputSink,
    progress: &dyn Reporter,
) -> Result<()> {
    if opts.node.is_empty() {
        bail!("node name is required (berth scheduler-k3s:cluster:list shows them)");
    }
    let props = store.scheduler_k3s_properties(None)?;
    // Without kube's automatic 429 retry: the drain retries blocked evictions itself, within
    // --drain-timeout, and says which budget blocks them.
    let client = crate::kube::client::connect_client_with_retry(
        props.kubeconfig_path(),
        props.kube_context(),
        false,
    )
    .await
    .context("kubernetes api not available, cannot remove node from cluster")?;
    let all = nodes::list(&client).await?;
    let Some(node) = all.iter().find(|n| n.name_any() == opts.node) else {
        let names: Vec<String> = all.iter().map(|n| n.name_any()).collect();
        bail!(
            "node {:?} is not in the cluster (its nodes: {})",
            opts.node,
            names.join(", ")
        );
    };
    let role = nodes::node_role(node);
    refuse_last_server(
        &opts.node,
        role,
        all.iter().filter(|n| nodes::is_server(n)).count(),
    )?;
    let remote = node.annotations().get(ANNOTATION_REMOTE_HOST).cloned();
    let target = match (&remote, opts.no_uninstall) {
        (Some(url), false) => Some(SshTarget::parse(url).with_context(|| {
            format!(
                "node {} has a bad {ANNOTATION_REMOTE_HOST} annotation",
                opts.node
            )
        })?),
        _ => None,
    };

    progress.step(&format!("Removing {} from k3s cluster", opts.node));
    progress.step(&format!("Cordoning {}", opts.node));
    nodes::cordon(&client, &opts.node).await?;
    progress.step(&format!(
        "Draining {} (at most {}s)",
        opts.node,
        opts.drain_timeout.as_secs()
    ));
    nodes::drain(
        &client,
        &opts.node,
        opts.drain_timeout,
        &detail_fn(progress),
    )
    .await?;

    if let Some(target) = target {
        let loc = K3sLocations::from_env();
        let script = match role {
            NodeRole::Server => loc.uninstaller,
            NodeRole::Worker => loc.agent_uninstaller,
        };
        progress.step(&format!(
            "Uninstalling k3s on {target} ({})",
            script.display()
        ));
        let policy = if opts.insecure_allow_unknown_hosts {
            HostKeyPolicy::AcceptAny
        } else {
            HostKeyPolicy::Strict
        };
        let mut host = RemoteHost::connect(&target, &SshOptions::from_env(policy), sink)
            .await
            .with_context(|| {
                format!(
                    "{} is cordoned and drained but k3s could not be uninstalled (pass --no-uninstall to delete the node anyway)",
                    opts.node
                )
            })?;
        let ran = host
            .run(&RemoteCommand::new(&script.to_string_lossy(), Vec::<String>::new()).as_root())
            .await;
        host.close().await;
        ran?;
    } else if remote.is_none() {
        progress.detail("node was not added over SSH by berth: k3s on it is left alone");
    }
    progress.step(&format!("Deleting node {}", opts.node));
    nodes::delete(&client, &opts.node).await?;
    Ok(())
}

/// Whether k3s looks installed on this host, and the uninstall script to run.
pub fn uninstall_script() -> Result<std::path::PathBuf> {
    let loc = K3sLocations::from_env();
    if !loc.uninstaller.exists() {
        bail!(
            "k3s not installed, cannot uninstall: {} does not exist ({} names another location)",
            loc.uninstaller.display(),
            k3s::ENV_UNINSTALLER
        );
    }
    Ok(loc.uninstaller)
}

/// Run k3s's uninstall script on this host and forget the cluster (the join token is kept, as in
/// Dokku, and reused by the next `initialize`).
pub async fn uninstall(store: &Store, command: &str, progress: &dyn Reporter) -> Result<()> {
    if !installer::is_root() {
        bail!(
            "scheduler-k3s:uninstall must run as root: it removes k3s and its services from this host (run it with sudo)"
        );
    }
    let script = uninstall_script()?;
    let lock = store.lock(&Scope::Global, command)?;
    progress.step("Uninstalling k3s");
    installer::run_file(&script, &[], &[], &detail_fn(progress)).await?;
    state::clear(&lock)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_server_is_never_removed() {
        let e = refuse_last_server("s1", NodeRole::Server, 1).unwrap_err();
        assert!(e.to_string().contains("s1 is the cluster's last server"));
        assert!(refuse_last_server("s1", NodeRole::Server, 2).is_ok());
        assert!(refuse_last_server("w1", NodeRole::Worker, 1).is_ok());
    }
}
