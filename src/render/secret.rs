//! Secrets (reference §5.3, §5.8): `config-<app>` with the config vars, `pull-secret-<app>` with a
//! registry login berth manages, and `kta-<app>-<trigger>` with app-level KEDA auth metadata.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;

use super::meta::{self, fixed_labels, layer, map, object_meta};
use super::naming::{SUBDOMAIN_MAX, fit};
use crate::model::release::{ImagePull, Release};

/// Name of the config Secret every container reads its environment from.
pub fn config_name(r: &Release) -> String {
    config_name_for(r.app.object_name())
}

/// [`config_name`] from the app's name alone (reading a recorded revision).
pub fn config_name_for(app: &str) -> String {
    fit(&format!("config-{app}"), SUBDOMAIN_MAX)
}

/// Name of the Secret berth manages from a registry login.
pub fn pull_secret_name(r: &Release) -> String {
    fit(
        &format!("pull-secret-{}", r.app.object_name()),
        SUBDOMAIN_MAX,
    )
}

/// Name of the Secret holding the imported certificate (`certs:add`).
pub fn imported_tls_name(r: &Release) -> String {
    fit(&format!("tls-{}", r.app.object_name()), SUBDOMAIN_MAX)
}

/// Name of the Secret holding app-level KEDA auth for one trigger type.
pub fn keda_secret_name(r: &Release, trigger: &str) -> String {
    fit(
        &format!("kta-{}-{trigger}", r.app.object_name()),
        SUBDOMAIN_MAX,
    )
}

fn bytes(m: &BTreeMap<String, String>) -> BTreeMap<String, ByteString> {
    m.iter()
        .map(|(k, v)| (k.clone(), ByteString(v.as_bytes().to_vec())))
        .collect()
}

fn app_secret(
    r: &Release,
    name: String,
    kind: Option<&str>,
    data: BTreeMap<String, ByteString>,
) -> Secret {
    let app = r.app.object_name();
    let labels = layer(
        map([(meta::NAME, name.as_str()), (meta::PART_OF, app)]),
        meta::user_labels(r, None, "secret"),
    );
    let annotations = meta::user_annotations(r, None, "secret");
    // The original installs these Secrets as their own Helm releases (`config-A`, `pull-secret-A`).
    let helm_release = name.clone();
    Secret {
        metadata: object_meta(
            r,
            &name,
            Some(&r.namespace),
            &helm_release,
            None,
            labels,
            annotations,
        ),
        type_: kind.map(str::to_owned),
        data: Some(data),
        ..Secret::default()
    }
}

pub fn render(r: &Release) -> Vec<Secret> {
    let app = r.app.object_name();
    let mut out = vec![app_secret(r, config_name(r), Some("Opaque"), bytes(&r.env))];
    if let ImagePull::Managed { docker_config_json } = &r.image_pull {
        out.push(app_secret(
            r,
            pull_secret_name(r),
            Some("kubernetes.io/dockerconfigjson"),
            BTreeMap::from([(
                ".dockerconfigjson".to_owned(),
                ByteString(docker_config_json.as_bytes().to_vec()),
            )]),
        ));
    }
    if let Some(tls) = &r.imported_tls {
        out.push(imported_tls_secret(r, tls));
    }
    for (trigger, metadata) in &r.trigger_auth {
        let name = keda_secret_name(r, trigger);
        let instance = fit(&format!("{app}-{trigger}"), super::naming::LABEL_MAX);
        let labels = layer(
            fixed_labels(&instance, trigger, app),
            meta::user_labels(r, None, "keda_secret"),
        );
        let annotations = layer(
            map([(meta::VERSION, r.deployment_id.as_str())]),
            meta::user_annotations(r, None, "keda_secret"),
        );
        out.push(Secret {
            metadata: object_meta(r, &name, Some(&r.namespace), app, None, labels, annotations),
            type_: Some("Opaque".into()),
            data: Some(bytes(metadata)),
            ..Secret::default()
        });
    }
    out
}

/// Secret `tls-<app>` (reference §7.4): type `kubernetes.io/tls`, labelled as imported with the
/// SHA-224 of certificate and key, so a changed certificate is a changed object.
fn imported_tls_secret(r: &Release, tls: &crate::model::certificate::ImportedTls) -> Secret {
    use sha2::{Digest, Sha224};
    let name = imported_tls_name(r);
    let checksum = hex::encode(Sha224::digest(format!("{}{}", tls.crt, tls.key).as_bytes()));
    let mut secret = app_secret(
        r,
        name,
        Some("kubernetes.io/tls"),
        BTreeMap::from([
            (
                "tls.crt".to_owned(),
                ByteString(tls.crt.as_bytes().to_vec()),
            ),
            (
                "tls.key".to_owned(),
                ByteString(tls.key.as_bytes().to_vec()),
            ),
        ]),
    );
    let labels = secret.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert("dokku.com/cert-source".into(), "imported".into());
    labels.insert("dokku.com/cert-checksum".into(), checksum);
    secret
}
