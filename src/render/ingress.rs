//! nginx: one `networking.k8s.io/v1` Ingress per domain of the web process (reference §5.7).

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};

use super::meta::{self, fixed_labels, layer, map, object_meta};
use super::naming::{SUBDOMAIN_MAX, fit};
use super::{certificate, keda, process_name, service};
use crate::model::release::{PortMap, PortScheme, Process, Release};

/// The Service port the Ingress targets: any `https-443-*`, else `http-80-*`, else the first
/// https map, else the first http map, else the first map.
fn primary_map(maps: &[PortMap]) -> Option<&PortMap> {
    maps.iter()
        .find(|m| m.scheme == PortScheme::Https && m.host_port == 443)
        .or_else(|| {
            maps.iter()
                .find(|m| m.scheme == PortScheme::Http && m.host_port == 80)
        })
        .or_else(|| maps.iter().find(|m| m.scheme == PortScheme::Https))
        .or_else(|| maps.iter().find(|m| m.scheme == PortScheme::Http))
        .or_else(|| maps.first())
}

pub fn render(r: &Release, p: &Process) -> Vec<Ingress> {
    let Some(web) = &p.web else {
        return Vec::new();
    };
    let app = r.app.object_name();
    let proc_type = p.proc_type.as_str();
    let base = process_name(r, proc_type);
    let labels = layer(
        fixed_labels(&base, proc_type, app),
        meta::user_labels(r, Some(proc_type), "ingress"),
    );
    let mut fixed_annotations = map([("dokku.com/ingress-method", "domains")]);
    if web.tls {
        fixed_annotations.insert(
            "nginx.ingress.kubernetes.io/force-ssl-redirect".into(),
            "true".into(),
        );
    }
    // nginx-derived annotations, overridable by the user's `ingress` annotations (the original
    // reads `deployment` annotations here; berth does what the documentation says).
    let mut user = r.nginx_annotations.clone();
    user.extend(meta::user_annotations(r, Some(proc_type), "ingress"));
    let annotations = layer(fixed_annotations, user);
    let backend_port = primary_map(&web.port_maps).map(PortMap::name);
    let tls_secret = certificate::tls_secret_name(r, proc_type);

    web.domains
        .iter()
        .map(|d| {
            let paths = if keda::http_routed(r, p) {
                // Through the KEDA HTTP add-on's interceptor, which counts and holds requests.
                vec![HTTPIngressPath {
                    path: Some("/".into()),
                    path_type: "Prefix".into(),
                    backend: IngressBackend {
                        service: Some(IngressServiceBackend {
                            name: keda::interceptor_service_name(r, p),
                            port: Some(ServiceBackendPort {
                                name: None,
                                number: Some(keda::INTERCEPTOR_PORT),
                            }),
                        }),
                        ..IngressBackend::default()
                    },
                }]
            } else {
                backend_port
                    .as_ref()
                    .map(|port| {
                        vec![HTTPIngressPath {
                            path: Some("/".into()),
                            path_type: "ImplementationSpecific".into(),
                            backend: IngressBackend {
                                service: Some(IngressServiceBackend {
                                    name: service::name(r, p),
                                    port: Some(ServiceBackendPort {
                                        name: Some(port.clone()),
                                        number: None,
                                    }),
                                }),
                                ..IngressBackend::default()
                            },
                        }]
                    })
                    .unwrap_or_default()
            };
            Ingress {
                metadata: object_meta(
                    r,
                    &fit(&format!("{base}-{}", d.slug), SUBDOMAIN_MAX),
                    Some(&r.namespace),
                    app,
                    Some(proc_type),
                    labels.clone(),
                    annotations.clone(),
                ),
                spec: Some(IngressSpec {
                    ingress_class_name: Some("nginx".into()),
                    tls: web.tls.then(|| {
                        vec![IngressTLS {
                            hosts: Some(vec![d.name.clone()]),
                            secret_name: Some(tls_secret.clone()),
                        }]
                    }),
                    rules: Some(vec![IngressRule {
                        host: Some(d.name.clone()),
                        http: (!paths.is_empty()).then_some(HTTPIngressRuleValue { paths }),
                    }]),
                    ..IngressSpec::default()
                }),
                ..Ingress::default()
            }
        })
        .collect()
}
