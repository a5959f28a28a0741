//! What a release is built from: `ReleaseInputs` and the property enums it carries.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{BuilderType, UserMeta};
use crate::model::app_json::AppJson;
use crate::model::names::{AppName, ProcessType};
use crate::model::procfile::Procfile;

/// `ingress-class` (global): which ingress objects the web process gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IngressClass {
    #[default]
    Nginx,
    Traefik,
}

impl IngressClass {
    pub fn as_str(self) -> &'static str {
        match self {
            IngressClass::Nginx => "nginx",
            IngressClass::Traefik => "traefik",
        }
    }
}

/// Computed `letsencrypt-server`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LetsencryptServer {
    #[default]
    Prod,
    Stag,
    /// `false`: no certificate issuance at all.
    Disabled,
}

impl LetsencryptServer {
    /// Suffix of issuer names (`letsencrypt-prod`, `<app>-letsencrypt-stag`).
    pub(crate) fn short(self) -> &'static str {
        match self {
            LetsencryptServer::Stag => "stag",
            _ => "prod",
        }
    }
    pub(crate) fn url(self) -> &'static str {
        match self {
            LetsencryptServer::Stag => "https://acme-staging-v02.api.letsencrypt.org/directory",
            _ => "https://acme-v02.api.letsencrypt.org/directory",
        }
    }
}

/// Computed `cert-issuer-kind`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum CertIssuerKind {
    Issuer,
    #[default]
    ClusterIssuer,
}

impl CertIssuerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CertIssuerKind::Issuer => "Issuer",
            CertIssuerKind::ClusterIssuer => "ClusterIssuer",
        }
    }
}

/// `resource:limit` / `resource:reserve` values of one scope (a process type or `_default_`), as
/// stored: `None`, `""` and `"0"` mean "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceSetting {
    pub reserve_cpu: Option<String>,
    pub reserve_memory: Option<String>,
    pub limit_cpu: Option<String>,
    pub limit_memory: Option<String>,
    pub limit_gpu: Option<String>,
}

/// Everything a release is built from, as the store and the CLI know it (computed properties:
/// app value, else global value, else `None`).
#[derive(Debug, Clone, Default)]
pub struct ReleaseInputs {
    pub app: Option<AppName>,
    pub image: String,
    pub deployment_id: String,
    pub builder: BuilderType,
    pub working_dir: Option<String>,
    /// `None`: no Procfile — a single `web` process runs the image's own entrypoint and command.
    pub procfile: Option<Procfile>,
    pub app_json: AppJson,
    /// `ps:scale` values; a process without one uses app.json `quantity`, else 1 for web, 0 otherwise.
    pub scale: BTreeMap<ProcessType, u32>,
    pub env: BTreeMap<String, String>,
    /// Configured port maps; empty → Dokku's default `http:80:5000`.
    pub ports: Vec<crate::model::PortMapping>,
    pub domains: Vec<crate::model::domain::Domain>,
    /// Keyed by process type / cron id, or `_default_` for the app default.
    pub resources: BTreeMap<String, ResourceSetting>,
    pub namespace: Option<String>,
    /// Computed `image-pull-secrets`: comma-separated Secret names.
    pub image_pull_secrets: Option<String>,
    /// Registry login (docker `config.json`) berth manages `pull-secret-<app>` from.
    pub registry_docker_config: Option<String>,
    pub ingress_class: IngressClass,
    pub letsencrypt_server: LetsencryptServer,
    /// App-level and global letsencrypt emails (prod, stag).
    pub letsencrypt_email_prod_app: Option<String>,
    pub letsencrypt_email_prod_global: Option<String>,
    pub letsencrypt_email_stag_app: Option<String>,
    pub letsencrypt_email_stag_global: Option<String>,
    /// Computed `cert-issuer-name` (`false` = opted out).
    pub cert_issuer_name: Option<String>,
    pub cert_issuer_kind: CertIssuerKind,
    /// The app's imported certificate, if any (Secret `tls-<app>`, used instead of letsencrypt).
    pub imported_tls: Option<crate::model::certificate::ImportedTls>,
    /// Computed nginx properties (`client-max-body-size`, `proxy-read-timeout`, ...).
    pub nginx: BTreeMap<String, String>,
    pub annotations: UserMeta,
    pub labels: UserMeta,
    pub trigger_auth: BTreeMap<String, BTreeMap<String, String>>,
    /// Trigger types with a global (cluster) trigger authentication.
    pub global_trigger_auth: BTreeSet<String>,
    /// From the app's `deploy`-phase docker options: privileged, capabilities, sysctls.
    pub pod_security: crate::model::docker_options::PodSecurity,
    /// Per process type with `docker-options:add --process` options: its merged security.
    pub process_pod_security: BTreeMap<String, crate::model::docker_options::PodSecurity>,
    /// `ps:set start-cmd`: the command of every process, instead of the Procfile's.
    pub start_cmd: Option<String>,
    /// `ps:set dockerfile-start-cmd`: as `start_cmd`, for Dockerfile/image deploys only (wins).
    pub dockerfile_start_cmd: Option<String>,
    /// `ps:set stop-timeout-seconds` when set: the pods' `terminationGracePeriodSeconds`.
    pub stop_timeout_seconds: Option<u32>,
    pub shm_size: Option<String>,
    /// The cluster serves the KEDA HTTP add-on's `http.keda.sh/v1alpha1` (Dokku checks the
    /// cluster's capabilities): `http` triggers then get an HTTPScaledObject and routing.
    pub http_addon: bool,
}
