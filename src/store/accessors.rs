//! Typed reads and writes of the per-app documents, for the commands and the deploy engine.

use std::collections::BTreeMap;

use super::{Scope, ScopeLock, Store, StoreError, docs, plugins};
use crate::model::domain::{AppDomains, Domain};
use crate::model::env::EnvMap;
use crate::model::meta::UserMeta;
use crate::model::registry::RegistryLogins;
use crate::model::resources::{Resources, Scale};
use crate::model::scheduler_k3s::{AutoscalingAuth, ChartOverrides};
use crate::model::{AppName, PortMapping, ProcessType};

fn app_scope(app: &AppName) -> Scope {
    Scope::App(app.clone())
}

impl Store {
    /// `ps:scale` values of an app (process types never scaled are absent).
    pub fn scale(&self, app: &AppName) -> Result<Scale, StoreError> {
        self.read_json(&app_scope(app), docs::SCALE)
    }

    /// An app's env; with `merged`, global vars under the app's.
    pub fn env(&self, app: &AppName, merged: bool) -> Result<EnvMap, StoreError> {
        let mut env: EnvMap = if merged {
            self.read_json(&Scope::Global, docs::CONFIG)?
        } else {
            EnvMap::new()
        };
        env.extend(self.read_json::<EnvMap>(&app_scope(app), docs::CONFIG)?);
        Ok(env)
    }

    /// An app's domains document (vhosts + enabled).
    pub fn app_domains(&self, app: &AppName) -> Result<AppDomains, StoreError> {
        self.read_json(&app_scope(app), docs::DOMAINS)
    }

    /// The global domains.
    pub fn global_domains(&self) -> Result<Vec<Domain>, StoreError> {
        self.read_json(&Scope::Global, docs::DOMAINS)
    }

    /// Configured port mappings (empty: none configured, use [`PortMapping::DEFAULT`]).
    pub fn ports(&self, app: &AppName) -> Result<Vec<PortMapping>, StoreError> {
        self.read_json(&app_scope(app), docs::PORTS)
    }

    /// Resource limits/reservations per process slot.
    pub fn resources(&self, app: &AppName) -> Result<Resources, StoreError> {
        self.read_json(&app_scope(app), docs::RESOURCES)
    }

    /// The stored app.json text, if any.
    pub fn app_json_text(&self, app: &AppName) -> Result<Option<String>, StoreError> {
        self.read_text(&app_scope(app), docs::APP_JSON)
    }

    /// User annotations of a scope.
    pub fn annotations(&self, scope: &Scope) -> Result<UserMeta, StoreError> {
        self.read_json(scope, docs::ANNOTATIONS)
    }

    /// User labels of a scope.
    pub fn labels(&self, scope: &Scope) -> Result<UserMeta, StoreError> {
        self.read_json(scope, docs::LABELS)
    }

    /// KEDA trigger authentication metadata of a scope (secret values).
    pub fn autoscaling_auth(&self, scope: &Scope) -> Result<AutoscalingAuth, StoreError> {
        self.read_json(scope, docs::AUTOSCALING_AUTH)
    }

    /// Chart value overrides (global).
    pub fn chart_overrides(&self) -> Result<ChartOverrides, StoreError> {
        self.read_json(&Scope::Global, docs::CHART_OVERRIDES)
    }

    /// The app is locked for deploys (`apps:lock`).
    pub fn deploy_locked(&self, app: &AppName) -> Result<bool, StoreError> {
        Ok(self
            .read_text(&Scope::App(app.clone()), docs::DEPLOY_LOCK)?
            .is_some())
    }

    /// The app's imported certificate (`certs:add`), if any.
    pub fn imported_tls(
        &self,
        app: &AppName,
    ) -> Result<Option<crate::model::certificate::ImportedTls>, StoreError> {
        self.read_json(&Scope::App(app.clone()), docs::TLS)
    }

    /// Registry logins of a scope (secret values).
    pub fn registry_logins(&self, scope: &Scope) -> Result<RegistryLogins, StoreError> {
        self.read_json(scope, docs::REGISTRY_CREDENTIALS)
    }

    /// A plain property resolved app → global → `default`.
    pub fn computed_property(
        &self,
        app: Option<&AppName>,
        plugin: &str,
        name: &str,
        default: &str,
    ) -> Result<String, StoreError> {
        if let Some(a) = app
            && let Some(v) = self
                .property(&app_scope(a), plugin, name)?
                .filter(|v| !v.is_empty())
        {
            return Ok(v);
        }
        Ok(self
            .property(&Scope::Global, plugin, name)?
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned()))
    }

    /// The scheduler selected for an app (`scheduler:set <app> selected`), default `k3s`.
    pub fn selected_scheduler(&self, app: &AppName) -> Result<String, StoreError> {
        self.computed_property(Some(app), plugins::SCHEDULER, "selected", "k3s")
    }

    /// The app's builder (`builder:set <app|--global> selected`), `dockerfile` when unset: berth
    /// deploys built images, so the builder only decides the start command form.
    pub fn selected_builder(&self, app: &AppName) -> Result<String, StoreError> {
        self.computed_property(Some(app), plugins::BUILDER, "selected", "dockerfile")
    }
}

/// A property write refused: a bad value or a store failure.
#[derive(Debug, thiserror::Error)]
pub enum PropertyError {
    #[error(transparent)]
    Invalid(#[from] crate::model::InvalidValue),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ScopeLock<'_> {
    /// Set (`Some`) or unset (`None`) a `scheduler-k3s` property with the checks of
    /// `scheduler-k3s:set` (name, scope, value; secrets 0600). Returns the stored form. The
    /// readable-file check of `kubeconfig-path` is the caller's. For code such as `initialize`
    /// that writes the join token.
    pub fn set_scheduler_k3s_property(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> Result<Option<String>, PropertyError> {
        let def = crate::model::properties::lookup_property(name)?;
        def.check_scope(self.scope().is_global())?;
        let stored = value
            .filter(|v| !v.is_empty())
            .map(|v| def.validate(v))
            .transpose()?;
        let secrecy = if def.secret {
            super::Secrecy::Secret
        } else {
            super::Secrecy::Public
        };
        self.set_property(plugins::SCHEDULER_K3S, def.name, stored.as_deref(), secrecy)?;
        Ok(stored)
    }

    /// Apply `ps:scale` changes and return the new scale. Only meaningful for an app scope.
    pub fn set_scale(&self, changes: &BTreeMap<ProcessType, u32>) -> Result<Scale, StoreError> {
        self.update_json(docs::SCALE, |scale: &mut Scale| {
            scale.extend(changes.iter().map(|(p, n)| (p.clone(), *n)));
            Ok::<_, StoreError>(scale.clone())
        })
    }
}
