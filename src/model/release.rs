//! `Release`: everything render needs to know about one deploy of one app, resolved and validated,
//! with defaults applied. Plain data: building one does no IO, rendering one does no IO.
//!
//! `Release::build` turns raw inputs (`ReleaseInputs`: what the store, the CLI flags, the Procfile
//! and app.json say) into a `Release`, applying the reference's rules (§5): scale and autoscaling
//! defaults, port-map expansion for TLS, TLS source resolution, nginx-derived annotations, cron ids.

mod autoscaling;
mod build;
mod cron;
mod domains;
mod inputs;
mod interpolate;
mod network;
mod ports;
mod probes;
mod processes;
mod resources;
mod tls;

use std::collections::BTreeMap;

use serde::Serialize;

use super::app_json::{ConcurrencyPolicy, Healthcheck};
use super::names::{AppName, ProcessType};

pub use build::ReleaseError;
pub use cron::{cron_hash, cron_id};
pub use inputs::{CertIssuerKind, IngressClass, LetsencryptServer, ReleaseInputs, ResourceSetting};
pub use interpolate::{command_words, shell_args};
pub use tls::serves_tls;

/// How the image was built; decides the start command form (Dokku's `dokku.com/builder-type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BuilderType {
    /// Image deploys and Dockerfile builds: the Procfile command (or the image's own CMD) runs as is.
    #[default]
    Dockerfile,
    /// Heroku buildpacks: `/start <process>`.
    Herokuish,
    /// Cloud Native Buildpacks: the command runs through `launcher`.
    Pack,
}

impl BuilderType {
    /// The builder names `builder:set <app> selected` accepts (Dokku's names for these builders).
    pub const NAMES: [&'static str; 3] = ["dockerfile", "herokuish", "pack"];

    /// Parses Dokku's builder name; `None` for anything else.
    pub fn parse(name: &str) -> Option<BuilderType> {
        match name {
            "dockerfile" => Some(BuilderType::Dockerfile),
            "herokuish" => Some(BuilderType::Herokuish),
            "pack" => Some(BuilderType::Pack),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BuilderType::Dockerfile => "dockerfile",
            BuilderType::Herokuish => "herokuish",
            BuilderType::Pack => "pack",
        }
    }
}

/// Where pods get their image pull credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub enum ImagePull {
    /// Public image: no `imagePullSecrets`.
    #[default]
    None,
    /// `image-pull-secrets`: existing Secrets named by the user (a comma-separated list, as documented).
    Named(Vec<String>),
    /// Registry login known to berth: berth manages Secret `pull-secret-<app>` with this
    /// docker `config.json` content.
    Managed { docker_config_json: String },
}

/// Where the web TLS certificate comes from (reference §5.6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub enum Tls {
    #[default]
    Disabled,
    /// An imported certificate in Secret `tls-<app>`.
    Imported,
    /// cert-manager issues Secret `tls-<app>-<process>` from this issuer.
    Issued { kind: CertIssuerKind, name: String },
}

impl Tls {
    pub fn enabled(&self) -> bool {
        !matches!(self, Tls::Disabled)
    }
}

/// A per-app cert-manager `Issuer` berth renders (app-level letsencrypt email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppIssuer {
    /// `<app>-letsencrypt-prod` or `<app>-letsencrypt-stag`.
    pub name: String,
    pub email: String,
    pub server_url: String,
}

/// Scheme of a resolved port map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortScheme {
    Http,
    Https,
    Udp,
}

/// A port map as the workloads see it, after filtering and TLS expansion (reference §5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortMap {
    pub scheme: PortScheme,
    pub host_port: u16,
    pub container_port: u16,
}

impl PortMap {
    /// `<scheme>-<host>-<container>`, e.g. `http-80-5000`.
    pub fn name(&self) -> String {
        let scheme = match self.scheme {
            PortScheme::Http => "http",
            PortScheme::Https => "https",
            PortScheme::Udp => "udp",
        };
        format!("{scheme}-{}-{}", self.host_port, self.container_port)
    }
}

/// A domain served by the web process, with the slug used in object names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Host {
    pub name: String,
    pub slug: String,
}

impl Host {
    pub fn is_wildcard(&self) -> bool {
        self.name.starts_with("*.")
    }
}

/// The network face of a process that gets a Service (`web`, or a process with `service.exposed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebSection {
    /// Sorted by name.
    pub port_maps: Vec<PortMap>,
    /// Sorted; empty for exposed non-web processes.
    pub domains: Vec<Host>,
    /// TLS applies to this process (web only).
    pub tls: bool,
    /// Container port probes and `$PORT` use.
    pub primary_port: u16,
}

/// Resource requests/limits in Kubernetes quantity spelling; `None` means "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    pub request_cpu: Option<String>,
    pub request_memory: Option<String>,
    pub limit_cpu: Option<String>,
    pub limit_memory: Option<String>,
    pub limit_gpu: Option<String>,
}

/// Probes from app.json healthchecks, one per kind (only the first of each kind counts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Probes {
    pub startup: Option<Healthcheck>,
    pub liveness: Option<Healthcheck>,
    pub readiness: Option<Healthcheck>,
}

/// A KEDA trigger after defaults and interpolation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScaleTrigger {
    pub name: String,
    pub kind: String,
    pub metadata: BTreeMap<String, String>,
    /// `TriggerAuthentication` (app auth) or `ClusterTriggerAuthentication` (global auth) by name.
    pub auth: Option<TriggerAuthRef>,
}

/// Reference from a trigger to its authentication object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggerAuthRef {
    pub name: String,
    pub cluster: bool,
}

/// KEDA autoscaling of one process (reference §5.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Autoscaling {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub polling_interval_seconds: u32,
    pub cooldown_seconds: u32,
    pub triggers: Vec<ScaleTrigger>,
    /// Replicas KEDA falls back to when a non-cpu/memory scaler fails (the scale count).
    pub fallback_replicas: u32,
    /// The `http` trigger's settings, for the KEDA HTTP add-on's HTTPScaledObject.
    pub http: Option<HttpScaling>,
}

/// An `http` trigger (reference §5.8): how the KEDA HTTP add-on scales the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpScaling {
    pub scaledown_period_seconds: u32,
    pub metric: HttpMetric,
}

/// `scale_by`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HttpMetric {
    RequestRate {
        granularity_seconds: u32,
        target_value: u32,
        window_seconds: u32,
    },
    Concurrency {
        target_value: u32,
    },
}

/// One long-running process type → one Deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Process {
    pub proc_type: ProcessType,
    /// Container args (start command words); empty = the image's own entrypoint and command.
    pub args: Vec<String>,
    pub replicas: u32,
    pub resources: Resources,
    pub probes: Probes,
    pub autoscaling: Option<Autoscaling>,
    pub web: Option<WebSection>,
    /// Privileged, capabilities and sysctls of this process's pods: the `deploy` docker options
    /// and the ones added with `--process` for this process type.
    pub security: crate::model::docker_options::PodSecurity,
}

/// One app.json cron task → one CronJob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CronTask {
    /// Dokku's cron id (process scope for resources and user annotations/labels).
    pub id: String,
    /// SHA-1 hex of the id.
    pub hash: String,
    /// 10 hex chars in the CronJob name, derived from the hash so redeploys keep the name.
    pub suffix: String,
    pub command: String,
    pub args: Vec<String>,
    pub schedule: String,
    pub concurrency_policy: ConcurrencyPolicy,
    pub suspend: bool,
    pub resources: Resources,
}

/// A task run to completion before the rollout (app.json `scripts.dokku.predeploy`, Procfile `release`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseTask {
    /// `predeploy`, `release`, `postdeploy` or `heroku-postdeploy`.
    pub name: String,
    pub command: String,
    pub resources: Resources,
    pub runs: TaskRuns,
}

/// When a deploy runs a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TaskRuns {
    /// Before the new processes roll out (predeploy, the Procfile `release` entry).
    BeforeRollout,
    /// After a successful rollout (`scripts.dokku.postdeploy`).
    AfterRollout,
    /// After the app's first successful rollout only, once (Heroku's `scripts.postdeploy`).
    AfterFirstRollout,
}

impl TaskRuns {
    /// The `dokku.com/task-runs` annotation value the deploy engine and `--dry-run` show.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskRuns::BeforeRollout => "before-rollout",
            TaskRuns::AfterRollout => "after-rollout",
            TaskRuns::AfterFirstRollout => "after-first-rollout",
        }
    }
}

/// Where a user annotation or label was set, from weakest to strongest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum MetaScope {
    /// `--global`: every app (the original stores these but never applies them; berth applies them).
    Global,
    /// `--global` with a process type: that process type of every app.
    GlobalProcess(String),
    /// The app, all process types (process type `--global` under the app).
    App,
    /// One process type or cron id of the app.
    Process(String),
}

/// User annotations or labels by (scope, resource type, e.g. `deployment`, `pod`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserMeta {
    pub entries: BTreeMap<(MetaScope, String), BTreeMap<String, String>>,
}

impl UserMeta {
    /// Global, global-process, app, then process scope (the more specific wins), for one resource type.
    pub fn merged(&self, process: Option<&str>, resource_type: &str) -> BTreeMap<String, String> {
        let mut scopes = vec![MetaScope::Global];
        if let Some(p) = process {
            scopes.push(MetaScope::GlobalProcess(p.to_owned()));
        }
        scopes.push(MetaScope::App);
        if let Some(p) = process {
            scopes.push(MetaScope::Process(p.to_owned()));
        }
        let mut out = BTreeMap::new();
        for scope in scopes {
            if let Some(m) = self.entries.get(&(scope, resource_type.to_owned())) {
                out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        out
    }

    /// Add one entry (builder style, for tests and the store reader).
    pub fn insert(
        &mut self,
        scope: MetaScope,
        resource_type: &str,
        key: &str,
        value: &str,
    ) -> &mut Self {
        self.entries
            .entry((scope, resource_type.to_owned()))
            .or_default()
            .insert(key.to_owned(), value.to_owned());
        self
    }
}

/// Everything known about one deploy of one app, validated, defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    pub app: AppName,
    pub namespace: String,
    pub image: String,
    pub builder: BuilderType,
    pub working_dir: Option<String>,
    /// Dokku's deployment id (Unix seconds of the deploy); annotation `app.kubernetes.io/version`.
    pub deployment_id: String,
    /// Config vars, stored in Secret `config-<app>`.
    pub env: BTreeMap<String, String>,
    /// The imported certificate, stored in Secret `tls-<app>` (when `tls` is `Imported`).
    pub imported_tls: Option<crate::model::certificate::ImportedTls>,
    pub image_pull: ImagePull,
    /// Sorted by process type.
    pub processes: Vec<Process>,
    pub cron_tasks: Vec<CronTask>,
    /// In run order.
    pub release_tasks: Vec<ReleaseTask>,
    pub ingress_class: IngressClass,
    /// Annotations derived from nginx properties for nginx Ingresses.
    pub nginx_annotations: BTreeMap<String, String>,
    pub tls: Tls,
    pub app_issuer: Option<AppIssuer>,
    pub annotations: UserMeta,
    pub labels: UserMeta,
    /// App-level KEDA trigger auth: trigger type → metadata (secret values).
    pub trigger_auth: BTreeMap<String, BTreeMap<String, String>>,
    /// `/dev/shm` size (memory quantity), if set.
    /// From the `deploy`-phase docker options (reference §5.4).
    pub pod_security: crate::model::docker_options::PodSecurity,
    /// `ps:set stop-timeout-seconds` when set: the pods' `terminationGracePeriodSeconds`.
    pub stop_timeout_seconds: Option<u32>,
    pub shm_size: Option<String>,
    /// See [`inputs::ReleaseInputs::http_addon`].
    pub http_addon: bool,
    /// Things the user should know that do not stop the deploy (e.g. ignored port mappings).
    pub warnings: Vec<String>,
}
