//! Typed custom resources berth renders, from the CRDs in `shared/crds` (only the fields berth
//! sets). `kube::CustomResource` gives each a `kube::Resource` impl (group/version/kind/plural) so
//! the deploy engine can apply them like built-in objects; schema generation is disabled because
//! the real CRDs are installed by their own charts.

pub mod cert_manager;
pub mod helm;
pub mod keda;
pub mod keda_http;
pub mod traefik;
