//! Traefik `traefik.io/v1alpha1` IngressRoute and Middleware.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// `IngressRoute.spec`.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "traefik.io",
    version = "v1alpha1",
    kind = "IngressRoute",
    plural = "ingressroutes",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct IngressRouteSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    pub routes: Vec<Route>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<RouteTls>,
}

/// One HTTP route.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    pub kind: String,
    #[serde(rename = "match")]
    pub match_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<MiddlewareRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<RouteService>,
}

/// Reference to a Middleware.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MiddlewareRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Backend Service of a route.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RouteService {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_host_header: Option<bool>,
    pub port: IntOrString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

/// TLS of a `websecure` route.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RouteTls {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
}

/// `Middleware.spec` (only the two middlewares berth uses).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "traefik.io",
    version = "v1alpha1",
    kind = "Middleware",
    plural = "middlewares",
    namespaced,
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct MiddlewareSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress: Option<Compress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_scheme: Option<RedirectScheme>,
}

/// `compress: {}`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Compress {}

/// `redirectScheme`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct RedirectScheme {
    pub scheme: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
}
