//! Plumbing shared by commands that act on the cluster: an async runtime, the app lock held for
//! the whole operation, and the connection to the app's cluster.

use std::future::Future;
use std::time::Duration;

use super::{CliError, Ctx};
use crate::model::AppName;
use crate::ops::connect::AppCluster;
use crate::ops::release as app_ops;
use crate::store::{Scope, ScopeLock};

/// Run `fut` to completion on a fresh multi-threaded runtime.
pub fn block_on<T>(fut: impl Future<Output = anyhow::Result<T>>) -> Result<T, CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    let out = rt.block_on(fut);
    // A terminal session leaves a blocking stdin read behind; do not wait for it on exit.
    rt.shutdown_timeout(Duration::from_millis(200));
    out.map_err(CliError::from)
}

/// How long to wait for an app lock another cluster operation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Fail at once, naming the holder (`--no-wait`).
    NoWait,
    /// Wait as long as the app's deploy-timeout plus a minute (another deploy may be running).
    DeployTimeout,
}

/// Take the app's lock for a cluster operation.
pub fn lock_app<'s>(
    ctx: &'s Ctx,
    app: &AppName,
    wait: LockWait,
) -> Result<ScopeLock<'s>, CliError> {
    let timeout = match wait {
        LockWait::NoWait => Duration::ZERO,
        LockWait::DeployTimeout => {
            ctx.store
                .scheduler_k3s_properties(Some(app))?
                .deploy_timeout()
                + Duration::from_secs(60)
        }
    };
    Ok(ctx
        .store
        .lock_within(&Scope::App(app.clone()), &ctx.command, timeout)?)
}

/// Connect to `app`'s cluster (inside a runtime).
pub async fn connect(ctx: &Ctx, app: &AppName) -> anyhow::Result<AppCluster> {
    crate::ops::connect::connect(&ctx.store, app).await
}

/// Dokku's exit code for a failed deploy.
pub fn deploy_failed(e: anyhow::Error) -> CliError {
    CliError::msg(format!("{e:#}"))
}

/// `apps:rename`, cluster side: `rename_state` moves the state, then a deployed app is deployed
/// under the new name (unless `skip_deploy`) and the old name's objects and records are removed,
/// so no orphan is left. With an unreachable cluster nothing changes.
pub fn rename_app(
    ctx: &Ctx,
    old: &AppName,
    new: &AppName,
    skip_deploy: bool,
    rename_state: impl FnOnce() -> Result<(), CliError>,
) -> Result<(), CliError> {
    block_on(async {
        let Some(old_cluster) = crate::ops::connect::connect_if_configured(&ctx.store, old).await?
        else {
            return rename_state().map_err(|e| anyhow::anyhow!(e.message));
        };
        let image = app_ops::deployed_image_of(&old_cluster).await?;
        rename_state().map_err(|e| anyhow::anyhow!(e.message))?;
        if let Some(image) = image {
            if !skip_deploy {
                let new_cluster = connect(ctx, new).await?;
                let progress = super::terminal::Terminal::new(false);
                app_ops::deploy_image(&ctx.store, &new_cluster, &image, &progress).await?;
            }
            let progress = super::terminal::Terminal::new(false);
            app_ops::destroy(&old_cluster, &progress).await?;
        }
        Ok(())
    })
}

/// `ps:scale`, cluster side: `write_scale` stores the new scale, and a deployed app is rolled out
/// at once with it (unless `skip_deploy`). With an unreachable cluster nothing changes.
pub fn scale_app(
    ctx: &Ctx,
    app: &AppName,
    skip_deploy: bool,
    write_scale: impl FnOnce() -> Result<(), CliError>,
) -> Result<(), CliError> {
    if skip_deploy {
        return write_scale();
    }
    block_on(async {
        let cluster = crate::ops::connect::connect_if_configured(&ctx.store, app).await?;
        let deployed = match &cluster {
            Some(c) => app_ops::is_deployed(c).await?,
            None => false,
        };
        write_scale().map_err(|e| anyhow::anyhow!(e.message))?;
        if let (Some(cluster), true) = (cluster, deployed) {
            let progress = super::terminal::Terminal::new(false);
            let done =
                app_ops::redeploy(&ctx.store, &cluster, app_ops::Redeploy::Keep, &progress).await?;
            super::output::info1(format!("{app} is running revision {}", done.revision));
        }
        Ok(())
    })
}

/// Live rows for `ps:report`: deployed revision, running state and one status row per pod.
/// Nothing when no kubeconfig exists (no cluster set up); a warning when the cluster does not
/// answer (the stored part of the report is still printed).
pub fn live_ps_rows(ctx: &Ctx, app: &AppName) -> Vec<super::output::Row> {
    use super::output::Row;
    let result = block_on(async {
        let Some(cluster) = crate::ops::connect::connect_if_configured(&ctx.store, app).await?
        else {
            return Ok(None);
        };
        let past =
            crate::kube::history::list(&cluster.client, &cluster.namespace, app.as_str()).await?;
        let states =
            crate::kube::ps::live_state(&cluster.client, &cluster.namespace, app.as_str()).await?;
        Ok(Some((
            crate::kube::history::deployed(&past).map(|r| r.version),
            states,
        )))
    });
    match result {
        Ok(None) => Vec::new(),
        Ok(Some((revision, states))) => {
            let mut rows = vec![
                Row::new("--deployed", revision.is_some().to_string()),
                Row::new(
                    "--deployed-revision",
                    revision.map(|r| r.to_string()).unwrap_or_default(),
                ),
                Row::new("--running", crate::kube::ps::running_summary(&states)),
            ];
            for s in &states {
                for (i, p) in s.pods.iter().enumerate() {
                    let state = match &p.reason {
                        None => format!("running ({})", p.name),
                        Some(r) => format!("{} ({}): {r}", p.phase.to_lowercase(), p.name),
                    };
                    rows.push(Row::new(
                        format!("--status-{}-{}", s.process_type, i + 1),
                        state,
                    ));
                }
            }
            rows
        }
        Err(e) => {
            super::output::warn(format!("live state unavailable: {}", e.message));
            Vec::new()
        }
    }
}

/// `apps:clone --deploy`: deploy `new` (already cloned in the store) with `old`'s deployed image.
pub fn deploy_clone(ctx: &Ctx, old: &AppName, new: &AppName) -> Result<(), CliError> {
    let done = block_on(async {
        let source = connect(ctx, old).await?;
        let image = app_ops::deployed_image_of(&source).await?.ok_or_else(|| {
            anyhow::anyhow!("App {old} is not deployed: nothing to deploy the clone {new} with")
        })?;
        let target = connect(ctx, new).await?;
        let progress = super::terminal::Terminal::new(false);
        app_ops::deploy_image(&ctx.store, &target, &image, &progress).await
    })?;
    super::output::info1(format!("Deployed {new}, revision {}", done.revision));
    Ok(())
}
