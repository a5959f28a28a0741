//! Helpers for the deploy engine's cluster tests: a client for the local control plane (from
//! `BERTH_TEST_KUBECONFIG`, failing loudly when it is not up) and a namespace per test.
#![allow(dead_code)]

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::{Value, json};

/// A client for the test control plane. Panics with the fix when the cluster is not up.
pub async fn client() -> Client {
    let path = std::env::var("BERTH_TEST_KUBECONFIG").unwrap_or_else(|_| {
        panic!(
            "BERTH_TEST_KUBECONFIG is not set: start the control plane (scripts/test-cluster up) \
             and source its env file (set -a; . /tmp/berth-dev-cluster/env; set +a)"
        )
    });
    let kc = Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("cannot read BERTH_TEST_KUBECONFIG {path}: {e}"));
    let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig {path}: {e}"));
    let client = Client::try_from(cfg).expect("kube client");
    client
        .apiserver_version()
        .await
        .unwrap_or_else(|e| panic!("the test control plane at {path} is not reachable: {e}"));
    client
}

/// A fresh namespace, deleted when the guard drops.
pub struct TestNamespace {
    pub name: String,
    client: Client,
}

impl TestNamespace {
    pub async fn new(client: &Client, prefix: &str) -> TestNamespace {
        let name = format!("{prefix}-{}", hex::encode(rand::random::<[u8; 4]>()));
        let api: Api<Namespace> = Api::all(client.clone());
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        api.create(&PostParams::default(), &ns)
            .await
            .expect("create namespace");
        TestNamespace {
            name,
            client: client.clone(),
        }
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        let client = self.client.clone();
        let name = self.name.clone();
        // Best effort, in the background of whatever runtime is still alive.
        if let Ok(h) = tokio::runtime::Handle::try_current() {
            h.spawn(async move {
                let api: Api<Namespace> = Api::all(client);
                let _ = api.delete(&name, &DeleteParams::background()).await;
            });
        }
    }
}

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
