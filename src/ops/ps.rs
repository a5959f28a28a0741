//! `ps:*` on the cluster: scale, stop, start/restart/rebuild (a redeploy of the deployed image)
//! and the live state `ps:report` / `ps:inspect` show.

use std::collections::BTreeMap;

use super::Ctx;
use super::connect::{connect, connect_if_configured};
use super::error::Result;
use super::lock::{LockWait, lock_app};
use super::release::{self, Redeploy};
use super::runtime::block_on;
use crate::kube::helm_release::HelmRelease;
use crate::kube::{history, ps};
use crate::model::{AppName, ProcessType};
use crate::progress::Reporter;
use crate::store::Scope;

/// `ps:scale APP type=n…`: store the new scale and, when the app is deployed, roll it out at
/// once (unless `skip_deploy`). With an unreachable cluster nothing changes. Returns the revision
/// the app then runs, when it was rolled out.
pub fn scale(
    ctx: &Ctx,
    app: &AppName,
    changes: &BTreeMap<ProcessType, u32>,
    skip_deploy: bool,
    r: &dyn Reporter,
) -> Result<Option<u32>> {
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    let summary: Vec<String> = changes.iter().map(|(p, n)| format!("{p}={n}")).collect();
    let write_scale = || -> anyhow::Result<()> {
        lock.set_scale(changes)
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        r.info(&format!("Scaling {app} processes: {}", summary.join(" ")));
        Ok(())
    };
    if skip_deploy {
        write_scale()?;
        return Ok(None);
    }
    block_on(async {
        let cluster = connect_if_configured(&ctx.store, app).await?;
        let deployed = match &cluster {
            Some(c) => release::is_deployed(c).await?,
            None => false,
        };
        write_scale()?;
        match (cluster, deployed) {
            (Some(cluster), true) => {
                let done = release::redeploy(&ctx.store, &cluster, Redeploy::Keep, r).await?;
                Ok(Some(done.revision))
            }
            _ => Ok(None),
        }
    })
}

/// `ps:start`, `ps:restart [type]`, `ps:rebuild`: redeploy the deployed image as `mode` says and
/// wait for it. Returns the revision the app then runs.
pub fn rollout(
    ctx: &Ctx,
    app: &AppName,
    wait: LockWait,
    mode: Redeploy,
    r: &dyn Reporter,
) -> Result<u32> {
    ctx.store.require_app(app)?;
    let _lock = lock_app(ctx, app, wait)?;
    let done = block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        release::redeploy(&ctx.store, &cluster, mode, r).await
    })?;
    Ok(done.revision)
}

/// `ps:stop`: scale every process to 0 and suspend the cron jobs. Returns the process types
/// stopped.
pub fn stop(ctx: &Ctx, app: &AppName, wait: LockWait) -> Result<Vec<String>> {
    ctx.store.require_app(app)?;
    let _lock = lock_app(ctx, app, wait)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        ps::stop(&cluster.client, &cluster.namespace, app.as_str()).await
    })
}

/// What runs of an app: its latest revision record and the live state of each process type.
#[derive(Debug, Clone)]
pub struct LiveState {
    pub namespace: String,
    /// The latest revision record (whatever its status).
    pub latest: Option<HelmRelease>,
    /// The deployed revision's number.
    pub deployed_revision: Option<u32>,
    pub processes: Vec<ps::ProcessState>,
    /// The one-word running state `ps:report --running` shows.
    pub running: String,
}

async fn live(cluster: &super::connect::AppCluster) -> anyhow::Result<LiveState> {
    let app = cluster.app.as_str();
    let past = history::list(&cluster.client, &cluster.namespace, app).await?;
    let processes = ps::live_state(&cluster.client, &cluster.namespace, app).await?;
    Ok(LiveState {
        namespace: cluster.namespace.clone(),
        deployed_revision: history::deployed(&past).map(|r| r.version),
        latest: past.last().cloned(),
        running: ps::running_summary(&processes).to_owned(),
        processes,
    })
}

/// `ps:inspect`: the live state; the cluster must answer.
pub fn inspect(ctx: &Ctx, app: &AppName) -> Result<LiveState> {
    ctx.store.require_app(app)?;
    block_on(async { live(&connect(&ctx.store, app).await?).await })
}

/// The live part of `ps:report`: `None` when no kubeconfig exists (no cluster set up).
pub fn report_live(ctx: &Ctx, app: &AppName) -> Result<Option<LiveState>> {
    block_on(async {
        match connect_if_configured(&ctx.store, app).await? {
            Some(cluster) => live(&cluster).await.map(Some),
            None => Ok(None),
        }
    })
}
