//! The cluster lifecycle commands: `scheduler-k3s:initialize` (k3s server on this host + the
//! cluster components), `cluster-add` (k3s over SSH), `cluster-list`, `cluster-remove` (cordon,
//! drain, remote uninstall, delete) and `uninstall`. Each runs on its own runtime.

mod lifecycle;
pub mod node_sysctls;
pub mod preflight;
pub mod profiles;
mod teardown;

use std::sync::Arc;

pub use lifecycle::{AddOptions, InitOptions, InitOutcome};
pub use preflight::DoctorOptions;
pub use teardown::{RemoveOptions, uninstall_script};

use super::Ctx;
use super::error::Result;
use super::runtime::block_on;
pub use crate::kube::nodes::NodeInfo;
use crate::progress::Reporter;

/// `scheduler-k3s:initialize`.
pub fn initialize(ctx: &Ctx, opts: &InitOptions, r: &dyn Reporter) -> Result<InitOutcome> {
    let outcome = block_on(lifecycle::initialize(&ctx.store, &ctx.command, opts, r))?;
    apply_node_sysctls(ctx, r)?;
    Ok(outcome)
}

/// `scheduler-k3s:cluster:add`: returns the new node's name. Remote output goes to `r` as
/// detail lines.
pub fn add_node(ctx: &Ctx, opts: &AddOptions, r: Arc<dyn Reporter>) -> Result<String> {
    let opts = with_profile(&ctx.store, opts)?;
    let sink = lifecycle::progress_sink(r.clone());
    let name = block_on(lifecycle::add_node(&ctx.store, &opts, sink, r.as_ref()))?;
    apply_node_sysctls(ctx, r.as_ref())?;
    Ok(name)
}

/// Re-apply the stored node sysctls after a node joined or the cluster was set up, so the node
/// is covered whatever its profile (nothing to do when none are stored).
fn apply_node_sysctls(ctx: &Ctx, r: &dyn Reporter) -> Result<()> {
    if node_sysctls::any_stored(&ctx.store)? {
        r.step("Applying node sysctls");
        // The node has joined (or the cluster is up) either way: a failure here is reported,
        // not made the command's.
        if let Err(e) = node_sysctls::apply(&ctx.store, r) {
            r.warn(&format!(
                "the node sysctls were not applied: {} (re-apply them with any scheduler-k3s:node-sysctls:set)",
                e.with_hint()
            ));
        }
    }
    Ok(())
}

/// `opts` with its `--profile`'s stored settings under the flags given (see
/// [`crate::model::node_profile::merge`]).
fn with_profile(store: &crate::store::Store, opts: &AddOptions) -> Result<AddOptions> {
    use crate::cluster::k3s::NodeRole;
    use crate::model::node_profile::{JoinFlags, ProfileRole, merge};
    let Some(name) = &opts.profile else {
        return Ok(opts.clone());
    };
    let profile = profiles::find(store, name)?;
    let flags = JoinFlags {
        role: opts.role.map(|r| match r {
            NodeRole::Server => ProfileRole::Server,
            NodeRole::Worker => ProfileRole::Worker,
        }),
        allow_unknown_hosts: opts.insecure_allow_unknown_hosts,
        taint_scheduling: opts.taint_scheduling,
        kubelet_args: opts.kubelet_args.clone(),
    };
    let merged = merge(Some(&profile), &flags);
    Ok(AddOptions {
        role: merged.role.map(|r| match r {
            ProfileRole::Server => NodeRole::Server,
            ProfileRole::Worker => NodeRole::Worker,
        }),
        insecure_allow_unknown_hosts: merged.allow_unknown_hosts,
        taint_scheduling: merged.taint_scheduling,
        kubelet_args: merged.kubelet_args,
        ..opts.clone()
    })
}

/// `scheduler-k3s:doctor`: one report per host, nothing changed anywhere.
pub fn doctor(
    ctx: &Ctx,
    opts: &DoctorOptions,
    r: Arc<dyn Reporter>,
) -> Result<Vec<crate::model::preflight::HostReport>> {
    let sink = lifecycle::progress_sink(r);
    block_on(preflight::doctor(&ctx.store, opts, sink))
}

/// `scheduler-k3s:cluster:list`: one row per Node, sorted by name.
pub fn list_nodes(ctx: &Ctx) -> Result<Vec<NodeInfo>> {
    block_on(lifecycle::list_nodes(&ctx.store))
}

/// `scheduler-k3s:cluster:remove`.
pub fn remove_node(ctx: &Ctx, opts: &RemoveOptions, r: Arc<dyn Reporter>) -> Result<()> {
    let sink = lifecycle::progress_sink(r.clone());
    block_on(teardown::remove_node(&ctx.store, opts, sink, r.as_ref()))
}

/// `scheduler-k3s:uninstall` (the caller has asked for confirmation).
pub fn uninstall(ctx: &Ctx, r: &dyn Reporter) -> Result<()> {
    block_on(teardown::uninstall(&ctx.store, &ctx.command, r))
}
