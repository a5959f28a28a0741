//! `scheduler-k3s:profiles:add|list|remove` and the profile lookup of `cluster:add`. Profiles
//! are global desired state in one document; nothing here talks to the cluster.

use crate::model::InvalidValue;
use crate::model::node_profile::{NodeProfile, NodeProfiles, validate_profile_name};
use crate::ops::Ctx;
use crate::ops::error::{Error, Result};
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
    let all: NodeProfiles = ctx.store.read_json(&Scope::Global, docs::NODE_PROFILES)?;
    Ok(all.into_values().collect())
}

/// Forget profile `name` (a missing one is not an error, as in Dokku). Nodes that joined with
/// it keep their label and configuration. Returns whether it existed.
pub fn remove(ctx: &Ctx, name: &str) -> Result<bool> {
    validate_profile_name(name)?;
    let lock = ctx.store.lock(&Scope::Global, &ctx.command)?;
    let mut existed = false;
    lock.update_json(docs::NODE_PROFILES, |all: &mut NodeProfiles| {
        existed = all.remove(name).is_some();
        Ok::<_, Error>(())
    })?;
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
