//! `scheduler-k3s:history` and `scheduler-k3s:rollback`: the app's release records, and a
//! rollback to one of them.

use anyhow::anyhow;

use super::Ctx;
use super::connect::{AppCluster, connect};
use super::error::Result;
use super::lock::{LockWait, lock_app};
use super::runtime::block_on;
use crate::kube::deadline::Deadline;
use crate::kube::helm_release::HelmRelease;
use crate::kube::{deploy, history};
use crate::model::AppName;
use crate::progress::Reporter;
use crate::store::Scope;

/// Every revision of `app`, oldest first. Revisions an interrupted berth left pending are
/// marked failed first when no berth holds the app's lock (see [`repair_if_idle`]).
pub fn list(ctx: &Ctx, app: &AppName, r: &dyn Reporter) -> Result<Vec<HelmRelease>> {
    ctx.store.require_app(app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let past = history::list(&cluster.client, &cluster.namespace, app.object_name()).await?;
        repair_if_idle(ctx, &cluster, past, r).await
    })
}

/// One row of `scheduler-k3s:history`: what `helm history` shows, plus the image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Revision {
    pub revision: u32,
    pub updated: String,
    pub status: String,
    /// `<chart>-<version>`.
    pub chart: Option<String>,
    pub image: Option<String>,
    pub description: String,
}

impl From<&HelmRelease> for Revision {
    fn from(r: &HelmRelease) -> Revision {
        Revision {
            revision: r.version,
            updated: r.info.last_deployed.clone(),
            status: r.info.status.as_str().to_owned(),
            chart: r
                .chart
                .as_ref()
                .map(|c| format!("{}-{}", c.metadata.name, c.metadata.version)),
            image: r.config["global"]["image"]["name"]
                .as_str()
                .map(str::to_owned),
            description: r.info.description.clone(),
        }
    }
}

/// `scheduler-k3s:history`: the app's revisions as report rows, oldest first.
pub fn revisions(ctx: &Ctx, app: &AppName, r: &dyn Reporter) -> Result<Vec<Revision>> {
    Ok(list(ctx, app, r)?.iter().map(Revision::from).collect())
}

/// `past` with its `pending-*` revisions marked failed when the app lock is free at once: then
/// no berth is writing them, so they were left by one that was killed or lost its API server.
/// A busy lock means a deploy is running: its pending revision is real and left alone (a
/// read-only command never waits for it).
pub(super) async fn repair_if_idle(
    ctx: &Ctx,
    cluster: &AppCluster,
    past: Vec<HelmRelease>,
    r: &dyn Reporter,
) -> anyhow::Result<Vec<HelmRelease>> {
    if !past.iter().any(|rel| rel.info.status.is_pending()) {
        return Ok(past);
    }
    let scope = Scope::App(cluster.app.clone());
    let Ok(_lock) = ctx
        .store
        .lock_within(&scope, &ctx.command, std::time::Duration::ZERO)
    else {
        return Ok(past);
    };
    // Read again under the lock: the writer may have finished meanwhile.
    let mut past = history::list(
        &cluster.client,
        &cluster.namespace,
        cluster.app.object_name(),
    )
    .await?;
    let deadline = Deadline::after(cluster.deploy_timeout(), &cluster.server);
    deploy::repair_interrupted(&cluster.client, &mut past, &deadline, r).await?;
    Ok(past)
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    /// The revision rolled back to.
    pub target: u32,
    /// The new revision that now runs it.
    pub revision: u32,
    /// What of the store now matches the target (config and scale), as a sentence.
    pub restored: String,
}

/// Roll `app` back to `revision`, or (when `None`) to the last successful revision before the
/// latest one, and wait for it.
pub fn rollback(
    ctx: &Ctx,
    app: &AppName,
    revision: Option<u32>,
    wait: LockWait,
    r: &dyn Reporter,
) -> Result<RolledBack> {
    ctx.store.require_app(app)?;
    let lock = lock_app(ctx, app, wait)?;
    super::release::refuse_if_deploy_locked(&ctx.store, app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let ns = &cluster.namespace;
        let target = match revision {
            Some(rev) => rev,
            None => {
                let past = history::list(&cluster.client, ns, app.object_name()).await?;
                let latest = past
                    .iter()
                    .map(|rel| rel.version)
                    .max()
                    .ok_or_else(|| anyhow!("App {app} is not deployed"))?;
                history::rollback_target(&past).ok_or_else(|| {
                    anyhow!("{app} has no successful revision before {latest} to roll back to")
                })?
            }
        };
        let done = deploy::rollback_to(
            &cluster.client,
            ns,
            app.as_str(),
            app.object_name(),
            target,
            cluster.deploy_timeout(),
            &cluster.server,
            r,
        )
        .await?;
        // The store follows what runs, so the next ps:* or config:* builds on the rollback.
        let restored = super::release::restore_store(&lock, &cluster, done.revision)
            .await
            .unwrap_or_else(|e| {
                let e = crate::kube::errors::with_hint(&e);
                format!("the stored config and scale could not be restored: {e}")
            });
        Ok(RolledBack {
            target,
            revision: done.revision,
            restored,
        })
    })
}
