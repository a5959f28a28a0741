//! The deploy engine (apply, prune, wait, release records, rollback) against the real local
//! control plane.

mod support;

use std::time::Duration;

use berth::cli::terminal::Terminal;
use berth::kube::deploy::{self, DeployFailed, DeployRequest};
use berth::kube::helm_release::Status;
use berth::kube::history;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde_json::{Value, json};
use support::objects::{deployment, service};
use support::{TestNamespace, client};

fn request(
    app: &str,
    ns: &str,
    objects: Vec<Value>,
    timeout_s: u64,
    rollback: bool,
) -> DeployRequest {
    DeployRequest {
        app: app.into(),
        release: app.into(),
        action: "Deploying",
        namespace: ns.into(),
        objects,
        values: json!({"global": {"app_name": app}})
            .as_object()
            .cloned()
            .unwrap(),
        chart_version: "0.0.1".into(),
        timeout: Duration::from_secs(timeout_s),
        rollback_on_failure: rollback,
        server: "https://test-cluster.invalid".into(),
    }
}

async fn image_of(client: &kube::Client, ns: &str, name: &str) -> String {
    let d = Api::<Deployment>::namespaced(client.clone(), ns)
        .get(name)
        .await
        .unwrap();
    d.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone()
        .unwrap()
}

#[tokio::test]
async fn deploy_prune_history_and_rollback() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-engine").await;
    let app = "shop";
    let progress = Terminal::plain();

    // 1: web (2 replicas) + worker + service → every pod Ready.
    let v1 = vec![
        service(app),
        deployment(app, "web", "registry.invalid/shop:1", 2, json!({})),
        deployment(app, "worker", "registry.invalid/shop:1", 1, json!({})),
    ];
    let done = deploy::deploy(&client, request(app, ns.name(), v1, 60, false), &progress)
        .await
        .expect("first deploy");
    assert_eq!(done.revision, 1);
    let pods = Api::<Pod>::namespaced(client.clone(), ns.name())
        .list(&ListParams::default().labels("app.kubernetes.io/part-of=shop"))
        .await
        .unwrap();
    assert_eq!(pods.items.len(), 3, "2 web + 1 worker pods");
    for p in &pods.items {
        let ready = p
            .status
            .as_ref()
            .unwrap()
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        assert!(ready, "pod {:?} not Ready", p.metadata.name);
    }

    // 2: worker removed → its Deployment is pruned.
    let v2 = vec![
        service(app),
        deployment(app, "web", "registry.invalid/shop:2", 2, json!({})),
    ];
    let done = deploy::deploy(&client, request(app, ns.name(), v2, 60, false), &progress)
        .await
        .expect("second deploy");
    assert_eq!(done.revision, 2);
    assert!(
        done.pruned
            .iter()
            .any(|k| k.kind == "Deployment" && k.name == "shop-worker"),
        "{:?}",
        done.pruned
    );
    let deps = Api::<Deployment>::namespaced(client.clone(), ns.name());
    assert!(
        deps.get_opt("shop-worker").await.unwrap().is_none(),
        "worker Deployment still there"
    );

    // 3: pods never Ready, no rollback → exits with an error, new revision stays (failed).
    let bad = |img: &str| {
        vec![
            service(app),
            deployment(
                app,
                "web",
                img,
                1,
                json!({"berth.test/never-ready": "true"}),
            ),
        ]
    };
    let err = deploy::deploy(
        &client,
        request(app, ns.name(), bad("registry.invalid/shop:3"), 5, false),
        &progress,
    )
    .await
    .expect_err("deploy with never-ready pods must fail");
    let failed = err.downcast_ref::<DeployFailed>().expect("DeployFailed");
    assert_eq!(failed.revision, 3);
    assert_eq!(failed.rolled_back, None);
    assert!(failed.message.contains("timed out"), "{}", failed.message);
    assert_eq!(
        image_of(&client, ns.name(), "shop-web").await,
        "registry.invalid/shop:3"
    );

    // 4: again with rollback-on-failure → back on the last deployed image (revision 2).
    let err = deploy::deploy(
        &client,
        request(app, ns.name(), bad("registry.invalid/shop:4"), 5, true),
        &progress,
    )
    .await
    .expect_err("deploy with never-ready pods must fail");
    let failed = err.downcast_ref::<DeployFailed>().expect("DeployFailed");
    assert_eq!(failed.revision, 4);
    assert_eq!(failed.rolled_back, Some(5));
    assert!(
        failed.message.contains("rolled back to revision 2"),
        "{}",
        failed.message
    );
    assert_eq!(
        image_of(&client, ns.name(), "shop-web").await,
        "registry.invalid/shop:2"
    );

    let revs = history::list(&client, ns.name(), app).await.unwrap();
    let states: Vec<(u32, Status)> = revs.iter().map(|r| (r.version, r.info.status)).collect();
    assert_eq!(
        states,
        vec![
            (1, Status::Superseded),
            (2, Status::Superseded),
            (3, Status::Failed),
            (4, Status::Failed),
            (5, Status::Deployed),
        ]
    );
    assert_eq!(revs[4].info.description, "Rollback to 2");

    // Uninstall removes every object and record.
    let removed = deploy::uninstall(
        &client,
        ns.name(),
        app,
        Duration::from_secs(60),
        &Terminal::plain(),
    )
    .await
    .unwrap();
    assert!(removed.iter().any(|k| k.name == "shop-web"));
    assert!(deps.get_opt("shop-web").await.unwrap().is_none());
    assert!(
        history::list(&client, ns.name(), app)
            .await
            .unwrap()
            .is_empty()
    );
}

fn release_job(app: &str, id: &str, fail: bool) -> Value {
    let mut labels = json!({"app.kubernetes.io/part-of": app, "app.kubernetes.io/name": "release"});
    if fail {
        labels["berth.test/fail"] = json!("true");
    }
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": format!("{app}-release-{id}"), "labels": labels},
        "spec": {"backoffLimit": 0, "template": {"metadata": {"labels": labels},
                 "spec": {"restartPolicy": "Never",
                          "containers": [{"name": format!("{app}-release"), "image": "registry.invalid/x:1"}]}}}
    })
}

#[tokio::test]
async fn release_tasks_run_before_the_rollout() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-tasks").await;
    let app = "tasks";
    let progress = Terminal::plain();
    let deps = Api::<Deployment>::namespaced(client.clone(), ns.name());

    // A failing release task stops the deploy before any Deployment is applied.
    let objs = vec![
        release_job(app, "1", true),
        deployment(app, "web", "registry.invalid/x:1", 1, json!({})),
    ];
    let err = deploy::deploy(&client, request(app, ns.name(), objs, 60, false), &progress)
        .await
        .expect_err("failing release task");
    assert!(err.to_string().contains("release task failed"), "{err}");
    assert!(deps.get_opt("tasks-web").await.unwrap().is_none());

    // A succeeding one lets the rollout go on; the Job is not part of the recorded release.
    let objs = vec![
        release_job(app, "2", false),
        deployment(app, "web", "registry.invalid/x:1", 1, json!({})),
    ];
    let done = deploy::deploy(&client, request(app, ns.name(), objs, 60, false), &progress)
        .await
        .expect("deploy with release task");
    assert!(deps.get_opt("tasks-web").await.unwrap().is_some());
    let rev = history::list(&client, ns.name(), app)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(rev.version, done.revision);
    assert!(!rev.manifest.contains("kind: Job"), "{}", rev.manifest);
}

#[tokio::test]
async fn a_timeout_names_why_pods_are_not_ready() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-reasons").await;
    let app = "picky";
    let progress = Terminal::plain();
    // No node has this label: the pod stays Pending, Unschedulable.
    let mut d = deployment(app, "web", "registry.invalid/picky:1", 1, json!({}));
    d["spec"]["template"]["spec"]["nodeSelector"] = json!({"berth.test/no-such-node": "true"});
    let err = deploy::deploy(
        &client,
        request(app, ns.name(), vec![d], 4, false),
        &progress,
    )
    .await
    .expect_err("unschedulable pods never become ready");
    let msg = err.to_string();
    assert!(
        msg.contains("timed out") && msg.contains("web: 0/1 ready"),
        "{msg}"
    );
    assert!(msg.contains("Unschedulable"), "the reason is named: {msg}");
}

#[tokio::test]
async fn history_keeps_at_most_ten_revisions() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-maxhist").await;
    let app = "many";
    let progress = Terminal::plain();
    for i in 1..=12 {
        let objs = vec![deployment(
            app,
            "web",
            &format!("registry.invalid/many:{i}"),
            1,
            json!({}),
        )];
        deploy::deploy(&client, request(app, ns.name(), objs, 60, false), &progress)
            .await
            .expect("deploy");
    }
    let revs = history::list(&client, ns.name(), app).await.unwrap();
    let versions: Vec<u32> = revs.iter().map(|r| r.version).collect();
    assert_eq!(versions, (3..=12).collect::<Vec<_>>());
    assert_eq!(revs.last().unwrap().info.status, Status::Deployed);
    assert!(
        revs[..9]
            .iter()
            .all(|r| r.info.status == Status::Superseded)
    );
}
