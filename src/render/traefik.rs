//! traefik: IngressRoutes per port map and entry point, plus the compression and https-redirect
//! Middlewares (reference §5.7).

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{self, fixed_labels, layer, object_meta};
use super::naming::{SUBDOMAIN_MAX, fit};
use super::{certificate, pod, process_name, service};
use crate::crds::traefik::{
    Compress, IngressRoute, IngressRouteSpec, Middleware, MiddlewareRef, MiddlewareSpec,
    RedirectScheme, Route, RouteService, RouteTls,
};
use crate::model::release::{Host, Process, Release};

/// Traefik v3 rule for a domain. A leading wildcard matches exactly one label, written in v3's
/// regular-expression syntax (the original's `{subdomain:[^.]+}` form is Traefik v2 syntax,
/// which Traefik v3 no longer parses by default) with priority 1 so exact hosts win.
fn rule(d: &Host) -> (String, Option<i64>) {
    match d.name.strip_prefix("*.") {
        Some(rest) => (
            format!("HostRegexp(`^[^.]+\\.{}$`)", rest.replace('.', "\\.")),
            Some(1),
        ),
        None => (format!("Host(`{}`)", d.name), None),
    }
}

/// Middlewares and IngressRoutes of one process (none without domains).
pub fn render(r: &Release, p: &Process) -> (Vec<Middleware>, Vec<IngressRoute>) {
    let Some(web) = p.web.as_ref().filter(|w| !w.domains.is_empty()) else {
        return (Vec::new(), Vec::new());
    };
    let app = r.app.object_name();
    let proc_type = p.proc_type.as_str();
    let base = process_name(r, proc_type);
    let ns = r.namespace.as_str();
    let compression = fit(&format!("{base}-compression"), SUBDOMAIN_MAX);
    let redirect = fit(&format!("{base}-redirect-to-https"), SUBDOMAIN_MAX);

    let middleware = |name: &str, spec: MiddlewareSpec| {
        let labels = layer(
            fixed_labels(&fit(name, super::naming::LABEL_MAX), proc_type, app),
            meta::user_labels(r, Some(proc_type), "traefik_middleware"),
        );
        let annotations = meta::user_annotations(r, Some(proc_type), "traefik_middleware");
        Middleware {
            metadata: object_meta(r, name, Some(ns), app, Some(proc_type), labels, annotations),
            spec,
        }
    };
    let middlewares = vec![
        middleware(
            &compression,
            MiddlewareSpec {
                compress: Some(Compress {}),
                ..MiddlewareSpec::default()
            },
        ),
        middleware(
            &redirect,
            MiddlewareSpec {
                redirect_scheme: Some(RedirectScheme {
                    scheme: "https".into(),
                    permanent: Some(true),
                }),
                ..MiddlewareSpec::default()
            },
        ),
    ];

    let labels = layer(
        fixed_labels(&base, proc_type, app),
        meta::user_labels(r, Some(proc_type), "traefik_ingressroute"),
    );
    let annotations = meta::user_annotations(r, Some(proc_type), "traefik_ingressroute");
    let tls_secret = certificate::tls_secret_name(r, proc_type);
    let mut routes = Vec::new();
    for m in web
        .port_maps
        .iter()
        .filter(|m| !pod::covered_https(m, &web.port_maps))
    {
        let entry_points: &[&str] = if web.tls {
            &["web", "websecure"]
        } else {
            &["web"]
        };
        for ep in entry_points {
            let mut refs = vec![MiddlewareRef {
                name: compression.clone(),
                namespace: Some(ns.into()),
            }];
            if *ep == "web" && web.tls {
                refs.push(MiddlewareRef {
                    name: redirect.clone(),
                    namespace: Some(ns.into()),
                });
            }
            let route_rules = web
                .domains
                .iter()
                .map(|d| {
                    let (match_, priority) = rule(d);
                    Route {
                        kind: "Rule".into(),
                        match_,
                        priority,
                        middlewares: refs.clone(),
                        services: vec![RouteService {
                            name: service::name(r, p),
                            namespace: Some(ns.into()),
                            pass_host_header: Some(true),
                            port: IntOrString::String(m.name()),
                            scheme: Some("http".into()),
                        }],
                    }
                })
                .collect();
            let suffix = if *ep == "websecure" { "-websecure" } else { "" };
            let name = fit(&format!("{base}-{}{suffix}", m.name()), SUBDOMAIN_MAX);
            routes.push(IngressRoute {
                metadata: object_meta(
                    r,
                    &name,
                    Some(ns),
                    app,
                    Some(proc_type),
                    labels.clone(),
                    annotations.clone(),
                ),
                spec: IngressRouteSpec {
                    entry_points: vec![(*ep).to_owned()],
                    routes: route_rules,
                    tls: (*ep == "websecure").then(|| RouteTls {
                        secret_name: Some(tls_secret.clone()),
                    }),
                },
            });
        }
    }
    (middlewares, routes)
}
