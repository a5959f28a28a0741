//! `apps:*`: create, destroy, rename, clone. Each takes the app locks, changes berth's state and
//! keeps the cluster in step: a destroy removes the app's objects, jobs and release records; a
//! rename redeploys under the new name and removes the old one's objects; a clone can deploy.

use anyhow::anyhow;

use super::Ctx;
use super::connect::{connect, connect_if_configured};
use super::error::Result;
use super::lock::{LockWait, lock_app, lock_pair};
use super::release;
use super::runtime::block_on;
use crate::model::AppName;
use crate::progress::Reporter;
use crate::store::Scope;

/// `apps:create`.
pub fn create(ctx: &Ctx, app: &AppName, r: &dyn Reporter) -> Result<()> {
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    ctx.store.create_app(&lock)?;
    r.info(&format!("Creating {app}..."));
    Ok(())
}

/// `apps:destroy` (the caller has asked for confirmation): a deploy in progress finishes first,
/// then the cluster side goes (unless `skip_cluster`), then berth's state.
pub fn destroy(ctx: &Ctx, app: &AppName, skip_cluster: bool, r: &dyn Reporter) -> Result<()> {
    ctx.store.require_app(app)?;
    let lock = lock_app(ctx, app, LockWait::DeployTimeout)?;
    r.info(&format!("Destroying {app}"));
    if !skip_cluster {
        remove_from_cluster(ctx, app, r)?;
    }
    ctx.store.destroy_app(&lock)?;
    Ok(())
}

/// Dokku's `scheduler-post-delete`: delete the app's objects, jobs and release records from its
/// namespace. No kubeconfig means no cluster was ever set up: skip with a warning, as the original
/// does when k3s is not installed. An unreachable cluster stops the destroy (state kept) unless
/// `--skip-cluster` is given.
fn remove_from_cluster(ctx: &Ctx, app: &AppName, r: &dyn Reporter) -> Result<()> {
    let props = ctx.store.scheduler_k3s_properties(Some(app))?;
    let kubeconfig = props.kubeconfig_path();
    if !std::path::Path::new(kubeconfig).exists() {
        r.warn(&format!(
            "kubeconfig {kubeconfig} does not exist (no cluster set up), skipping cluster cleanup"
        ));
        return Ok(());
    }
    let removed = block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        release::destroy(&cluster, r).await
    })
    .map_err(|e| {
        let e = e.with_hint();
        anyhow!("{e} (berth's state of the app is kept; pass --skip-cluster to remove only that)")
    })?;
    r.verbose(&format!(
        "Removed {} objects from namespace {}{}",
        removed.len(),
        props.namespace(),
        kinds_summary(&removed)
    ));
    Ok(())
}

/// `: 2 Deployment, 1 Service` for `Kind/name` entries, in kind order; empty for none.
fn kinds_summary(removed: &[String]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for key in removed {
        *counts
            .entry(key.split('/').next().unwrap_or(key))
            .or_default() += 1;
    }
    if counts.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(": {}", parts.join(", "))
}

/// `apps:rename`: move the state, then deploy a deployed app under the new name (unless
/// `skip_deploy`) and remove the old name's objects and records, so no orphan is left. With an
/// unreachable cluster nothing changes.
pub fn rename(
    ctx: &Ctx,
    old: &AppName,
    new: &AppName,
    skip_deploy: bool,
    r: &dyn Reporter,
) -> Result<()> {
    ctx.store.require_app(old)?;
    let (from, to) = lock_pair(ctx, old, new)?;
    r.info(&format!("Renaming {old} to {new}"));
    // The store's own one-line error, not a chain that repeats its source.
    let rename_state = || {
        ctx.store
            .rename_app(&from, &to)
            .map_err(|e| anyhow!(e.to_string()))
    };
    block_on(async {
        let Some(old_cluster) = connect_if_configured(&ctx.store, old).await? else {
            return rename_state();
        };
        let image = release::deployed_image_of(&old_cluster).await?;
        rename_state()?;
        if let Some(image) = image {
            if !skip_deploy {
                let new_cluster = connect(&ctx.store, new).await?;
                release::deploy_image(&to, &new_cluster, &image, r).await?;
            }
            release::destroy(&old_cluster, r).await?;
        }
        Ok(())
    })
}

/// What `apps:clone` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cloned {
    /// `--ignore-existing` and the new app exists: nothing was done.
    Skipped,
    /// The state was copied; with `--deploy`, the revision the clone runs.
    Copied { revision: Option<u32> },
}

/// `apps:clone`: copy the state, and with `deploy` deploy the clone with the source app's
/// deployed image.
pub fn clone(
    ctx: &Ctx,
    old: &AppName,
    new: &AppName,
    deploy: bool,
    ignore_existing: bool,
    r: &dyn Reporter,
) -> Result<Cloned> {
    ctx.store.require_app(old)?;
    if ignore_existing && ctx.store.app_exists(new) {
        r.warn(&format!("App {new} already exists, skipping clone"));
        return Ok(Cloned::Skipped);
    }
    let (from, to) = lock_pair(ctx, old, new)?;
    r.info(&format!("Cloning {old} to {new}"));
    ctx.store.clone_app(&from, &to)?;
    if !deploy {
        return Ok(Cloned::Copied { revision: None });
    }
    let done = block_on(async {
        let source = connect(&ctx.store, old).await?;
        let image = release::deployed_image_of(&source).await?.ok_or_else(|| {
            anyhow!("App {old} is not deployed: nothing to deploy the clone {new} with")
        })?;
        let target = connect(&ctx.store, new).await?;
        // Dokku keeps a clone whose deploy failed; so does berth, and says how to go on.
        release::deploy_image(&to, &target, &image, r)
            .await
            .map_err(|e| {
                let e = crate::kube::errors::with_hint(&e);
                anyhow!(
                    "{new} was cloned from {old} and is kept, but deploying it failed: {e} (deploy it with: berth deploy {new} --image {image}, or remove it with: berth apps:destroy {new} --force)"
                )
            })
    })?;
    Ok(Cloned::Copied {
        revision: Some(done.revision),
    })
}

/// `apps:lock` (`true`) / `apps:unlock` (`false`): deploys, restarts and rollbacks of the app
/// are refused while it is locked. Returns whether the app was locked before.
pub fn set_deploy_lock(ctx: &Ctx, app: &AppName, locked: bool) -> Result<bool> {
    ctx.store.require_app(app)?;
    let was = ctx.store.deploy_locked(app)?;
    if was == locked {
        return Ok(was);
    }
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    if locked {
        lock.write_text(
            crate::store::docs::DEPLOY_LOCK,
            &format!("locked by {} at {}\n", ctx.command, jiff::Timestamp::now()),
        )?;
    } else {
        lock.remove(crate::store::docs::DEPLOY_LOCK)?;
    }
    Ok(was)
}

#[cfg(test)]
mod tests {
    use super::kinds_summary;

    #[test]
    fn removed_objects_are_summarised_per_kind() {
        let removed =
            ["Deployment/a-web", "Service/a-web", "Deployment/a-worker"].map(String::from);
        assert_eq!(kinds_summary(&removed), ": 2 Deployment, 1 Service");
        assert_eq!(kinds_summary(&[]), "");
    }
}
