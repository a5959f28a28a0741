//! One rendered object, and the `---`-separated YAML / JSON List output `deploy --dry-run` prints.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use serde::Serialize;

use crate::crds::cert_manager::{Certificate, ClusterIssuer, Issuer};
use crate::crds::keda::{ClusterTriggerAuthentication, ScaledObject, TriggerAuthentication};
use crate::crds::keda_http::HTTPScaledObject;
use crate::crds::traefik::{IngressRoute, Middleware};

/// A typed Kubernetes object berth renders. Variants differ in size; a handful per release are
/// built, so boxing would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Manifest {
    ServiceAccount(ServiceAccount),
    Secret(Secret),
    /// A release task (predeploy / Procfile `release`) to run to completion before the rollout.
    Job(Job),
    Deployment(Deployment),
    CronJob(CronJob),
    Service(Service),
    Middleware(Middleware),
    IngressRoute(IngressRoute),
    Ingress(Ingress),
    Issuer(Issuer),
    /// Cluster-wide; rendered by `cluster_issuers`, never by `render`.
    ClusterIssuer(ClusterIssuer),
    Certificate(Certificate),
    TriggerAuthentication(TriggerAuthentication),
    ClusterTriggerAuthentication(ClusterTriggerAuthentication),
    ScaledObject(ScaledObject),
    /// KEDA HTTP add-on (rendered only when the cluster serves it).
    HTTPScaledObject(HTTPScaledObject),
}

macro_rules! each {
    ($self:ident, $o:ident => $e:expr) => {
        match $self {
            Manifest::ServiceAccount($o) => $e,
            Manifest::Secret($o) => $e,
            Manifest::Job($o) => $e,
            Manifest::Deployment($o) => $e,
            Manifest::CronJob($o) => $e,
            Manifest::Service($o) => $e,
            Manifest::Middleware($o) => $e,
            Manifest::IngressRoute($o) => $e,
            Manifest::Ingress($o) => $e,
            Manifest::Issuer($o) => $e,
            Manifest::ClusterIssuer($o) => $e,
            Manifest::Certificate($o) => $e,
            Manifest::TriggerAuthentication($o) => $e,
            Manifest::ClusterTriggerAuthentication($o) => $e,
            Manifest::ScaledObject($o) => $e,
            Manifest::HTTPScaledObject($o) => $e,
        }
    };
}

fn kind_of<K: kube::Resource<DynamicType = ()>>(_: &K) -> String {
    K::kind(&()).into_owned()
}

fn api_version_of<K: kube::Resource<DynamicType = ()>>(_: &K) -> String {
    K::api_version(&()).into_owned()
}

impl Manifest {
    /// `Deployment`, `IngressRoute`, ...
    pub fn kind(&self) -> String {
        each!(self, o => kind_of(o))
    }

    /// `apps/v1`, `traefik.io/v1alpha1`, ...
    pub fn api_version(&self) -> String {
        each!(self, o => api_version_of(o))
    }

    pub fn name(&self) -> String {
        each!(self, o => kube::ResourceExt::name_any(o))
    }

    /// `None` for cluster-scoped objects.
    pub fn namespace(&self) -> Option<String> {
        each!(self, o => kube::ResourceExt::namespace(o))
    }

    pub fn labels(&self) -> std::collections::BTreeMap<String, String> {
        each!(self, o => kube::ResourceExt::labels(o).clone())
    }

    pub fn annotations(&self) -> std::collections::BTreeMap<String, String> {
        each!(self, o => kube::ResourceExt::annotations(o).clone())
    }

    /// True for release-task Jobs, which the deploy engine runs to completion before the rest.
    pub fn is_release_task(&self) -> bool {
        matches!(self, Manifest::Job(_))
    }

    /// The object as JSON (what server-side apply sends).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// `Kind/namespace/name`, for messages.
    pub fn describe(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{}/{ns}/{}", self.kind(), self.name()),
            None => format!("{}/{}", self.kind(), self.name()),
        }
    }

    /// Replace every Secret value with `<redacted>` (for printing without `--show-secrets`). The
    /// keys stay visible, as `stringData` so the placeholder is readable.
    pub fn redact_secrets(&mut self) {
        if let Manifest::Secret(s) = self {
            let mut keys: Vec<String> = s.data.take().unwrap_or_default().into_keys().collect();
            keys.extend(s.string_data.take().unwrap_or_default().into_keys());
            s.string_data = Some(
                keys.into_iter()
                    .map(|k| (k, "<redacted>".to_owned()))
                    .collect(),
            );
        }
    }
}

/// YAML documents separated by `---`, ready for `kubectl apply -f -`.
pub fn to_yaml(manifests: &[Manifest]) -> String {
    // Serialising plain data (maps, strings, integers) cannot fail; fall back to JSON lines if it did.
    let values: Vec<serde_json::Value> = manifests.iter().map(Manifest::to_value).collect();
    // Long single-line strings (names, queries) stay on one line instead of being folded (`>-`);
    // multi-line ones (nginx snippets) still print as `|` blocks.
    let options = serde_saphyr::ser_options! { folded_wrap_chars: 1_000_000 };
    match serde_saphyr::to_string_multiple_with_options(&values, options) {
        Ok(s) => s,
        Err(_) => values
            .iter()
            .map(|v| format!("{v}\n"))
            .collect::<Vec<_>>()
            .join("---\n"),
    }
}

/// A `v1` `List` of every object, pretty-printed (`kubectl apply -f -` accepts it too).
pub fn to_json(manifests: &[Manifest]) -> String {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": manifests.iter().map(Manifest::to_value).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
}
