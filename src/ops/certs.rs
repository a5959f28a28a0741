//! `certs:add|update|remove`: the app's imported certificate. It is stored 0600 and becomes
//! Secret `tls-<app>` at the next rollout, which `ingress` then uses instead of letsencrypt
//! (reference §5.6, §7.4); a deployed app is redeployed at once so its ingress follows.

use super::Ctx;
use super::config::{explain_restart_failure, restart_deployed, rolled_back};
use super::error::Result;
use crate::model::AppName;
use crate::model::certificate::ImportedTls;
use crate::progress::Reporter;
use crate::store::{Scope, docs};

/// Store `tls` (already checked with [`crate::model::certificate::check_pair`]) and redeploy a
/// deployed app. Returns the revision of that redeploy.
pub fn set(ctx: &Ctx, app: &AppName, tls: &ImportedTls, r: &dyn Reporter) -> Result<Option<u32>> {
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    let previous = ctx.store.imported_tls(app)?;
    lock.write_json(docs::TLS, tls)?;
    r.info(&format!("Installing TLS certificate for {app}"));
    redeploy(ctx, &lock, app, previous, r)
}

/// Remove the stored certificate (`false` when there is none: nothing is touched) and redeploy
/// a deployed app so Secret `tls-<app>` is pruned and letsencrypt (if set up) takes over.
pub fn remove(ctx: &Ctx, app: &AppName, r: &dyn Reporter) -> Result<Option<Option<u32>>> {
    if ctx.store.imported_tls(app)?.is_none() {
        return Ok(None);
    }
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    let previous = ctx.store.imported_tls(app)?;
    lock.remove(docs::TLS)?;
    r.info(&format!("Removing SSL endpoint from {app}"));
    r.info(&format!("Removing TLS certificate for {app}"));
    redeploy(ctx, &lock, app, previous, r).map(Some)
}

fn redeploy(
    ctx: &Ctx,
    lock: &crate::store::ScopeLock<'_>,
    app: &AppName,
    previous: Option<ImportedTls>,
    r: &dyn Reporter,
) -> Result<Option<u32>> {
    let props = ctx.store.scheduler_k3s_properties(Some(app))?;
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(None);
    }
    restart_deployed(ctx, lock, app, r).map_err(|e| {
        if rolled_back(&e) {
            // What runs is the old certificate: keep the store telling the truth.
            let _ = match &previous {
                Some(tls) => lock.write_json(docs::TLS, tls),
                None => lock.remove(docs::TLS),
            };
        }
        explain_restart_failure(app, "certificate", e)
    })
}

/// The system's trusted CA certificates (DER), as OpenSSL finds them: `SSL_CERT_FILE` /
/// `SSL_CERT_DIR`, else the platform bundle. Unreadable entries are skipped; none at all means
/// nothing verifies, as with an empty OpenSSL store.
pub fn system_trust_anchors() -> Vec<Vec<u8>> {
    rustls_native_certs::load_native_certs()
        .certs
        .into_iter()
        .map(|c| c.as_ref().to_vec())
        .collect()
}
