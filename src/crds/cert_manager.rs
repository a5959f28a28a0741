//! cert-manager `cert-manager.io/v1` Certificate, Issuer and ClusterIssuer.

use std::collections::BTreeMap;

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// `Certificate.spec`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "Certificate",
    plural = "certificates",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    pub dns_names: Vec<String>,
    pub issuer_ref: IssuerRef,
    pub secret_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_template: Option<SecretTemplate>,
}

/// `issuerRef`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct IssuerRef {
    pub kind: String,
    pub name: String,
}

/// Labels/annotations cert-manager copies onto the issued Secret.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SecretTemplate {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `Issuer.spec` / `ClusterIssuer.spec` (ACME only).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "Issuer",
    plural = "issuers",
    namespaced,
    schema = "disabled"
)]
pub struct IssuerSpec {
    pub acme: Acme,
}

/// `ClusterIssuer.spec`: the same shape as an Issuer's.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "cert-manager.io",
    version = "v1",
    kind = "ClusterIssuer",
    plural = "clusterissuers",
    schema = "disabled"
)]
pub struct ClusterIssuerSpec {
    pub acme: Acme,
}

/// ACME account and solvers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Acme {
    pub email: String,
    pub server: String,
    pub private_key_secret_ref: SecretRef,
    pub solvers: Vec<Solver>,
}

/// Reference to a Secret by name.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SecretRef {
    pub name: String,
}

/// One ACME solver (HTTP-01 through the ingress controller).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Solver {
    pub http01: Http01,
}

/// `http01`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Http01 {
    pub ingress: Http01Ingress,
}

/// `http01.ingress`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Http01Ingress {
    pub class: String,
}
