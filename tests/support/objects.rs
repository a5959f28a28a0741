//! Object builders for the deploy engine's cluster tests (the client and namespaces come from
//! `tests/support`).
#![allow(dead_code)]

use serde_json::{Value, json};

/// A Dokku-shaped Deployment for process `p` of `app` running `image`.
pub fn deployment(app: &str, p: &str, image: &str, replicas: i32, pod_labels: Value) -> Value {
    let mut labels = json!({
        "app.kubernetes.io/instance": format!("{app}-{p}"),
        "app.kubernetes.io/name": p,
        "app.kubernetes.io/part-of": app,
    });
    let selector = labels.clone();
    if let (Some(l), Some(extra)) = (labels.as_object_mut(), pod_labels.as_object()) {
        for (k, v) in extra {
            l.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("{app}-{p}"), "labels": selector,
                     "annotations": {"dokku.com/managed": "true", "dokku.com/builder-type": "dockerfile",
                                     "app.kubernetes.io/version": "1"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": selector},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": format!("{app}-{p}"), "image": image}]}}}
    })
}

/// A Dokku-shaped Service for `app`'s web process.
pub fn service(app: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": format!("{app}-web"),
                     "labels": {"app.kubernetes.io/part-of": app, "app.kubernetes.io/name": "web"}},
        "spec": {"ports": [{"name": "http-80-5000", "port": 80, "targetPort": 5000}],
                 "selector": {"app.kubernetes.io/instance": format!("{app}-web")}}
    })
}
