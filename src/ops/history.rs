//! `scheduler-k3s:history` and `scheduler-k3s:rollback`: the app's release records, and a
//! rollback to one of them.

use anyhow::anyhow;

use super::Ctx;
use super::connect::connect;
use super::error::Result;
use super::lock::{LockWait, lock_app};
use super::runtime::block_on;
use crate::kube::helm_release::HelmRelease;
use crate::kube::{deploy, history};
use crate::model::AppName;
use crate::progress::Reporter;

/// Every revision of `app`, oldest first.
pub fn list(ctx: &Ctx, app: &AppName) -> Result<Vec<HelmRelease>> {
    ctx.store.require_app(app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        history::list(&cluster.client, &cluster.namespace, app.as_str()).await
    })
}

/// What a rollback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RolledBack {
    /// The revision rolled back to.
    pub target: u32,
    /// The new revision that now runs it.
    pub revision: u32,
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
    let _lock = lock_app(ctx, app, wait)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let ns = &cluster.namespace;
        let target = match revision {
            Some(rev) => rev,
            None => {
                let past = history::list(&cluster.client, ns, app.as_str()).await?;
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
            target,
            cluster.deploy_timeout(),
            &cluster.server,
            r,
        )
        .await?;
        Ok(RolledBack {
            target,
            revision: done.revision,
        })
    })
}
