//! cert-manager Certificate for the web process and the per-app letsencrypt Issuer (reference §5.6).

use super::meta::{self, layer, map, object_meta};
use super::naming::{SUBDOMAIN_MAX, fit};
use super::process_name;
use crate::crds::cert_manager::{
    Acme, Certificate, CertificateSpec, Http01, Http01Ingress, Issuer, IssuerRef, IssuerSpec,
    SecretRef, SecretTemplate, Solver,
};
use crate::model::release::{Process, Release, Tls};

/// The TLS Secret ingress uses: the imported `tls-<app>` or the issued `tls-<app>-<process>`.
pub fn tls_secret_name(r: &Release, proc_type: &str) -> String {
    match r.tls {
        Tls::Imported => super::secret::imported_tls_name(r),
        _ => fit(
            &format!("tls-{}-{proc_type}", r.app.object_name()),
            SUBDOMAIN_MAX,
        ),
    }
}

pub fn render(r: &Release, p: &Process) -> Option<Certificate> {
    let Tls::Issued { kind, name: issuer } = &r.tls else {
        return None;
    };
    let web = p.web.as_ref().filter(|w| w.tls && !w.domains.is_empty())?;
    let app = r.app.object_name();
    let proc_type = p.proc_type.as_str();
    let name = process_name(r, proc_type);
    let fixed = map([(meta::NAME, name.as_str()), (meta::PART_OF, app)]);
    let labels = layer(
        fixed.clone(),
        meta::user_labels(r, Some(proc_type), "certificate"),
    );
    let annotations = meta::user_annotations(r, Some(proc_type), "certificate");
    Some(Certificate {
        metadata: object_meta(
            r,
            &name,
            Some(&r.namespace),
            app,
            Some(proc_type),
            labels,
            annotations,
        ),
        spec: CertificateSpec {
            dns_names: web.domains.iter().map(|d| d.name.clone()).collect(),
            issuer_ref: IssuerRef {
                kind: kind.as_str().into(),
                name: issuer.clone(),
            },
            secret_name: tls_secret_name(r, proc_type),
            secret_template: Some(SecretTemplate {
                annotations: map([(meta::DOKKU_MANAGED, "true")]),
                labels: layer(fixed, meta::user_labels(r, Some(proc_type), "secret")),
            }),
        },
    })
}

/// The per-app ACME Issuer when the app has its own letsencrypt email.
pub fn issuer(r: &Release) -> Option<Issuer> {
    let i = r.app_issuer.as_ref()?;
    let has_certificate = r.processes.iter().any(|p| render(r, p).is_some());
    if !has_certificate {
        return None;
    }
    let app = r.app.object_name();
    let name = fit(&i.name, SUBDOMAIN_MAX);
    let labels = map([
        (meta::NAME, fit(&i.name, super::naming::LABEL_MAX).as_str()),
        (meta::PART_OF, app),
    ]);
    Some(Issuer {
        metadata: object_meta(
            r,
            &name,
            Some(&r.namespace),
            app,
            None,
            labels,
            Default::default(),
        ),
        spec: IssuerSpec {
            acme: Acme {
                email: i.email.clone(),
                server: i.server_url.clone(),
                private_key_secret_ref: SecretRef { name: name.clone() },
                solvers: vec![Solver {
                    http01: Http01 {
                        ingress: Http01Ingress {
                            class: r.ingress_class.as_str().into(),
                        },
                    },
                }],
            },
        },
    })
}
