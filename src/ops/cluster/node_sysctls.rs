//! `scheduler-k3s:node-sysctls:set|report` and the reconcile every change (and `initialize`,
//! `cluster:add`, `profiles:remove`) runs: all scopes are re-applied each time, since profile
//! scopes carry the global values.

use anyhow::anyhow;

use super::profiles;
use crate::model::node_sysctls::{NodeSysctls, SysctlScope, scopes, validate_name, validate_value};
use crate::ops::Ctx;
use crate::ops::error::{Error, Result};
use crate::ops::runtime::block_on;
use crate::progress::Reporter;
use crate::render::node_sysctls::node_sysctls_daemonset;
use crate::store::{Scope, Store, docs};

/// Which nodes a sysctl is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SysctlTarget {
    /// Every node without a profile.
    Global,
    /// The nodes that joined with this profile.
    Profile(String),
}

/// The resolved scopes: global first, then one per stored profile (merged values).
pub fn report(store: &Store) -> Result<Vec<SysctlScope>> {
    let stored: NodeSysctls = store.read_json(&Scope::Global, docs::NODE_SYSCTLS)?;
    let names: Vec<String> = profiles::list_in(store)?
        .into_iter()
        .map(|p| p.name)
        .collect();
    Ok(scopes(&stored, names.iter().map(String::as_str)))
}

/// Set (`Some`) or clear (`None`) sysctl `name` for `target`, then apply every scope to the
/// cluster when one is configured. Clearing warns that the nodes keep the value until reboot.
pub fn set(
    ctx: &Ctx,
    target: &SysctlTarget,
    name: &str,
    value: Option<&str>,
    r: &dyn Reporter,
) -> Result<()> {
    validate_name(name)?;
    if let Some(v) = value {
        validate_value(name, v)?;
    }
    if let SysctlTarget::Profile(p) = target {
        profiles::find(&ctx.store, p)?;
    }
    {
        let lock = ctx.store.lock(&Scope::Global, &ctx.command)?;
        lock.update_json(docs::NODE_SYSCTLS, |s: &mut NodeSysctls| {
            let map = match target {
                SysctlTarget::Global => &mut s.global,
                SysctlTarget::Profile(p) => s.profiles.entry(p.clone()).or_default(),
            };
            match value {
                Some(v) => {
                    map.insert(name.to_owned(), v.to_owned());
                }
                None => {
                    map.remove(name);
                }
            }
            s.profiles.retain(|_, m| !m.is_empty());
            Ok::<_, Error>(())
        })?;
    }
    if value.is_none() {
        r.warn(&format!(
            "Removing {name} stops dokku managing it, but does not restore the previous value on affected nodes until they reboot"
        ));
    }
    apply(&ctx.store, r).map_err(|e| {
        anyhow!(
            "the node sysctls are saved, but the cluster's DaemonSets were not updated: {} (re-run the same scheduler-k3s:node-sysctls:set command once the cluster answers)",
            e.with_hint()
        )
        .into()
    })
}

/// Drop what profile `name` had set (its DaemonSet goes at the next [`apply`]).
pub(super) fn forget_profile(store: &Store, command: &str, name: &str) -> Result<()> {
    let lock = store.lock(&Scope::Global, command)?;
    lock.update_json(docs::NODE_SYSCTLS, |s: &mut NodeSysctls| {
        s.profiles.remove(name);
        Ok::<_, Error>(())
    })
}

/// Apply every scope (and delete the DaemonSets of emptied scopes and removed profiles). A
/// store without a kubeconfig (no cluster yet) has nothing to apply to.
pub fn apply(store: &Store, r: &dyn Reporter) -> Result<()> {
    let props = store.scheduler_k3s_properties(None)?;
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(());
    }
    let wanted: Vec<_> = report(store)?
        .iter()
        .filter(|s| !s.sysctls.is_empty())
        .map(|s| {
            let who = match &s.profile {
                None => "unprofiled nodes".to_owned(),
                Some(p) => format!("node profile {p}"),
            };
            r.detail(&format!("Applying node sysctls for {who}"));
            node_sysctls_daemonset(
                s,
                props.computed("node-sysctls-image"),
                props.computed("node-sysctls-pause-image"),
            )
        })
        .collect();
    let synced = block_on(async {
        let client =
            crate::kube::client::connect_client(props.kubeconfig_path(), props.kube_context())
                .await?;
        crate::kube::node_sysctls::sync(&client, &wanted).await
    })?;
    for name in &synced.deleted {
        r.detail(&format!("Removing node sysctls DaemonSet {name}"));
    }
    Ok(())
}

/// Whether any sysctl is stored (so `initialize` / `cluster:add` have something to apply).
pub fn any_stored(store: &Store) -> Result<bool> {
    let stored: NodeSysctls = store.read_json(&Scope::Global, docs::NODE_SYSCTLS)?;
    Ok(!stored.global.is_empty() || !stored.profiles.is_empty())
}
