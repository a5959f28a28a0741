//! berth's release records read by the real `helm` CLI (built from the Go module proxy by
//! scripts/test-cluster build): list/history/status agree with berth, uninstall removes the app.

mod support;

use std::process::Command;
use std::time::Duration;

use berth::cli::terminal::Terminal;
use berth::kube::deploy::{self, DeployRequest};
use berth::kube::history;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Secret, Service};
use kube::api::{Api, ListParams};
use serde_json::{Value, json};
use support::objects::{deployment, service};
use support::{TestNamespace, client};

/// The helm binary: `BERTH_TEST_HELM` (written to the env file by `scripts/test-cluster up`),
/// else the path `scripts/test-cluster helm-bin` names. Missing → a loud failure.
fn helm() -> String {
    let path = std::env::var("BERTH_TEST_HELM").unwrap_or_else(|_| {
        let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-cluster"))
            .arg("helm-bin")
            .output()
            .expect("run scripts/test-cluster helm-bin");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    });
    assert!(
        std::path::Path::new(&path).is_file(),
        "helm binary {path:?} is missing: run scripts/test-cluster build (it builds helm)"
    );
    path
}

fn helm_json(args: &[&str]) -> Value {
    let kubeconfig = std::env::var("BERTH_TEST_KUBECONFIG").expect("BERTH_TEST_KUBECONFIG");
    let out = Command::new(helm())
        .args(args)
        .args(["--kubeconfig", &kubeconfig, "-o", "json"])
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("berth-helm-cache"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("berth-helm-config"),
        )
        .output()
        .expect("run helm");
    assert!(
        out.status.success(),
        "helm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("helm JSON")
}

#[tokio::test]
async fn helm_reads_berth_history_and_uninstalls() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-helm").await;
    let app = "blog";
    let progress = Terminal::plain();
    for (i, image) in ["registry.invalid/blog:1", "registry.invalid/blog:2"]
        .iter()
        .enumerate()
    {
        let req = DeployRequest {
            app: app.into(),
            release: app.into(),
            action: "Deploying",
            namespace: ns.name().to_owned(),
            objects: vec![service(app), deployment(app, "web", image, 1, json!({}))],
            values: json!({"global": {"image": {"name": image}}})
                .as_object()
                .cloned()
                .unwrap(),
            chart_version: format!("0.0.{}", 100 + i),
            timeout: Duration::from_secs(60),
            rollback_on_failure: false,
            server: "https://test-cluster.invalid".into(),
        };
        deploy::deploy(&client, req, &progress)
            .await
            .expect("deploy");
    }
    let ours = history::list(&client, ns.name(), app).await.unwrap();

    let hist = helm_json(&["history", app, "-n", ns.name()]);
    let hist = hist.as_array().expect("history array");
    assert_eq!(hist.len(), ours.len());
    for (h, r) in hist.iter().zip(&ours) {
        assert_eq!(h["revision"], r.version);
        assert_eq!(h["status"], r.info.status.as_str());
        assert_eq!(h["description"], r.info.description.as_str());
        assert_eq!(h["chart"], format!("{app}-0.0.{}", 99 + r.version));
        assert_eq!(h["app_version"], "1.0.0");
    }
    assert_eq!(hist[1]["status"], "deployed");
    assert_eq!(hist[0]["status"], "superseded");

    let list = helm_json(&["list", "-n", ns.name()]);
    assert_eq!(list[0]["name"], app);
    assert_eq!(list[0]["revision"], "2");
    assert_eq!(list[0]["status"], "deployed");

    let status = helm_json(&["status", app, "-n", ns.name()]);
    assert_eq!(status["version"], 2);
    assert_eq!(
        status["config"]["global"]["image"]["name"],
        "registry.invalid/blog:2"
    );

    let kubeconfig = std::env::var("BERTH_TEST_KUBECONFIG").unwrap();
    let out = Command::new(helm())
        .args([
            "uninstall",
            app,
            "-n",
            ns.name(),
            "--wait",
            "--timeout",
            "60s",
            "--kubeconfig",
            &kubeconfig,
        ])
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("berth-helm-cache"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("berth-helm-config"),
        )
        .output()
        .expect("run helm uninstall");
    assert!(
        out.status.success(),
        "helm uninstall: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deps = Api::<Deployment>::namespaced(client.clone(), ns.name());
    assert!(
        deps.get_opt("blog-web").await.unwrap().is_none(),
        "Deployment left after helm uninstall"
    );
    let svcs = Api::<Service>::namespaced(client.clone(), ns.name());
    assert!(
        svcs.get_opt("blog-web").await.unwrap().is_none(),
        "Service left after helm uninstall"
    );
    let records = Api::<Secret>::namespaced(client.clone(), ns.name())
        .list(&ListParams::default().labels("owner=helm"))
        .await
        .unwrap();
    assert!(
        records.items.is_empty(),
        "release records left after helm uninstall"
    );
}
