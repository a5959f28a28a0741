//! Labels and annotations policy, in one place.
//!
//! Every object gets, in this order (a later layer never overrides an earlier *fixed* key):
//! 1. the keys Dokku always injects (`app.kubernetes.io/instance|name|part-of` labels,
//!    `dokku.com/managed`, `app.kubernetes.io/version`, ... annotations — reference §5.14);
//! 2. the standard `app.kubernetes.io/managed-by: Helm` label and `app.kubernetes.io/component`,
//!    plus Helm's adoption annotations `meta.helm.sh/release-name|release-namespace` on top-level
//!    objects, so `helm list/history/rollback` and Helm-aware dashboards recognise berth's objects
//!    (Helm refuses to adopt objects whose `managed-by` is not `Helm`);
//! 3. user labels/annotations from `labels:set` / `annotations:set` for the object's resource type,
//!    merged global → app → process scope (most specific wins). User keys never replace fixed keys:
//!    the selector labels and Dokku's bookkeeping annotations must stay what berth computed.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::model::release::Release;

pub const INSTANCE: &str = "app.kubernetes.io/instance";
pub const NAME: &str = "app.kubernetes.io/name";
pub const PART_OF: &str = "app.kubernetes.io/part-of";
pub const COMPONENT: &str = "app.kubernetes.io/component";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const VERSION: &str = "app.kubernetes.io/version";
pub const DOKKU_MANAGED: &str = "dokku.com/managed";
pub const BUILDER_TYPE: &str = "dokku.com/builder-type";
pub const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";
pub const HELM_RELEASE_NAME: &str = "meta.helm.sh/release-name";
pub const HELM_RELEASE_NAMESPACE: &str = "meta.helm.sh/release-namespace";

/// Value of `app.kubernetes.io/managed-by`: Helm, because berth records Helm release Secrets.
pub const MANAGED_BY_VALUE: &str = "Helm";

pub type Map = BTreeMap<String, String>;

/// Build a string map from pairs.
pub fn map<const N: usize>(pairs: [(&str, &str); N]) -> Map {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Dokku's three fixed labels.
pub fn fixed_labels(instance: &str, name: &str, part_of: &str) -> Map {
    map([(INSTANCE, instance), (NAME, name), (PART_OF, part_of)])
}

/// `fixed` plus `user`, fixed keys winning.
pub fn layer(fixed: Map, user: Map) -> Map {
    let mut out = user;
    out.extend(fixed);
    out
}

/// User annotations for a resource type and optional process scope.
pub fn user_annotations(r: &Release, process: Option<&str>, resource_type: &str) -> Map {
    r.annotations.merged(process, resource_type)
}

/// User labels for a resource type and optional process scope.
pub fn user_labels(r: &Release, process: Option<&str>, resource_type: &str) -> Map {
    r.labels.merged(process, resource_type)
}

/// The annotations every workload and its pods carry (Deployment, CronJob, Job).
pub fn workload_annotations(r: &Release, container: &str) -> Map {
    map([
        (VERSION, r.deployment_id.as_str()),
        (BUILDER_TYPE, r.builder.as_str()),
        (DOKKU_MANAGED, "true"),
        (DEFAULT_CONTAINER, container),
    ])
}

/// Metadata of a top-level object: name, namespace (None for cluster-scoped), labels and
/// annotations with the standard and Helm adoption keys added.
pub fn object_meta(
    r: &Release,
    name: &str,
    namespace: Option<&str>,
    helm_release: &str,
    component: Option<&str>,
    labels: Map,
    annotations: Map,
) -> ObjectMeta {
    let mut standard = map([(MANAGED_BY, MANAGED_BY_VALUE)]);
    if let Some(c) = component {
        standard.insert(COMPONENT.into(), c.into());
    }
    let ns = namespace.unwrap_or(&r.namespace);
    let helm = map([
        (HELM_RELEASE_NAME, helm_release),
        (HELM_RELEASE_NAMESPACE, ns),
        (DOKKU_MANAGED, "true"),
    ]);
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some(layer(standard, labels)),
        annotations: Some(layer(helm, annotations)),
        ..ObjectMeta::default()
    }
}

/// Metadata of an embedded template (pod template, job template): labels and annotations only.
pub fn template_meta(labels: Map, annotations: Map) -> ObjectMeta {
    ObjectMeta {
        labels: Some(labels),
        annotations: Some(annotations),
        ..ObjectMeta::default()
    }
}

/// Add what Helm needs to recognise `obj` as part of release `release` in `ns`
/// (`helm upgrade`/`helm uninstall` check these before touching an object).
pub fn mark_helm_owned(obj: &mut serde_json::Value, release: &str, ns: &str) {
    let Some(meta) = obj
        .get_mut("metadata")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    let labels = meta
        .entry("labels")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if let Some(l) = labels.as_object_mut() {
        l.insert(
            "app.kubernetes.io/managed-by".into(),
            serde_json::Value::String("Helm".into()),
        );
    }
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| serde_json::Value::Object(Default::default()));
    if let Some(a) = annotations.as_object_mut() {
        a.insert(
            "meta.helm.sh/release-name".into(),
            serde_json::Value::String(release.into()),
        );
        a.insert(
            "meta.helm.sh/release-namespace".into(),
            serde_json::Value::String(ns.into()),
        );
    }
}
