//! The cluster-wide letsencrypt ClusterIssuers (reference §4.4): `letsencrypt-prod` and
//! `letsencrypt-stag`, each only when its global email is set. Not part of any app's release
//! (the original installs them as the `cluster-issuers` chart in namespace `cert-manager`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::meta::{self, map};
use crate::crds::cert_manager::{
    Acme, ClusterIssuer, ClusterIssuerSpec, Http01, Http01Ingress, SecretRef, Solver,
};
use crate::model::release::IngressClass;

/// Helm release the original installs the ClusterIssuers as.
pub const CLUSTER_ISSUERS_RELEASE: &str = "cluster-issuers";
/// Namespace of that release.
pub const CLUSTER_ISSUERS_NAMESPACE: &str = "cert-manager";

fn issuer(name: &str, server: &str, email: &str, class: IngressClass) -> ClusterIssuer {
    ClusterIssuer {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(map([(meta::MANAGED_BY, meta::MANAGED_BY_VALUE)])),
            annotations: Some(map([
                (meta::DOKKU_MANAGED, "true"),
                (meta::HELM_RELEASE_NAME, CLUSTER_ISSUERS_RELEASE),
                (meta::HELM_RELEASE_NAMESPACE, CLUSTER_ISSUERS_NAMESPACE),
            ])),
            ..ObjectMeta::default()
        },
        spec: ClusterIssuerSpec {
            acme: Acme {
                email: email.to_owned(),
                server: server.to_owned(),
                private_key_secret_ref: SecretRef {
                    name: name.to_owned(),
                },
                solvers: vec![Solver {
                    http01: Http01 {
                        ingress: Http01Ingress {
                            class: class.as_str().to_owned(),
                        },
                    },
                }],
            },
        },
    }
}

/// ClusterIssuers for the global letsencrypt emails (empty or `None` = that issuer is not rendered).
pub fn cluster_issuers(
    email_prod: Option<&str>,
    email_stag: Option<&str>,
    class: IngressClass,
) -> Vec<ClusterIssuer> {
    let mut out = Vec::new();
    if let Some(e) = email_prod.filter(|e| !e.is_empty()) {
        out.push(issuer(
            "letsencrypt-prod",
            "https://acme-v02.api.letsencrypt.org/directory",
            e,
            class,
        ));
    }
    if let Some(e) = email_stag.filter(|e| !e.is_empty()) {
        out.push(issuer(
            "letsencrypt-stag",
            "https://acme-staging-v02.api.letsencrypt.org/directory",
            e,
            class,
        ));
    }
    out
}
