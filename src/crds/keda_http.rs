//! The KEDA HTTP add-on's `http.keda.sh/v1alpha1` HTTPScaledObject (only the fields berth sets;
//! the CRD is in `shared/crds/keda-http-add-on`).

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// `HTTPScaledObject.spec`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "http.keda.sh",
    version = "v1alpha1",
    kind = "HTTPScaledObject",
    plural = "httpscaledobjects",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct HTTPScaledObjectSpec {
    pub hosts: Vec<String>,
    pub scale_target_ref: HttpScaleTargetRef,
    pub replicas: HttpReplicas,
    pub scaledown_period: i32,
    pub scaling_metric: ScalingMetric,
}

/// The Deployment to scale and the Service the interceptor forwards to.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HttpScaleTargetRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub service: String,
    pub port: i32,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct HttpReplicas {
    pub min: i32,
    pub max: i32,
}

/// Exactly one of request rate or concurrency.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScalingMetric {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_rate: Option<RequestRate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequestRate {
    pub granularity: String,
    pub target_value: i64,
    pub window: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Concurrency {
    pub target_value: i64,
}
