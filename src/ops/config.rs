//! `config:set|unset|clear`: change an app's (or the global) environment and, as Dokku does,
//! restart a deployed app so its pods see the new values.

use anyhow::anyhow;

use super::Ctx;
use super::connect::connect;
use super::error::Result;
use super::release::{self, Redeploy};
use super::runtime::block_on;
use crate::model::env::EnvMap;
use crate::progress::Reporter;
use crate::store::{Scope, ScopeLock, StoreError, docs};

/// What to do with the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `config:set`: these (already validated) pairs.
    Set(Vec<(String, String)>),
    /// `config:unset`: these (already validated) keys.
    Unset(Vec<String>),
    /// `config:clear`.
    Clear,
    /// `config:import --replace`: exactly these (already validated) pairs.
    Replace(Vec<(String, String)>),
}

/// Apply `change` to `scope`'s environment, then (with `restart`) restart the app if it is
/// deployed. Returns the revision the restart made, if one ran.
pub fn change(
    ctx: &Ctx,
    scope: &Scope,
    change: &Change,
    restart: bool,
    r: &dyn Reporter,
) -> Result<Option<u32>> {
    let lock = ctx.store.lock(scope, &ctx.command)?;
    match change {
        Change::Set(pairs) => {
            lock.update_json(docs::CONFIG, |env: &mut EnvMap| {
                env.extend(pairs.iter().cloned());
                Ok::<_, StoreError>(())
            })?;
            r.info("Setting config vars");
            for (k, _) in pairs {
                r.verbose(k);
            }
        }
        Change::Unset(keys) => {
            lock.update_json(docs::CONFIG, |env: &mut EnvMap| {
                for k in keys {
                    env.remove(k);
                }
                Ok::<_, StoreError>(())
            })?;
            for k in keys {
                r.info(&format!("Unsetting {k}"));
            }
        }
        Change::Replace(pairs) => {
            lock.write_json(docs::CONFIG, &pairs.iter().cloned().collect::<EnvMap>())?;
            r.info("Setting config vars");
            for (k, _) in pairs {
                r.verbose(k);
            }
        }
        Change::Clear => {
            lock.write_json(docs::CONFIG, &EnvMap::new())?;
            r.info("Clearing config vars");
        }
    }
    if !restart {
        return Ok(None);
    }
    // The lock is still held, so no deploy runs in between.
    restart_if_deployed(ctx, &lock, scope, "config", r)
}

/// Dokku restarts a deployed app after a config (or certificate) change so its pods and ingress
/// see the new values. Nothing to do when no cluster is set up (no kubeconfig) or the app was
/// never deployed. `what` names the change in messages (`config`, `certificate`).
pub(super) fn restart_if_deployed(
    ctx: &Ctx,
    lock: &ScopeLock<'_>,
    scope: &Scope,
    what: &str,
    r: &dyn Reporter,
) -> Result<Option<u32>> {
    let Scope::App(app) = scope else {
        return Ok(None); // global vars reach each app at its next deploy or restart
    };
    let props = ctx.store.scheduler_k3s_properties(Some(app))?;
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(None);
    }
    restart_deployed(ctx, lock, app, r).map_err(|e| explain_restart_failure(app, what, e))
}

/// Restart `app` with what the store holds now, if it is deployed; the deploy's own error.
pub(super) fn restart_deployed(
    ctx: &Ctx,
    lock: &ScopeLock<'_>,
    app: &crate::model::AppName,
    r: &dyn Reporter,
) -> Result<Option<u32>> {
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        if !release::is_deployed(&cluster).await? {
            return Ok(None);
        }
        let done = release::redeploy(lock, &cluster, Redeploy::Restart(None), r).await?;
        Ok(Some(done.revision))
    })
}

/// The restart after a change failed and the release was rolled back to what ran before.
pub(super) fn rolled_back(e: &super::Error) -> bool {
    matches!(e, super::Error::Cluster(a)
        if a.downcast_ref::<crate::kube::deploy::DeployFailed>()
            .is_some_and(|f| f.rolled_back.is_some()))
}

pub(super) fn explain_restart_failure(
    app: &crate::model::AppName,
    what: &str,
    e: super::Error,
) -> super::Error {
    if rolled_back(&e) {
        // The store was put back to what runs: the change is not kept (and says so).
        let hint = e.hint();
        anyhow::Error::new(crate::kube::errors::Hinted {
            message: format!("restarting {app} with the new {what} failed and was rolled back, so the change is not kept: {e}"),
            hint,
        })
        .into()
    } else {
        // Dokku keeps a change it could not restart with; so does berth, and says so.
        let e = e.with_hint();
        anyhow!(
            "{what} saved, but restarting {app} failed, so its pods still run the old {what}: {e} (apply it with: berth ps:restart {app})"
        )
        .into()
    }
}
