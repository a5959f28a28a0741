//! k3s Helm controller `helm.cattle.io/v1` HelmChart: a chart the controller embedded in k3s
//! installs with a `helm-install-<name>` Job (rust-deps guide §5). berth installs its cluster
//! components this way, so no helm binary is needed on the host.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// `HelmChart.spec` (the fields berth sets; the release name is `metadata.name`).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "helm.cattle.io",
    version = "v1",
    kind = "HelmChart",
    plural = "helmcharts",
    namespaced,
    schema = "disabled",
    status = "HelmChartStatus",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartSpec {
    /// Chart repository URL (`helm --repo`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repo: String,
    /// Chart name in `repo`.
    #[serde(default)]
    pub chart: String,
    /// Chart version (`helm --version`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Namespace of the release (`helm --namespace`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_namespace: String,
    /// `helm --create-namespace`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_namespace: bool,
    /// Inline values YAML.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub values_content: String,
    /// Single values: integers, `true`/`false`/`null` go in as `--set`, other strings as
    /// `--set-string`. They take precedence over `valuesContent`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, IntOrString>,
    /// Extra values files read from Secrets in the HelmChart's namespace (`helm --values`, after
    /// `valuesContent`): values that must not sit in a HelmChart, such as log sink credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values_secrets: Vec<ValuesSecret>,
    /// `helm --timeout` (`300s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// What the install job does with a failed release: `reinstall` (the controller's default),
    /// `abort` (leave it failed and report `Failed`) or `retry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_policy: Option<String>,
}

/// One `valuesSecrets` entry: the keys of Secret `name` that hold values files.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ValuesSecret {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
}

/// `HelmChart.status`, written by the Helm controller.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HelmChartStatus {
    /// The Job that installs or upgrades the chart (`helm-install-<name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_name: Option<String>,
    /// `JobCreated` and `Failed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<HelmChartCondition>,
}

/// One status condition.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct HelmChartCondition {
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl HelmChart {
    /// The `Failed=True` condition, when the controller reports one.
    pub fn failed_condition(&self) -> Option<&HelmChartCondition> {
        self.status
            .as_ref()?
            .conditions
            .iter()
            .find(|c| c.type_ == "Failed" && c.status == "True")
    }
}
