//! `url` / `urls`: what an app answers on, from its domains, port mappings and TLS source.

use super::Ctx;
use super::error::Result;
use crate::model::AppName;

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
    let inputs = super::release_inputs::inputs_from_store(
        store,
        app,
        "",
        super::release_inputs::Overrides::default(),
    )
    .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let tls = crate::model::release::serves_tls(&inputs);
    let vhosts = if domains.enabled {
        domains.vhosts
    } else {
        Vec::new()
    };
    let urls = crate::model::urls::app_urls(&vhosts, &store.ports(app)?, tls);
    Ok(AppUrls { urls, tls })
}
