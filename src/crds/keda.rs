//! KEDA `keda.sh/v1alpha1` ScaledObject, TriggerAuthentication and ClusterTriggerAuthentication.

use std::collections::BTreeMap;

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// `ScaledObject.spec`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "ScaledObject",
    plural = "scaledobjects",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    pub scale_target_ref: ScaleTargetRef,
    pub cooldown_period: i32,
    pub polling_interval: i32,
    pub min_replica_count: i32,
    pub max_replica_count: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
    pub triggers: Vec<ScaleTrigger>,
}

/// What KEDA scales.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTargetRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub env_source_container_name: String,
}

/// Replicas to hold when a scaler keeps failing.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Fallback {
    pub failure_threshold: i32,
    pub replicas: i32,
}

/// One trigger.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTrigger {
    #[serde(rename = "type")]
    pub type_: String,
    pub name: String,
    pub metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
}

/// Reference to a (Cluster)TriggerAuthentication.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct AuthenticationRef {
    pub name: String,
    pub kind: String,
}

/// `TriggerAuthentication.spec`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "TriggerAuthentication",
    plural = "triggerauthentications",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthenticationSpec {
    pub secret_target_ref: Vec<SecretTargetRef>,
}

/// `ClusterTriggerAuthentication.spec`: the same shape, cluster-scoped.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "ClusterTriggerAuthentication",
    plural = "clustertriggerauthentications",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterTriggerAuthenticationSpec {
    pub secret_target_ref: Vec<SecretTargetRef>,
}

/// One trigger parameter read from a Secret key.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SecretTargetRef {
    pub parameter: String,
    pub name: String,
    pub key: String,
}
