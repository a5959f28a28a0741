//! `scheduler-k3s:profiles:add|list|remove` and the profile lookup of `cluster:add`. Profiles
//! are global desired state in one document; nothing here talks to the cluster.

use crate::model::InvalidValue;
use crate::model::node_profile::{NodeProfile, NodeProfiles, validate_profile_name};
use crate::ops::Ctx;
use crate::ops::error::{Error, Result};
use crate::progress::Reporter;
use crate::store::{Scope, Store, docs};

/// Store `profile` (replacing one of the same name).
pub fn add(ctx: &Ctx, profile: NodeProfile) -> Result<()> {
    validate_profile_name(&profile.name)?;
    let lock = ctx.store.lock(&Scope::Global, &ctx.command)?;
    lock.update_json(docs::NODE_PROFILES, |all: &mut NodeProfiles| {
        all.insert(profile.name.clone(), profile);
        Ok::<_, Error>(())
    })
}

/// Every stored profile, sorted by name.
pub fn list(ctx: &Ctx) -> Result<Vec<NodeProfile>> {
    list_in(&ctx.store)
}

pub(super) fn list_in(store: &Store) -> Result<Vec<NodeProfile>> {
    let all: NodeProfiles = store.read_json(&Scope::Global, docs::NODE_PROFILES)?;
    Ok(all.into_values().collect())
}

/// Forget profile `name` (a missing one is not an error, as in Dokku) and its node sysctls,
/// whose DaemonSet is deleted when a cluster is configured. Nodes that joined with it keep
/// their label and configuration (and the sysctl values, until they reboot). Returns whether
/// it existed.
pub fn remove(ctx: &Ctx, name: &str, r: &dyn Reporter) -> Result<bool> {
    validate_profile_name(name)?;
    let mut existed = false;
    {
        let lock = ctx.store.lock(&Scope::Global, &ctx.command)?;
        lock.update_json(docs::NODE_PROFILES, |all: &mut NodeProfiles| {
            existed = all.remove(name).is_some();
            Ok::<_, Error>(())
        })?;
    }
    super::node_sysctls::forget_profile(&ctx.store, &ctx.command, name)?;
    if let Err(e) = super::node_sysctls::apply(&ctx.store, r) {
        r.warn(&format!(
            "the node sysctls DaemonSet of profile {name} was not removed: {}",
            e.with_hint()
        ));
    }
    Ok(existed)
}

/// The stored profile `name`, or Dokku's `Node profile <p> not found`.
pub fn find(store: &Store, name: &str) -> Result<NodeProfile> {
    validate_profile_name(name)?;
    let all: NodeProfiles = store.read_json(&Scope::Global, docs::NODE_PROFILES)?;
    all.get(name)
        .cloned()
        .ok_or_else(|| InvalidValue::new(format!("Node profile {name} not found")).into())
}
