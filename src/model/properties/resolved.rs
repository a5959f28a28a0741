//! Property values resolved app → global → built-in default, with typed getters.

use std::collections::BTreeMap;
use std::time::Duration;

use super::super::duration::parse_duration;
use super::SCHEDULER_K3S_PROPERTIES;
use crate::model::release::{CertIssuerKind, IngressClass, LetsencryptServer};

/// Raw stored values of one scope, keyed by property name.
pub type RawProperties = BTreeMap<String, String>;

/// The three values a report shows for a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyValues {
    pub app: String,
    pub global: String,
    pub computed: String,
}

/// Property values resolved app → global → built-in default, with typed getters for the values
/// the deploy and cluster code need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedProperties {
    values: BTreeMap<&'static str, PropertyValues>,
}

impl ResolvedProperties {
    /// Resolve from the app's stored values (empty map for `--global`) and the global ones. App
    /// values of global-only properties are ignored.
    pub fn resolve(app: &RawProperties, global: &RawProperties) -> Self {
        let values = SCHEDULER_K3S_PROPERTIES
            .iter()
            .map(|p| {
                let app_v = if p.is_app_scoped() {
                    app.get(p.name).cloned().unwrap_or_default()
                } else {
                    String::new()
                };
                let global_v = global.get(p.name).cloned().unwrap_or_default();
                let computed = [&app_v, &global_v]
                    .into_iter()
                    .find(|v| !v.is_empty())
                    .cloned()
                    .unwrap_or_else(|| p.default.to_owned());
                (
                    p.name,
                    PropertyValues {
                        app: app_v,
                        global: global_v,
                        computed,
                    },
                )
            })
            .collect();
        ResolvedProperties { values }
    }

    /// App, global and computed value of `name`. Panics only on a name not in the table (a bug).
    pub fn get(&self, name: &str) -> &PropertyValues {
        self.values
            .get(name)
            .unwrap_or_else(|| panic!("unknown scheduler-k3s property {name}"))
    }

    /// The computed value of `name`.
    pub fn computed(&self, name: &str) -> &str {
        &self.get(name).computed
    }

    /// Computed value, `None` when empty.
    fn non_empty(&self, name: &str) -> Option<&str> {
        Some(self.computed(name)).filter(|v| !v.is_empty())
    }

    pub fn deploy_timeout(&self) -> Duration {
        parse_duration(self.computed("deploy-timeout"))
            .map(|(d, _)| d)
            .unwrap_or(Duration::from_secs(300))
    }
    pub fn namespace(&self) -> &str {
        self.computed("namespace")
    }
    pub fn rollback_on_failure(&self) -> bool {
        self.computed("rollback-on-failure") == "true"
    }
    pub fn kubeconfig_path(&self) -> &str {
        self.computed("kubeconfig-path")
    }
    pub fn kube_context(&self) -> Option<&str> {
        self.non_empty("kube-context")
    }
    /// `ingress-class` (validated on set: `nginx` or `traefik`).
    pub fn ingress_class(&self) -> IngressClass {
        match self.computed("ingress-class") {
            "traefik" => IngressClass::Traefik,
            _ => IngressClass::Nginx,
        }
    }
    pub fn network_interface(&self) -> &str {
        self.computed("network-interface")
    }
    pub fn token(&self) -> Option<&str> {
        self.non_empty("token")
    }
    pub fn image_pull_secrets(&self) -> Option<&str> {
        self.non_empty("image-pull-secrets")
    }
    pub fn shm_size(&self) -> Option<&str> {
        self.non_empty("shm-size")
    }
    /// `cert-issuer-name` unless unset or `false`.
    pub fn cert_issuer_name(&self) -> Option<&str> {
        self.non_empty("cert-issuer-name").filter(|v| *v != "false")
    }
    /// `cert-issuer-kind`: `Issuer` (any case) or, by default, `ClusterIssuer`.
    pub fn cert_issuer_kind(&self) -> CertIssuerKind {
        if self
            .computed("cert-issuer-kind")
            .eq_ignore_ascii_case("issuer")
        {
            CertIssuerKind::Issuer
        } else {
            CertIssuerKind::ClusterIssuer
        }
    }
    /// `letsencrypt-server`: production, staging (`stag` / `staging`) or disabled (`false`).
    pub fn letsencrypt_server(&self) -> LetsencryptServer {
        match self.computed("letsencrypt-server") {
            "false" => LetsencryptServer::Disabled,
            "stag" | "staging" => LetsencryptServer::Stag,
            _ => LetsencryptServer::Prod,
        }
    }
    pub fn letsencrypt_email_prod(&self) -> Option<&str> {
        self.non_empty("letsencrypt-email-prod")
    }
    pub fn letsencrypt_email_stag(&self) -> Option<&str> {
        self.non_empty("letsencrypt-email-stag")
    }
}
