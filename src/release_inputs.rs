//! Assemble a `model::Release` from the state store: the one place that knows where each input of
//! a release is stored. Used by `deploy --dry-run` and by the deploy engine.
//!
//! Stored documents read (all optional; absent means "not configured"):
//! - `config.json` (global, then app): config vars → Secret `config-<app>`;
//! - `properties/scheduler-k3s/*` (app → global → default) and `properties/nginx/*`;
//! - `Procfile` (`procfile:set`) unless `--procfile` is given; `app.json` unless `--app-json`;
//! - `scale.json`: `{"<process>": <count>}`;
//! - `ports.json`: `["http:80:5000", ...]`; `domains.json`: `{"vhosts": [...], "enabled": bool}`;
//! - `resources.json`: `{"<process>|_default_": {"limit"|"reserve": {"cpu"|"memory"|"nvidia-gpu": "<v>"}}}`;
//! - `scheduler-k3s/annotations.json`, `labels.json` (app and global):
//!   `{"<process>|--global": {"<resource type>": {"<key>": "<value>"}}}`;
//! - `scheduler-k3s/autoscaling-auth.json` (app and global): `{"<trigger>": {"<key>": "<value>"}}`;
//! - `registry-credentials.json` (app, else global): a docker `config.json` (`{"auths": ...}`) or
//!   `{"<server>": {"username": .., "password": ..}}`.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::app_json::AppJson;
use crate::model::domain::AppDomains;
use crate::model::procfile::Procfile;
use crate::model::release::{
    CertIssuerKind, IngressClass, LetsencryptServer, MetaScope, PortInput, Release, ReleaseInputs,
    ResourceSetting, UserMeta,
};
use crate::model::{AppName, PortMapping, ProcessType};
use crate::store::{Doc, Scope, Store, docs, plugins};

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
}

/// Anything that stops a release from being assembled, as one line.
pub type Error = String;

fn read<T: DeserializeOwned + Default>(store: &Store, scope: &Scope, doc: Doc) -> Result<T, Error> {
    store.read_json(scope, doc).map_err(|e| e.to_string())
}

type Nested = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;

fn user_meta(store: &Store, app: &AppName, doc: Doc) -> Result<UserMeta, Error> {
    let mut meta = UserMeta::default();
    let global: Nested = read(store, &Scope::Global, doc)?;
    let app_level: Nested = read(store, &Scope::App(app.clone()), doc)?;
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
    type Stored = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;
    let stored: Stored = read(store, &Scope::App(app.clone()), docs::RESOURCES)?;
    Ok(stored
        .into_iter()
        .map(|(process, kinds)| {
            let get = |kind: &str, what: &str| kinds.get(kind).and_then(|m| m.get(what)).cloned();
            (
                process,
                ResourceSetting {
                    reserve_cpu: get("reserve", "cpu"),
                    reserve_memory: get("reserve", "memory"),
                    limit_cpu: get("limit", "cpu"),
                    limit_memory: get("limit", "memory"),
                    limit_gpu: get("limit", "nvidia-gpu"),
                },
            )
        })
        .collect())
}

/// A docker `config.json` from stored registry credentials, if any.
fn docker_config(store: &Store, app: &AppName) -> Result<Option<String>, Error> {
    for scope in [Scope::App(app.clone()), Scope::Global] {
        let Some(text) = store
            .read_text(&scope, docs::REGISTRY_CREDENTIALS)
            .map_err(|e| e.to_string())?
        else {
            continue;
        };
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| format!("registry credentials of {scope} are not valid JSON: {e}"))?;
        if value.get("auths").is_some() {
            return Ok(Some(text));
        }
        let mut auths = serde_json::Map::new();
        for (server, cred) in value.as_object().into_iter().flatten() {
            let user = cred
                .get("username")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let pass = cred
                .get("password")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            auths.insert(server.clone(), serde_json::json!({ "auth": auth }));
        }
        if !auths.is_empty() {
            return Ok(Some(serde_json::json!({ "auths": auths }).to_string()));
        }
    }
    Ok(None)
}

fn nginx_properties(store: &Store, app: &AppName) -> Result<BTreeMap<String, String>, Error> {
    let mut props = store
        .properties(&Scope::Global, "nginx")
        .map_err(|e| e.to_string())?;
    let app_props = store
        .properties(&Scope::App(app.clone()), "nginx")
        .map_err(|e| e.to_string())?;
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
    store.require_app(app).map_err(|e| e.to_string())?;
    let scope = Scope::App(app.clone());
    let props = store
        .scheduler_k3s_properties(Some(app))
        .map_err(|e| e.to_string())?;

    let procfile = match overrides.procfile {
        Some(p) => Some(p),
        None => store
            .read_text(&scope, PROCFILE)
            .map_err(|e| e.to_string())?
            .map(|t| Procfile::parse(&t).map_err(|e| format!("stored {e}")))
            .transpose()?,
    };
    let app_json = match overrides.app_json {
        Some(a) => a,
        None => store
            .read_text(&scope, docs::APP_JSON)
            .map_err(|e| e.to_string())?
            .map(|t| AppJson::parse(&t).map_err(|e| format!("stored {e}")))
            .transpose()?
            .unwrap_or_default(),
    };

    let mut env: BTreeMap<String, String> = read(store, &Scope::Global, docs::CONFIG)?;
    env.extend(read::<BTreeMap<String, String>>(
        store,
        &scope,
        docs::CONFIG,
    )?);

    let scale_raw: BTreeMap<String, u32> = read(store, &scope, docs::SCALE)?;
    let mut scale = BTreeMap::new();
    for (p, n) in scale_raw {
        let proc_type: ProcessType = p.parse().map_err(|e| format!("scale.json: {e}"))?;
        scale.insert(proc_type, n);
    }
    // Processes scaled before the current Procfile was set are not an error for a deploy.
    if let Some(pf) = &procfile {
        scale.retain(|p, _| pf.processes.contains_key(p));
    } else {
        scale.retain(|p, _| p.is_web());
    }

    let ports: Vec<PortMapping> = read(store, &scope, docs::PORTS)?;
    let domains: AppDomains = read(store, &scope, docs::DOMAINS)?;
    let global_auth: BTreeMap<String, BTreeMap<String, String>> =
        read(store, &Scope::Global, docs::AUTOSCALING_AUTH)?;
    let tls_imported = store
        .property(&scope, plugins::SCHEDULER_K3S, "tls-cert-imported")
        .map_err(|e| e.to_string())?
        .is_some_and(|v| v == "true");

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
        ports: ports
            .into_iter()
            .map(|p| PortInput {
                scheme: p.scheme.as_str().to_owned(),
                host_port: p.host_port,
                container_port: p.container_port,
            })
            .collect(),
        domains: if domains.enabled {
            domains
                .vhosts
                .iter()
                .map(|d| d.as_str().to_owned())
                .collect()
        } else {
            Vec::new()
        },
        resources: resources(store, app)?,
        namespace: Some(props.namespace().to_owned()),
        image_pull_secrets: props.image_pull_secrets().map(str::to_owned),
        registry_docker_config: docker_config(store, app)?,
        ingress_class: match props.ingress_class() {
            "traefik" => IngressClass::Traefik,
            _ => IngressClass::Nginx,
        },
        letsencrypt_server: match props.letsencrypt_server() {
            None => LetsencryptServer::Disabled,
            Some("stag") => LetsencryptServer::Stag,
            Some(_) => LetsencryptServer::Prod,
        },
        letsencrypt_email_prod_app: prod_app,
        letsencrypt_email_prod_global: prod_global,
        letsencrypt_email_stag_app: stag_app,
        letsencrypt_email_stag_global: stag_global,
        cert_issuer_name: props.cert_issuer_name().map(str::to_owned),
        cert_issuer_kind: if props.cert_issuer_kind().eq_ignore_ascii_case("issuer") {
            CertIssuerKind::Issuer
        } else {
            CertIssuerKind::ClusterIssuer
        },
        tls_imported,
        nginx: nginx_properties(store, app)?,
        annotations: user_meta(store, app, docs::ANNOTATIONS)?,
        labels: user_meta(store, app, docs::LABELS)?,
        trigger_auth: read(store, &scope, docs::AUTOSCALING_AUTH)?,
        global_trigger_auth: global_auth.keys().cloned().collect::<BTreeSet<_>>(),
        shm_size: props.shm_size().map(str::to_owned),
        ..ReleaseInputs::default()
    };
    Release::build(inputs).map_err(|e| e.to_string())
}
