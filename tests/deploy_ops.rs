//! Process and one-off operations against the real local control plane: scale, restart,
//! stop/start, run (attached, failing, detached), run listing, logs (filters, follow), enter,
//! cron:run.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Result, anyhow};
use berth::cli::terminal::Terminal;
use berth::kube::deploy::{self, DeployRequest};
use berth::kube::exec::{self, EnterRequest};
use berth::kube::jobs::{self, RunRequest};
use berth::kube::logs::{self, LogsRequest};
use berth::kube::{ps, run};
use futures::StreamExt;
use k8s_openapi::api::batch::v1::CronJob;
use kube::api::Api;
use serde_json::{Value, json};
use support::objects::{deployment, service};
use support::{TestNamespace, client};

/// The deployed release's objects, changed by `change`, deployed as a new revision: how the
/// engine is driven here without berth's store.
async fn redeploy_current(
    client: &kube::Client,
    ns: &str,
    app: &str,
    timeout: Duration,
    rollback_on_failure: bool,
    progress: &dyn berth::progress::Reporter,
    change: impl FnOnce(Vec<Value>) -> Result<Vec<Value>>,
) -> Result<deploy::Deployed> {
    let current = ps::deployed_release(client, ns, app).await?;
    let objects =
        berth::kube::helm_release::manifest_objects(&current.manifest).map_err(|e| anyhow!(e))?;
    let objects = change(objects)?;
    let req = DeployRequest {
        app: app.to_owned(),
        release: app.to_owned(),
        action: "Deploying",
        namespace: ns.to_owned(),
        objects,
        values: current.config.clone(),
        chart_version: current
            .chart
            .as_ref()
            .map(|c| c.metadata.version.clone())
            .unwrap_or_else(|| "0.0.0".into()),
        timeout,
        rollback_on_failure,
        server: "https://test-cluster.invalid".into(),
    };
    deploy::deploy(client, req, progress).await
}

/// Objects with each listed process type's Deployment set to its new replica count. A process
/// type without a Deployment in the release is an error naming the ones it has.
fn with_replicas(mut objects: Vec<Value>, scale: &BTreeMap<String, i32>) -> Result<Vec<Value>> {
    let known: Vec<String> = objects
        .iter()
        .filter(|o| o["kind"] == "Deployment")
        .filter_map(|o| process_of(o).map(str::to_owned))
        .collect();
    for (process, replicas) in scale {
        let Some(obj) = objects
            .iter_mut()
            .find(|o| o["kind"] == "Deployment" && process_of(o) == Some(process))
        else {
            return Err(anyhow!(
                "process type {process} is not in the deployed release (it has: {}); deploy the app to add it",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ));
        };
        obj["spec"]["replicas"] = json!(replicas);
    }
    Ok(objects)
}

fn process_of(obj: &Value) -> Option<&str> {
    obj["metadata"]["labels"]["app.kubernetes.io/name"].as_str()
}

fn cronjob(app: &str) -> Value {
    let labels = json!({"app.kubernetes.io/part-of": app, "app.kubernetes.io/name": "cron",
                        "app.kubernetes.io/instance": format!("{app}-cron-abc")});
    json!({
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": format!("{app}-cron-abc"), "labels": labels,
                     "annotations": {"dokku.com/cron-id": "nightly", "dokku.com/managed": "true"}},
        "spec": {"schedule": "0 3 * * *", "suspend": false,
                 "jobTemplate": {"spec": {"backoffLimit": 0, "template": {
                     "metadata": {"labels": labels},
                     "spec": {"restartPolicy": "Never",
                              "containers": [{"name": format!("{app}-cron"), "image": "registry.invalid/ops:1",
                                              "args": ["echo", "nightly"]}]}}}}}
    })
}

async fn web_pods(client: &kube::Client, ns: &str, app: &str) -> Vec<String> {
    let states = ps::live_state(client, ns, app).await.unwrap();
    let web = states.iter().find(|s| s.process_type == "web").unwrap();
    web.pods.iter().map(|p| p.name.clone()).collect()
}

#[tokio::test]
async fn scale_restart_stop_start_run_logs_enter_cron() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-ops").await;
    let n = ns.name();
    let app = "ops";
    let progress = Terminal::plain();
    let t = Duration::from_secs(60);
    let req = DeployRequest {
        app: app.into(),
        release: app.into(),
        action: "Deploying",
        namespace: n.into(),
        objects: vec![
            service(app),
            deployment(app, "web", "registry.invalid/ops:1", 1, json!({})),
            deployment(app, "worker", "registry.invalid/ops:1", 1, json!({})),
            cronjob(app),
        ],
        values: Default::default(),
        chart_version: "0.0.1".into(),
        timeout: t,
        rollback_on_failure: false,
        server: "https://test-cluster.invalid".into(),
    };
    deploy::deploy(&client, req, &progress)
        .await
        .expect("deploy");

    // Scale up, then down: applied at once, as new revisions.
    let up = redeploy_current(&client, n, app, t, false, &progress, |o| {
        with_replicas(o, &BTreeMap::from([("web".to_string(), 3)]))
    })
    .await
    .expect("scale up");
    assert_eq!(up.revision, 2);
    assert_eq!(web_pods(&client, n, app).await.len(), 3);
    redeploy_current(&client, n, app, t, false, &progress, |o| {
        with_replicas(o, &BTreeMap::from([("web".to_string(), 1)]))
    })
    .await
    .expect("scale down");
    let states = ps::live_state(&client, n, app).await.unwrap();
    let web = states.iter().find(|s| s.process_type == "web").unwrap();
    assert_eq!((web.desired, web.ready), (1, 1));
    assert_eq!(ps::running_summary(&states), "true");

    // Targeted restart: web pods are replaced, the worker pod is not.
    let worker_before = ps::live_state(&client, n, app)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.process_type == "worker")
        .unwrap()
        .pods;
    let web_before = web_pods(&client, n, app).await;
    redeploy_current(&client, n, app, t, false, &progress, |o| {
        berth::render::restart::with_restart(o, Some("web"), "2026-01-01T00:00:00Z")
    })
    .await
    .expect("restart web");
    let web_after = web_pods(&client, n, app).await;
    assert_eq!(web_after.len(), 1);
    assert!(
        web_before.iter().all(|p| !web_after.contains(p)),
        "{web_before:?} -> {web_after:?}"
    );
    let worker_after = ps::live_state(&client, n, app)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.process_type == "worker")
        .unwrap()
        .pods;
    assert_eq!(worker_before, worker_after);

    // Stop: everything at 0 and cron suspended; start: back to the release's scale.
    let stopped = ps::stop(&client, n, app).await.expect("stop");
    assert_eq!(stopped.len(), 2);
    let crons: Api<CronJob> = Api::namespaced(client.clone(), n);
    assert_eq!(
        crons.get("ops-cron-abc").await.unwrap().spec.suspend,
        Some(true)
    );
    let states = ps::live_state(&client, n, app).await.unwrap();
    assert!(states.iter().all(|s| s.desired == 0), "{states:?}");
    redeploy_current(&client, n, app, t, false, &progress, Ok)
        .await
        .expect("start");
    let states = ps::live_state(&client, n, app).await.unwrap();
    assert!(
        states.iter().all(|s| s.desired == 1 && s.ready == 1),
        "{states:?}"
    );
    assert_eq!(
        crons.get("ops-cron-abc").await.unwrap().spec.suspend,
        Some(false)
    );

    // run: attached succeeds (0), a failing pod propagates its exit code (1), detached keeps the
    // job and run:list sees it.
    let release = ps::deployed_release(&client, n, app).await.unwrap();
    let base = jobs::run_base(&release).unwrap();
    let mut rr = RunRequest {
        process_type: "run".into(),
        command: vec!["echo".into(), "hello".into()],
        remove: true,
        deadline_seconds: 600,
        ..RunRequest::default()
    };
    let job = jobs::job_manifest(&base, &rr, &jobs::random_suffix());
    assert_eq!(
        run::run_attached(&client, n, &job, t, true)
            .await
            .expect("run"),
        0
    );
    rr.labels.insert("berth.test/fail".into(), "true".into());
    let job = jobs::job_manifest(&base, &rr, &jobs::random_suffix());
    assert_eq!(
        run::run_attached(&client, n, &job, t, true)
            .await
            .expect("run failing"),
        1
    );
    rr.labels.clear();
    let job = jobs::job_manifest(&base, &rr, "detached01");
    let pod = run::run_detached(&client, n, &job, t)
        .await
        .expect("run:detached");
    assert!(pod.starts_with("ops-run-detached01"), "{pod}");
    let runs = run::list_runs(&client, n, app).await.unwrap();
    assert_eq!(
        runs.len(),
        1,
        "attached runs are removed, the detached one stays"
    );
    assert_eq!(runs[0].metadata.name.as_deref(), Some("ops-run-detached01"));
    let job_pod = run::job_pod(&client, n, "ops-run-detached01")
        .await
        .unwrap();
    assert_eq!(job_pod.metadata.name.as_deref(), Some(pod.as_str()));

    // logs: all pods with a prefix each, filtered by process type, bounded follow.
    let lr = LogsRequest {
        app: app.into(),
        namespace: n.into(),
        ..LogsRequest::default()
    };
    let lines: Vec<String> = logs::stream_logs(&client, &lr)
        .await
        .unwrap()
        .map(|l| l.unwrap())
        .collect()
        .await;
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ops[ops-web-") && l.contains("line 1 of 3")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("ops[ops-worker-")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("ops[ops-run-")),
        "run pods are not app logs: {lines:?}"
    );
    let lr_worker = LogsRequest {
        process_type: Some("worker".into()),
        lines: 1,
        ..lr.clone()
    };
    let lines: Vec<String> = logs::stream_logs(&client, &lr_worker)
        .await
        .unwrap()
        .map(|l| l.unwrap())
        .collect()
        .await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("ops[ops-worker-") && lines[0].contains("line 3 of 3"),
        "{lines:?}"
    );
    let lr_follow = LogsRequest {
        follow: true,
        quiet: true,
        ..lr.clone()
    };
    let stream = logs::stream_logs(&client, &lr_follow).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(20), stream.take(6).collect::<Vec<_>>())
        .await
        .expect("follow delivers lines");
    assert_eq!(got.len(), 6);
    assert!(
        got.iter()
            .all(|l| l.as_ref().unwrap().starts_with("berth-kwok-fixture")),
        "quiet: no prefix"
    );
    let bad = LogsRequest {
        process_type: Some("nope".into()),
        ..lr.clone()
    };
    let err = logs::stream_logs(&client, &bad)
        .await
        .err()
        .expect("no pods");
    assert!(err.to_string().contains("No pods found"), "{err}");

    // enter: runs the command in the web container, exit codes propagate.
    let er = EnterRequest {
        app: app.into(),
        namespace: n.into(),
        process_type: Some("web".into()),
        command: vec!["sh".into(), "-c".into(), "exit 3".into()],
        ..EnterRequest::default()
    };
    assert_eq!(exec::enter(&client, &er).await.expect("enter"), 3);
    let er_ok = EnterRequest {
        command: vec!["true".into()],
        ..er.clone()
    };
    assert_eq!(exec::enter(&client, &er_ok).await.expect("enter"), 0);

    // cron:run: a Job from the CronJob, completes.
    let cron = crons.get("ops-cron-abc").await.unwrap();
    assert_eq!(jobs::cron_id(&cron), Some("nightly"));
    assert_eq!(jobs::cron_command(&cron), "echo nightly");
    let job = jobs::job_from_cronjob(&cron, app, &jobs::random_suffix()).unwrap();
    assert_eq!(
        run::run_attached(&client, n, &job, t, true)
            .await
            .expect("cron:run"),
        0
    );
}
