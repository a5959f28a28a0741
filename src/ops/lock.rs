//! The locks commands hold: one app's scope for the whole operation, or two apps' in name
//! order (rename, clone) so two such commands cannot deadlock.

use std::time::Duration;

use anyhow::anyhow;

use super::Ctx;
use super::error::Result;
use crate::model::AppName;
use crate::store::{Scope, ScopeLock};

/// How long to wait for an app lock another cluster operation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Fail at once, naming the holder (`--no-lock-wait`).
    NoWait,
    /// Wait as long as the app's deploy-timeout plus a minute (another deploy may be running).
    DeployTimeout,
}

/// Take the app's lock for a cluster operation.
pub fn lock_app<'s>(ctx: &'s Ctx, app: &AppName, wait: LockWait) -> Result<ScopeLock<'s>> {
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

/// Lock two app scopes in name order; returns them as (`a`'s, `b`'s).
pub fn lock_pair<'s>(
    ctx: &'s Ctx,
    a: &AppName,
    b: &AppName,
) -> Result<(ScopeLock<'s>, ScopeLock<'s>)> {
    if a == b {
        return Err(anyhow!("the new name must differ from {a}").into());
    }
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    let l1 = ctx.store.lock(&Scope::App(first.clone()), &ctx.command)?;
    let l2 = ctx.store.lock(&Scope::App(second.clone()), &ctx.command)?;
    Ok(if a < b { (l1, l2) } else { (l2, l1) })
}
