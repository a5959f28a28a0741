//! Plumbing shared by commands that act on the cluster: an async runtime, the app lock held for
//! the whole operation, and the connection to the app's cluster.

use std::future::Future;
use std::time::Duration;

use super::{CliError, Ctx};
use crate::model::AppName;
use crate::ops::connect::AppCluster;
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
