//! Assemble a `model::Release` from the state store: the one place that knows where each input of
//! a release is stored. Used by `deploy --dry-run` and by the deploy engine.
//!
//! Every input is read through the store's typed accessors (`Store::env`, `scale`, `ports`,
//! `app_domains`, `resources`, `annotations`, `labels`, `autoscaling_auth`, `registry_logins`,
//! scheduler-k3s and nginx properties) plus the app's `Procfile` (`procfile:set`) and app.json,
//! either of which the caller may override (`deploy --procfile/--app-json`).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use serde_json::Value;

use crate::model::AppName;
use crate::model::app_json::{AppJson, AppJsonError};
use crate::model::procfile::{Procfile, ProcfileError};
use crate::model::release::ReleaseError;
use crate::model::release::{
    BuilderType, MetaScope, Release, ReleaseInputs, ResourceSetting, UserMeta,
};
use crate::store::{Doc, Scope, Store, StoreError};

/// Where `procfile:set` keeps the app's Procfile.
pub const PROCFILE: Doc = Doc::public("Procfile");

/// Release inputs given on the command line instead of (or in addition to) the store.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--procfile PATH`, parsed.
    pub procfile: Option<Procfile>,
    /// `--app-json PATH`, parsed.
    pub app_json: Option<AppJson>,
    /// Dokku's deployment id (Unix seconds of the deploy).
    pub deployment_id: String,
    /// Config added over the stored one (a dry run's app.json `env` defaults, not stored).
    pub extra_env: std::collections::BTreeMap<String, String>,
    /// `deploy --builder`: the image's builder type for this deploy, over `builder:set`.
    pub builder: Option<BuilderType>,
}

/// Anything that stops a release from being assembled. `Display` is one line naming the input.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A state document could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored Procfile (`procfile:set`) no longer parses.
    #[error("stored {0}")]
    StoredProcfile(ProcfileError),
    /// The stored app.json (`app-json:set`) no longer parses.
    #[error("stored {0}")]
    StoredAppJson(AppJsonError),
    /// The stored `builder:set` value is not one berth can start.
    #[error("builder {name:?} of {app} is not one berth can start (valid: {})", BuilderType::NAMES.join(", "))]
    Builder { app: AppName, name: String },
    /// The stored docker options no longer parse.
    #[error("stored docker-options: {0}")]
    DockerOptions(crate::model::InvalidValue),
    /// The inputs do not make a release (the rule and the value).
    #[error(transparent)]
    Release(#[from] ReleaseError),
}

type Nested = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;

fn user_meta(store: &Store, app: &AppName, labels: bool) -> Result<UserMeta, Error> {
    let read_scope = |scope: &Scope| {
        if labels {
            store.labels(scope)
        } else {
            store.annotations(scope)
        }
        .map(|m| m.0)
    };
    let mut meta = UserMeta::default();
    let global: Nested = read_scope(&Scope::Global)?;
    let app_level: Nested = read_scope(&Scope::App(app.clone()))?;
    // Global-scope entries apply to every app (to one process type when stored with one).
    for (scope, stored) in [(true, global), (false, app_level)] {
        for (process, by_resource) in stored {
            let slot = match (scope, process.as_str()) {
                (true, "--global") => MetaScope::Global,
                (true, p) => MetaScope::GlobalProcess(p.to_owned()),
                (false, "--global") => MetaScope::App,
                (false, p) => MetaScope::Process(p.to_owned()),
            };
            for (resource, entries) in by_resource {
                for (k, v) in entries {
                    meta.insert(slot.clone(), &resource, &k, &v);
                }
            }
        }
    }
    Ok(meta)
}

fn resources(store: &Store, app: &AppName) -> Result<BTreeMap<String, ResourceSetting>, Error> {
    let stored = store.resources(app)?;
    Ok(stored
        .into_iter()
        .map(|(process, spec)| {
            (
                process,
                ResourceSetting {
                    reserve_cpu: spec.reserve.cpu,
                    reserve_memory: spec.reserve.memory,
                    limit_cpu: spec.limit.cpu,
                    limit_memory: spec.limit.memory,
                    limit_gpu: spec.limit.nvidia_gpu,
                },
            )
        })
        .collect())
}

/// A docker `config.json` from the stored registry logins (the app's own, else the global ones).
fn docker_config(store: &Store, app: &AppName) -> Result<Option<String>, Error> {
    for scope in [Scope::App(app.clone()), Scope::Global] {
        let logins = store.registry_logins(&scope)?;
        if logins.is_empty() {
            continue;
        }
        let auths: serde_json::Map<String, Value> = logins
            .iter()
            .map(|(server, login)| {
                let auth = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", login.username, login.password));
                (server.clone(), serde_json::json!({ "auth": auth }))
            })
            .collect();
        return Ok(Some(serde_json::json!({ "auths": auths }).to_string()));
    }
    Ok(None)
}

fn nginx_properties(store: &Store, app: &AppName) -> Result<BTreeMap<String, String>, Error> {
    let mut props = store.properties(&Scope::Global, "nginx")?;
    let app_props = store.properties(&Scope::App(app.clone()), "nginx")?;
    props.extend(app_props.into_iter().filter(|(_, v)| !v.is_empty()));
    Ok(props)
}

/// Everything the store knows about `app`, plus `image` and the overrides, as a validated Release.
pub fn release_from_store(
    store: &Store,
    app: &AppName,
    image: &str,
    overrides: Overrides,
) -> Result<Release, Error> {
    Ok(Release::build(inputs_from_store(
        store, app, image, overrides,
    )?)?)
}

/// Everything the store knows about `app`, plus `image` and the overrides, as release inputs
/// (not yet validated: [`Release::build`] does that).
pub fn inputs_from_store(
    store: &Store,
    app: &AppName,
    image: &str,
    overrides: Overrides,
) -> Result<ReleaseInputs, Error> {
    store.require_app(app)?;
    let scope = Scope::App(app.clone());
    let props = store.scheduler_k3s_properties(Some(app))?;

    let procfile = match overrides.procfile {
        Some(p) => Some(p),
        None => store
            .read_text(&scope, PROCFILE)?
            .map(|t| Procfile::parse(&t).map_err(Error::StoredProcfile))
            .transpose()?,
    };
    let app_json = match overrides.app_json {
        Some(a) => a,
        None => store
            .app_json_text(app)?
            .map(|t| AppJson::parse(&t).map_err(Error::StoredAppJson))
            .transpose()?
            .unwrap_or_default(),
    };

    let (pod_security, process_pod_security) =
        crate::model::docker_options::PodSecurity::per_process(
            &store.read_json::<crate::model::docker_options::DockerOptions>(
                &scope,
                crate::store::docs::DOCKER_OPTIONS,
            )?,
        )
        .map_err(Error::DockerOptions)?;
    let mut env = store.env(app, true)?;
    env.extend(overrides.extra_env);
    let mut scale = store.scale(app)?;
    // Processes scaled before the current Procfile was set are not an error for a deploy.
    if let Some(pf) = &procfile {
        scale.retain(|p, _| pf.processes.contains_key(p));
    } else {
        scale.retain(|p, _| p.is_web());
    }

    let ports = store.ports(app)?;
    let domains = store.app_domains(app)?;
    let global_auth = store.autoscaling_auth(&Scope::Global)?;
    let imported_tls = store.imported_tls(app)?;

    let email = |name: &str| {
        let v = props.get(name);
        (
            Some(v.app.clone()).filter(|s| !s.is_empty()),
            Some(v.global.clone()).filter(|s| !s.is_empty()),
        )
    };
    let (prod_app, prod_global) = email("letsencrypt-email-prod");
    let (stag_app, stag_global) = email("letsencrypt-email-stag");

    let inputs = ReleaseInputs {
        app: Some(app.clone()),
        image: image.to_owned(),
        deployment_id: overrides.deployment_id,
        procfile,
        app_json,
        scale,
        env,
        ports,
        domains: if domains.enabled {
            domains.vhosts
        } else {
            Vec::new()
        },
        resources: resources(store, app)?,
        namespace: Some(props.namespace().to_owned()),
        image_pull_secrets: props.image_pull_secrets().map(str::to_owned),
        registry_docker_config: docker_config(store, app)?,
        ingress_class: props.ingress_class(),
        letsencrypt_server: props.letsencrypt_server(),
        letsencrypt_email_prod_app: prod_app,
        letsencrypt_email_prod_global: prod_global,
        letsencrypt_email_stag_app: stag_app,
        letsencrypt_email_stag_global: stag_global,
        cert_issuer_name: props.cert_issuer_name().map(str::to_owned),
        cert_issuer_kind: props.cert_issuer_kind(),
        imported_tls,
        nginx: nginx_properties(store, app)?,
        annotations: user_meta(store, app, false)?,
        labels: user_meta(store, app, true)?,
        trigger_auth: store.autoscaling_auth(&scope)?,
        global_trigger_auth: global_auth.keys().cloned().collect::<BTreeSet<_>>(),
        shm_size: props.shm_size().map(str::to_owned),
        start_cmd: store
            .property(&scope, "ps", "start-cmd")?
            .filter(|v| !v.is_empty()),
        pod_security,
        process_pod_security,
        dockerfile_start_cmd: store
            .property(&scope, "ps", "dockerfile-start-cmd")?
            .filter(|v| !v.is_empty()),
        // Only an explicit setting: Kubernetes' default is Dokku's 30 seconds already.
        stop_timeout_seconds: match store.computed_property(
            Some(app),
            "ps",
            "stop-timeout-seconds",
            "",
        )? {
            v if v.is_empty() => None,
            v => v.parse().ok(),
        },
        builder: match overrides.builder {
            Some(b) => b,
            None => {
                let name = store.selected_builder(app)?;
                BuilderType::parse(&name).ok_or_else(|| Error::Builder {
                    app: app.clone(),
                    name: name.clone(),
                })?
            }
        },
        ..ReleaseInputs::default()
    };
    Ok(inputs)
}
