//! `url` / `urls`: what an app answers on, from its domains, port mappings and TLS source.

use super::Ctx;
use super::error::Result;
use crate::model::AppName;
use crate::model::release::LetsencryptServer;

/// The app's URLs and whether its ingress serves TLS.
pub struct AppUrls {
    pub urls: Vec<String>,
    pub tls: bool,
}

/// Read-only: the store decides, as it decides the next deploy's Ingress.
pub fn app_urls(ctx: &Ctx, app: &AppName) -> Result<AppUrls> {
    let store = &ctx.store;
    store.require_app(app)?;
    let domains = store.app_domains(app)?;
    let props = store.scheduler_k3s_properties(Some(app))?;
    let email = match props.letsencrypt_server() {
        LetsencryptServer::Stag => props.letsencrypt_email_stag(),
        _ => props.letsencrypt_email_prod(),
    };
    let tls = store.imported_tls(app)?.is_some()
        || (props.letsencrypt_server() != LetsencryptServer::Disabled
            && (props.cert_issuer_name().is_some() || email.is_some()));
    let vhosts = if domains.enabled {
        domains.vhosts
    } else {
        Vec::new()
    };
    let urls = crate::model::urls::app_urls(&vhosts, &store.ports(app)?, tls);
    Ok(AppUrls { urls, tls })
}
