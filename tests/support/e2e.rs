//! Shared steps of the end-to-end journeys (`tests/e2e_*.rs`): the `berth` binary driving the
//! local cluster's real node, answers checked through the real Traefik ingress.
#![allow(dead_code)]

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};

use crate::support::real::RealNode;
use crate::support::{BerthEnv, TestNamespace, ok, write};

/// How long an answer through the ingress may take to appear after berth returns (Traefik
/// watching EndpointSlices): a bound, not an expectation.
pub const ROUTE_TIMEOUT: Duration = Duration::from_secs(60);

/// A berth home on the test cluster with `app` created in the real namespace `ns`.
pub fn real_app(app: &str, ns: &TestNamespace) -> BerthEnv {
    let env = BerthEnv::new();
    env.use_test_cluster();
    ok(&env, &["apps:create", app]);
    ok(&env, &["scheduler-k3s:set", app, "namespace", ns.name()]);
    env
}

/// The running, Ready, not-terminating pods of `app`'s `process` type.
pub async fn live_pods(client: &Client, ns: &str, app: &str, process: &str) -> Vec<Pod> {
    Api::<Pod>::namespaced(client.clone(), ns)
        .list(&ListParams::default().labels(&format!(
            "app.kubernetes.io/part-of={app},app.kubernetes.io/name={process}"
        )))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .collect()
}

/// Every pod of the app ran on the real node (the namespace's admission defaults did that).
pub async fn assert_on_real_node(client: &Client, ns: &str, app: &str, real: &RealNode) {
    let pods = Api::<Pod>::namespaced(client.clone(), ns)
        .list(&ListParams::default().labels(&format!("app.kubernetes.io/part-of={app}")))
        .await
        .unwrap();
    assert!(!pods.items.is_empty(), "no pods of {app} in {ns}");
    for p in &pods.items {
        let node = p.spec.as_ref().and_then(|s| s.node_name.clone());
        assert_eq!(
            node.as_deref(),
            Some(real.node.as_str()),
            "pod {} ran on {node:?}",
            p.name_any()
        );
    }
}

/// The value of `key=` in a testapp answer (`process=web version=1 release=... message=... pod=...`).
pub fn field<'a>(body: &'a str, key: &str) -> &'a str {
    body.split_whitespace()
        .find_map(|w| w.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or("")
}

/// One end-to-end journey: the real node, a client, a fresh real namespace and a scratch dir
/// for the Procfiles and app.json files the journey writes. End it with [`Journey::end`].
pub struct Journey {
    pub real: RealNode,
    pub client: Client,
    pub ns: TestNamespace,
    pub dir: tempfile::TempDir,
}

impl Journey {
    /// A journey in a new real namespace `<prefix>-xxxxxxxx`.
    pub async fn start(prefix: &str) -> Journey {
        let real = RealNode::from_env();
        let client = crate::support::client().await;
        let ns = TestNamespace::create_real(&client, prefix).await;
        Journey {
            real,
            client,
            ns,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A berth home with `app` created in the journey's namespace, served at [`host`]`(app)`.
    pub fn app(&self, app: &str) -> BerthEnv {
        let env = real_app(app, &self.ns);
        ok(&env, &["domains:set", app, &host(app)]);
        env
    }

    /// Writes `text` to `name` in the scratch dir; returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        write(self.dir.path(), name, text)
    }

    pub async fn end(self) {
        self.ns.cleanup().await;
    }
}

/// The domain a journey's app is served at: `<app>.berth.test`.
pub fn host(app: &str) -> String {
    format!("{app}.berth.test")
}

/// `berth deploy <app> --image <image> <extra...>`, which must succeed; its stdout.
pub fn deploy(env: &BerthEnv, app: &str, image: &str, extra: &[&str]) -> String {
    let mut args = vec!["deploy", app, "--image", image];
    args.extend_from_slice(extra);
    ok(env, &args)
}
