//! The `berth` binary against the real local control plane: deploy, scale, restart, stop/start,
//! prune of a removed process type, timeouts with and without rollback, history vs `helm`,
//! run/run:detached/run:list/run:logs, logs (filters, bounded follow), enter, cron:run, destroy
//! and rename leaving nothing behind, unreachable API, concurrent deploys.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DynamicObject, ListParams};
use kube::discovery::{Discovery, Scope, verbs};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use support::{BerthEnv, TestNamespace, client, fail, ok, run, write};

/// A berth home pointed at the test cluster, with `app` created in namespace `ns`.
fn app_env(app: &str, ns: &str) -> BerthEnv {
    let env = BerthEnv::new();
    env.use_test_cluster();
    ok(&env, &["apps:create", app]);
    ok(&env, &["scheduler-k3s:set", app, "namespace", ns]);
    env
}

/// Label `app`'s pods so the simulated nodes never make them Ready (testenv/README.md).
fn never_ready(env: &BerthEnv, app: &str) {
    ok(
        env,
        &[
            "scheduler-k3s:labels:set",
            app,
            "berth.test/never-ready",
            "true",
            "--resource-type",
            "pod",
        ],
    );
}

async fn deployment(client: &Client, ns: &str, name: &str) -> Option<Deployment> {
    Api::<Deployment>::namespaced(client.clone(), ns)
        .get_opt(name)
        .await
        .unwrap()
}

fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(-1)
}

fn image(d: &Deployment) -> String {
    d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .image
        .clone()
        .unwrap()
}

/// Ready pods of `app`'s process type, by name (pods being deleted excluded).
/// The names of `app`'s live pods of `process`, sorted.
async fn ready_pods(client: &Client, ns: &str, app: &str, process: &str) -> Vec<String> {
    let mut names: Vec<String> = support::e2e::live_pods(client, ns, app, process)
        .await
        .iter()
        .map(|p| p.name_any())
        .collect();
    names.sort();
    names
}

/// Every namespaced object in `ns` labelled `app.kubernetes.io/part-of=<app>`, over every kind
/// the server serves, plus the app's Helm release records.
async fn everything_of(client: &Client, ns: &str, app: &str) -> Vec<String> {
    let discovery = Discovery::new(client.clone()).run().await.unwrap();
    let mut found = Vec::new();
    for group in discovery.groups() {
        for (ar, caps) in group.recommended_resources() {
            if caps.scope != Scope::Namespaced || !caps.supports_operation(verbs::LIST) {
                continue;
            }
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
            let Ok(list) = api
                .list(&ListParams::default().labels(&format!("app.kubernetes.io/part-of={app}")))
                .await
            else {
                continue;
            };
            found.extend(
                list.items
                    .iter()
                    .map(|o| format!("{}/{}", ar.kind, o.name_any())),
            );
        }
    }
    let records = Api::<Secret>::namespaced(client.clone(), ns)
        .list(&ListParams::default().labels(&format!("owner=helm,name={app}")))
        .await
        .unwrap();
    found.extend(
        records
            .items
            .iter()
            .map(|s| format!("Secret/{}", s.name_any())),
    );
    found
}

/// Wait (bounded) until `check` holds; cluster controllers act asynchronously after berth returns
/// for the parts berth does not wait for (garbage collection of old pods).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn helm_history(ns: &str, app: &str) -> Vec<Value> {
    let helm = std::env::var("BERTH_TEST_HELM").unwrap_or_else(|_| {
        let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-cluster"))
            .arg("helm-bin")
            .output()
            .expect("scripts/test-cluster helm-bin");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    });
    let out = Command::new(&helm)
        .args(["history", app, "-n", ns, "-o", "json", "--kubeconfig"])
        .arg(support::kubeconfig_path())
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("berth-helm-cache"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("berth-helm-config"),
        )
        .output()
        .unwrap_or_else(|e| panic!("helm {helm:?} (run scripts/test-cluster build): {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn deploy_scale_restart_stop_start_prune_history_run_logs_enter_destroy() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-cli").await;
    let n = ns.name().to_owned();
    let app = "shop";
    let env = app_env(app, &n);
    let dir = tempfile::tempdir().unwrap();
    let procfile = write(
        dir.path(),
        "Procfile",
        "web: node server.js\nworker: node worker.js\n",
    );

    // Deploy → the web pod is Ready (worker defaults to 0).
    let out = ok(
        &env,
        &[
            "deploy",
            app,
            "--image",
            "registry.invalid/shop:1",
            "--procfile",
            &procfile,
            "-q",
        ],
    );
    assert!(out.contains("revision 1"), "{out}");
    assert_eq!(ready_pods(&client, &n, app, "web").await.len(), 1);

    // ps:scale applies at once: up, then down.
    ok(&env, &["ps:scale", app, "worker=2", "web=2"]);
    let worker = deployment(&client, &n, "shop-worker").await.unwrap();
    assert_eq!(replicas(&worker), 2);
    assert_eq!(ready_pods(&client, &n, app, "worker").await.len(), 2);
    ok(&env, &["ps:scale", app, "worker=0"]);
    assert_eq!(
        replicas(&deployment(&client, &n, "shop-worker").await.unwrap()),
        0
    );
    eventually("worker pods gone", || async {
        ready_pods(&client, &n, app, "worker").await.is_empty()
    })
    .await;

    // A process type the deployed release does not have cannot be scaled up (Dokku's rule; to 0
    // is fine), and a scale that changes nothing makes no revision (it would push real rollback
    // targets out of the 10-revision history).
    let revisions = helm_history(&n, app).len();
    let (code, err) = fail(&env, &["ps:scale", app, "wrker=1"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "wrker is not a valid process name to scale up (the app's process types: web, worker)"
        ),
        "{err}"
    );
    let out = ok(&env, &["ps:scale", app, "worker=0", "web=2"]);
    assert!(out.contains("nothing to roll out"), "{out}");
    ok(&env, &["ps:scale", app, "wrker=0"]);
    assert_eq!(helm_history(&n, app).len(), revisions);

    // ps:restart web replaces the web pods.
    let before = ready_pods(&client, &n, app, "web").await;
    assert_eq!(before.len(), 2);
    ok(&env, &["ps:restart", app, "web", "-q"]);
    let after = ready_pods(&client, &n, app, "web").await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(
        before.iter().all(|p| !after.contains(p)),
        "{before:?} -> {after:?}"
    );

    // ps:stop scales to 0, ps:start brings the stored scale back.
    let out = ok(&env, &["ps:stop", app]);
    assert!(out.contains("Stopping web process"), "{out}");
    assert_eq!(
        replicas(&deployment(&client, &n, "shop-web").await.unwrap()),
        0
    );
    ok(&env, &["ps:start", app, "-q"]);
    assert_eq!(
        replicas(&deployment(&client, &n, "shop-web").await.unwrap()),
        2
    );
    assert_eq!(ready_pods(&client, &n, app, "web").await.len(), 2);
    let inspect: Value =
        serde_json::from_str(&ok(&env, &["ps:inspect", app, "--format", "json"])).unwrap();
    assert_eq!(inspect["running"], "true");
    let report: Value =
        serde_json::from_str(&ok(&env, &["ps:report", app, "--format", "json"])).unwrap();
    assert_eq!(report["deployed"], "true");
    assert_eq!(report["running"], "true");
    assert!(
        report["status-web-2"]
            .as_str()
            .unwrap()
            .starts_with("running (shop-web-"),
        "{report}"
    );

    // Redeploy without the worker process type → its Deployment is pruned.
    let web_only = write(dir.path(), "Procfile.web", "web: node server.js\n");
    ok(
        &env,
        &[
            "deploy",
            app,
            "--image",
            "registry.invalid/shop:2",
            "--procfile",
            &web_only,
            "-q",
        ],
    );
    assert!(
        deployment(&client, &n, "shop-worker").await.is_none(),
        "worker Deployment left behind"
    );
    assert_eq!(
        image(&deployment(&client, &n, "shop-web").await.unwrap()),
        "registry.invalid/shop:2"
    );

    // History: berth and helm agree.
    let ours: Value = serde_json::from_str(&ok(
        &env,
        &["scheduler-k3s:history", app, "--format", "json"],
    ))
    .unwrap();
    let ours = ours.as_array().unwrap();
    let theirs = helm_history(&n, app);
    assert_eq!(ours.len(), theirs.len());
    assert!(ours.len() >= 6, "{ours:?}");
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a["revision"], b["revision"]);
        assert_eq!(a["status"], b["status"]);
        assert_eq!(a["description"], b["description"]);
    }
    assert_eq!(ours.last().unwrap()["status"], "deployed");
    assert_eq!(ours.last().unwrap()["image"], "registry.invalid/shop:2");

    // run: output streamed, exit code propagated.
    let out = ok(&env, &["run", app, "--", "echo", "hi"]);
    assert!(out.contains("berth-kwok-fixture: line 3 of 3"), "{out}");
    ok(
        &env,
        &[
            "scheduler-k3s:labels:set",
            app,
            "berth.test/fail",
            "true",
            "--resource-type",
            "pod",
            "--process-type",
            "run",
        ],
    );
    let (code, _) = fail(&env, &["run", app, "--", "false"]);
    assert_eq!(code, 1);
    ok(
        &env,
        &[
            "scheduler-k3s:labels:set",
            app,
            "berth.test/fail",
            "",
            "--resource-type",
            "pod",
            "--process-type",
            "run",
        ],
    );
    let (_, err) = fail(&env, &["run", app, "--env", "NOT A PAIR", "--", "true"]);
    assert!(err.contains("Invalid environment variable pair"), "{err}");

    // run:detached / run:list / run:logs.
    let pod = ok(&env, &["run:detached", app, "--", "sleep", "5"]);
    assert!(pod.trim().starts_with("shop-run-"), "{pod}");
    let list: Value =
        serde_json::from_str(&ok(&env, &["run:list", app, "--format", "json"])).unwrap();
    let runs = list.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{list}");
    assert!(pod.trim().starts_with(runs[0]["name"].as_str().unwrap()));
    assert_eq!(runs[0]["command"], "sleep 5");
    let logs = ok(&env, &["run:logs", app]);
    assert!(logs.contains("line 1 of 3"), "{logs}");

    // logs: prefix per pod, filter by process type and count, bounded follow.
    let logs = ok(&env, &["logs", app, "-p", "web", "-n", "1"]);
    let lines: Vec<&str> = logs.lines().collect();
    assert_eq!(lines.len(), 2, "one line per web pod: {logs}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("shop[shop-web-") && l.contains("line 3 of 3")),
        "{logs}"
    );
    let logs = ok(&env, &["logs", app, "-p", "web.2", "-q"]);
    assert_eq!(
        logs.lines().count(),
        3,
        "second pod only, no prefix: {logs}"
    );
    assert!(
        logs.lines().all(|l| l.starts_with("berth-kwok-fixture")),
        "{logs}"
    );
    let (_, err) = fail(&env, &["logs", app, "-p", "web.9"]);
    assert!(err.contains("out of range"), "{err}");
    let mut follow = env
        .std_cmd()
        .args(["logs", app, "--tail", "-p", "web"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(follow.stdout.take().unwrap());
    let mut got = Vec::new();
    for _ in 0..6 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        got.push(line);
    }
    assert!(
        follow.try_wait().unwrap().is_none(),
        "--tail keeps following"
    );
    follow.kill().unwrap();
    let _ = follow.wait();
    assert!(
        got.iter().all(|l| l.starts_with("shop[shop-web-")),
        "{got:?}"
    );

    // enter runs a command in a web container and propagates its exit code.
    let out = ok(
        &env,
        &["enter", app, "web", "--", "sh", "-c", "echo entered"],
    );
    assert_eq!(out.trim(), "entered");
    let (code, _) = fail(&env, &["enter", app, "web", "--", "sh", "-c", "exit 7"]);
    assert_eq!(code, 7);

    // apps:destroy leaves nothing labelled with the app, of any kind, and no release records.
    ok(&env, &["apps:destroy", app, "--force"]);
    let left = everything_of(&client, &n, app).await;
    assert!(left.is_empty(), "left behind: {left:?}");
    let (_, err) = fail(&env, &["apps:exists", app]);
    assert!(err.contains("does not exist"), "{err}");
    ns.cleanup().await;
}

/// The count `ps:scale APP` shows for `process`.
fn stored_scale(env: &BerthEnv, app: &str, process: &str) -> String {
    let shown = ok(env, &["ps:scale", app]);
    shown
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{process}:")))
        .unwrap_or_else(|| panic!("no {process} in {shown}"))
        .trim()
        .to_owned()
}

#[tokio::test]
async fn timeout_without_and_with_rollback() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-timeout").await;
    let n = ns.name().to_owned();
    let app = "slow";
    let env = app_env(app, &n);
    ok(&env, &["config:set", "--no-restart", app, "RELEASE=one"]);
    ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/slow:1", "-q"],
    );
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "4s"]);
    never_ready(&env, app);

    // Without rollback: exit 1, the failed revision stays live.
    let (code, err) = fail(
        &env,
        &["deploy", app, "--image", "registry.invalid/slow:2", "-q"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("timed out") && err.contains("web"), "{err}");
    // The hint comes last on the error line.
    let line = err.lines().last().unwrap_or_default();
    assert!(
        line.starts_with(" !     deploy of slow failed: ")
            && line.ends_with("; next: `berth ps:inspect slow`, `berth logs slow`"),
        "{err}"
    );
    // The plain progress says what happens, with the time taken and the deadline.
    assert!(err.contains("=====> Deploying slow (revision 2)"), "{err}");
    assert!(err.contains(" [0s of "), "no elapsed/deadline in: {err}");
    assert!(
        err.contains("rollback-on-failure"),
        "says how to get a rollback: {err}"
    );
    assert_eq!(
        image(&deployment(&client, &n, "slow-web").await.unwrap()),
        "registry.invalid/slow:2"
    );
    let hist: Value = serde_json::from_str(&ok(
        &env,
        &["scheduler-k3s:history", app, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(hist.as_array().unwrap().last().unwrap()["status"], "failed");

    // With rollback: exit 1, back on the last deployed image (revision 1), and it says so.
    ok(
        &env,
        &["scheduler-k3s:set", app, "rollback-on-failure", "true"],
    );
    // A config and scale change stored but not yet running: the rollback puts the store back to
    // what runs, so the next ps:* or config:* does not silently undo it.
    ok(&env, &["config:set", "--no-restart", app, "RELEASE=three"]);
    ok(&env, &["ps:scale", "--skip-deploy", app, "web=2"]);
    let (code, err) = fail(
        &env,
        &["deploy", app, "--image", "registry.invalid/slow:3", "-q"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("rolled back to revision 1"), "{err}");
    assert!(
        err.contains("the stored config and scale now match what runs"),
        "{err}"
    );
    assert_eq!(ok(&env, &["config:get", app, "RELEASE"]).trim(), "one");
    assert_eq!(stored_scale(&env, app, "web"), "1");
    let web = deployment(&client, &n, "slow-web").await.unwrap();
    assert_eq!(image(&web), "registry.invalid/slow:1");
    assert_eq!(ready_pods(&client, &n, app, "web").await.len(), 1);
    let hist: Value = serde_json::from_str(&ok(
        &env,
        &["scheduler-k3s:history", app, "--format", "json"],
    ))
    .unwrap();
    let last = hist.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "deployed");
    assert_eq!(last["description"], "Rollback to 1");

    // A config change whose restart fails is rolled back with it, and not kept.
    let (code, err) = fail(&env, &["config:set", app, "RELEASE=five"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("restarting slow with the new config failed and was rolled back, so the change is not kept"),
        "{err}"
    );
    assert_eq!(ok(&env, &["config:get", app, "RELEASE"]).trim(), "one");

    // Manual rollback to a named revision.
    ok(
        &env,
        &[
            "scheduler-k3s:labels:set",
            app,
            "berth.test/never-ready",
            "",
            "--resource-type",
            "pod",
        ],
    );
    ok(&env, &["config:set", "--no-restart", app, "RELEASE=four"]);
    ok(&env, &["ps:scale", "--skip-deploy", app, "web=2"]);
    ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/slow:4", "-q"],
    );
    let out = run(&env, &["scheduler-k3s:rollback", app, "1", "-q"]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("the stored config and scale now match what runs"),
        "{said}"
    );
    assert_eq!(ok(&env, &["config:get", app, "RELEASE"]).trim(), "one");
    assert_eq!(stored_scale(&env, app, "web"), "1");
    assert_eq!(
        image(&deployment(&client, &n, "slow-web").await.unwrap()),
        "registry.invalid/slow:1"
    );
    let (_, err) = fail(&env, &["scheduler-k3s:rollback", app, "99"]);
    assert!(err.contains("no revision 99"), "{err}");
    ns.cleanup().await;
}

#[tokio::test]
async fn cron_list_and_run() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-cron").await;
    let n = ns.name().to_owned();
    let app = "jobs";
    let env = app_env(app, &n);
    let dir = tempfile::tempdir().unwrap();
    let app_json = write(
        dir.path(),
        "app.json",
        r#"{"cron": [{"command": "echo nightly", "schedule": "0 3 * * *"}],
            "scripts": {"dokku": {"predeploy": "python migrate.py"}}}"#,
    );
    let out = run(
        &env,
        &[
            "deploy",
            app,
            "--image",
            "registry.invalid/jobs:1",
            "--app-json",
            &app_json,
            "-q",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Running predeploy task"),
        "the predeploy task runs first: {err}"
    );
    let list: Value =
        serde_json::from_str(&ok(&env, &["cron:list", app, "--format", "json"])).unwrap();
    let tasks = list.as_array().unwrap();
    assert_eq!(tasks.len(), 1, "{list}");
    assert_eq!(tasks[0]["command"], "echo nightly");
    let id = tasks[0]["id"].as_str().unwrap().to_owned();
    let out = ok(&env, &["cron:run", app, &id]);
    assert!(out.contains("line 1 of 3"), "{out}");
    let (_, err) = fail(&env, &["cron:run", app, "nope"]);
    assert!(err.contains("no cron task \"nope\""), "{err}");
    // ps:stop suspends the CronJob, so the listing says so.
    ok(&env, &["ps:stop", app]);
    let list: Value =
        serde_json::from_str(&ok(&env, &["cron:list", app, "--format", "json"])).unwrap();
    assert_eq!(list[0]["suspended"], true);
    ns.cleanup().await;
}

#[tokio::test]
async fn rename_leaves_no_orphan() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-rename").await;
    let n = ns.name().to_owned();
    let env = app_env("before", &n);
    ok(
        &env,
        &["deploy", "before", "--image", "registry.invalid/r:1", "-q"],
    );
    ok(&env, &["run:detached", "before", "--", "sleep", "1"]);
    ok(&env, &["apps:rename", "before", "after"]);
    assert_eq!(ready_pods(&client, &n, "after", "web").await.len(), 1);
    assert_eq!(
        image(&deployment(&client, &n, "after-web").await.unwrap()),
        "registry.invalid/r:1"
    );
    let left = everything_of(&client, &n, "before").await;
    assert!(left.is_empty(), "orphans of the old name: {left:?}");
    let hist: Value = serde_json::from_str(&ok(
        &env,
        &["scheduler-k3s:history", "after", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(hist.as_array().unwrap().len(), 1);
    ns.cleanup().await;
}

#[tokio::test]
async fn unreachable_api_is_one_clear_line_and_changes_nothing() {
    let env = BerthEnv::new();
    let dir = tempfile::tempdir().unwrap();
    // A kubeconfig whose server refuses connections (port 1 on loopback).
    let kc = write(
        dir.path(),
        "dead.kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\nusers:\n- name: u\n  user:\n    token: abc\n",
    );
    ok(
        &env,
        &["scheduler-k3s:set", "--global", "kubeconfig-path", &kc],
    );
    ok(&env, &["apps:create", "lonely"]);
    ok(&env, &["ps:scale", "lonely", "web=1", "--skip-deploy"]);
    let scale_before = ok(&env, &["ps:scale", "lonely"]);
    for args in [
        vec!["deploy", "lonely", "--image", "registry.invalid/l:1"],
        vec!["ps:scale", "lonely", "web=3"],
        vec!["ps:restart", "lonely"],
        vec!["logs", "lonely"],
        vec!["run", "lonely", "--", "true"],
        vec!["apps:destroy", "lonely", "--force"],
    ] {
        let (code, err) = fail(&env, &args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: not one line: {err}"
        );
        assert!(
            err.contains("127.0.0.1:1") && err.contains("kubeconfig-path"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(
        ok(&env, &["ps:scale", "lonely"]),
        scale_before,
        "scale unchanged"
    );
    ok(&env, &["apps:exists", "lonely"]);
}

#[tokio::test]
async fn concurrent_deploys_of_one_app_serialise_and_other_apps_run_in_parallel() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-lock").await;
    let n = ns.name().to_owned();
    let env = app_env("busy", &n);
    ok(&env, &["apps:create", "other"]);
    ok(&env, &["scheduler-k3s:set", "other", "namespace", &n]);
    ok(
        &env,
        &["deploy", "busy", "--image", "registry.invalid/b:1", "-q"],
    );
    ok(
        &env,
        &["scheduler-k3s:set", "busy", "deploy-timeout", "10s"],
    );
    ok(
        &env,
        &[
            "scheduler-k3s:labels:set",
            "busy",
            "berth.test/never-ready",
            "true",
            "--resource-type",
            "pod",
        ],
    );

    // A slow deploy (never ready, 6 s timeout) holds the app lock.
    let slow = env
        .std_cmd()
        .args(["deploy", "busy", "--image", "registry.invalid/b:2", "-q"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it holds the lock (its pending revision exists).
    eventually("first deploy started", || async {
        Api::<Secret>::namespaced(client.clone(), &n)
            .get_opt("sh.helm.release.v1.busy.v2")
            .await
            .unwrap()
            .is_some()
    })
    .await;

    // --no-wait fails at once, naming the holder.
    let (code, err) = fail(
        &env,
        &[
            "deploy",
            "busy",
            "--image",
            "registry.invalid/b:3",
            "--no-wait",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("locked by") && err.contains("berth deploy"),
        "{err}"
    );
    assert!(!err.contains("Waiting for the"), "--no-wait waited: {err}");

    // Another app deploys meanwhile, without waiting for busy's lock: it is done while busy's
    // first deploy still runs.
    ok(
        &env,
        &["deploy", "other", "--image", "registry.invalid/o:1", "-q"],
    );
    let mut slow = slow;
    assert!(
        slow.try_wait().unwrap().is_none(),
        "other app waited for busy's lock"
    );

    // A second deploy of busy waits for the first, then runs (and times out itself).
    let (code, err) = fail(
        &env,
        &["deploy", "busy", "--image", "registry.invalid/b:4", "-q"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("Waiting for the app busy lock") || err.contains("Waiting for the"),
        "{err}"
    );
    let first = slow.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(1));
    // Revisions never interleave: 1 deployed, 2 and 4's deploy are 2 and 3, both failed.
    let hist: Value = serde_json::from_str(&ok(
        &env,
        &["scheduler-k3s:history", "busy", "--format", "json"],
    ))
    .unwrap();
    let states: Vec<(u64, String)> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (1, "deployed".into()),
            (2, "failed".into()),
            (3, "failed".into())
        ]
    );
    ns.cleanup().await;
}

#[tokio::test]
async fn registry_login_creates_and_references_a_pull_secret() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-registry").await;
    let n = ns.name().to_owned();
    let app = "priv";
    let env = app_env(app, &n);
    let mut login = env.std_cmd();
    login
        .args([
            "registry:login",
            app,
            "registry.example.com",
            "bot",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = login.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    assert!(child.wait().unwrap().success());
    let out = ok(
        &env,
        &[
            "deploy",
            app,
            "--image",
            "registry.example.com/priv:1",
            "-q",
        ],
    );
    assert!(!out.contains("s3cret"), "password printed: {out}");

    let secrets: Api<Secret> = Api::namespaced(client.clone(), &n);
    let pull = secrets
        .get("pull-secret-priv")
        .await
        .expect("pull-secret-priv");
    assert_eq!(
        pull.type_.as_deref(),
        Some("kubernetes.io/dockerconfigjson")
    );
    let cfg: Value =
        serde_json::from_slice(&pull.data.as_ref().unwrap()[".dockerconfigjson"].0).unwrap();
    assert!(cfg["auths"]["registry.example.com"].is_object(), "{cfg}");
    let pod_spec = |d: Deployment| d.spec.unwrap().template.spec.unwrap();
    let refs = pod_spec(deployment(&client, &n, "priv-web").await.unwrap())
        .image_pull_secrets
        .unwrap();
    assert_eq!(refs[0].name, "pull-secret-priv");

    // With image-pull-secrets set, that name is referenced and berth's own Secret goes away.
    ok(
        &env,
        &[
            "scheduler-k3s:set",
            app,
            "image-pull-secrets",
            "team-registry",
        ],
    );
    ok(&env, &["ps:rebuild", app, "-q"]);
    let refs = pod_spec(deployment(&client, &n, "priv-web").await.unwrap())
        .image_pull_secrets
        .unwrap();
    assert_eq!(
        refs.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        vec!["team-registry"]
    );
    assert!(
        secrets.get_opt("pull-secret-priv").await.unwrap().is_none(),
        "pull-secret-priv not pruned"
    );

    // An entry someone else added (as `kubectl edit` would) does not survive the next rollout:
    // the release owns the whole list, as Dokku's Helm release does.
    let deployments = Api::<Deployment>::namespaced(client.clone(), &n);
    deployments
        .patch(
            "priv-web",
            &kube::api::PatchParams {
                field_manager: Some("kubectl-edit".into()),
                ..Default::default()
            },
            &kube::api::Patch::Strategic(serde_json::json!({"spec": {"template": {"spec": {
                "imagePullSecrets": [{"name": "hand-added"}]}}}})),
        )
        .await
        .unwrap();
    let names = |d: Deployment| {
        pod_spec(d)
            .image_pull_secrets
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(deployment(&client, &n, "priv-web").await.unwrap()),
        vec!["hand-added", "team-registry"]
    );
    ok(&env, &["ps:rebuild", app, "-q"]);
    assert_eq!(
        names(deployment(&client, &n, "priv-web").await.unwrap()),
        vec!["team-registry"]
    );

    // The same for a container's env (`kubectl set env`): the release defines the whole list.
    deployments
        .patch(
            "priv-web",
            &kube::api::PatchParams {
                field_manager: Some("kubectl-set".into()),
                ..Default::default()
            },
            &kube::api::Patch::Strategic(serde_json::json!({"spec": {"template": {"spec": {
                "containers": [{"name": "priv-web", "env": [{"name": "HAND_SET", "value": "1"}]}]}}}})),
        )
        .await
        .unwrap();
    let env_names = |d: Deployment| {
        pod_spec(d).containers[0]
            .env
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.name)
            .collect::<Vec<_>>()
    };
    assert!(
        env_names(deployment(&client, &n, "priv-web").await.unwrap())
            .contains(&"HAND_SET".to_owned())
    );
    ok(&env, &["ps:rebuild", app, "-q"]);
    assert!(
        !env_names(deployment(&client, &n, "priv-web").await.unwrap())
            .contains(&"HAND_SET".to_owned()),
        "an env var another manager added survived the rollout"
    );
    ns.cleanup().await;
}

#[tokio::test]
async fn ctrl_c_during_a_deploy_records_the_cancellation() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-cancel").await;
    let n = ns.name().to_owned();
    let app = "cancel";
    let env = app_env(app, &n);
    ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/c:1", "-q"],
    );
    never_ready(&env, app);
    let child = env
        .std_cmd()
        .args(["deploy", app, "--image", "registry.invalid/c:2", "-q"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    eventually("second deploy started", || async {
        Api::<Secret>::namespaced(client.clone(), &n)
            .get_opt("sh.helm.release.v1.cancel.v2")
            .await
            .unwrap()
            .is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Deployment of cancel has been cancelled (SIGINT)"),
        "{err}"
    );
    let hist: Value = serde_json::from_str(&ok(
        &env,
        &["scheduler-k3s:history", app, "--format", "json"],
    ))
    .unwrap();
    let last = hist.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["status"], "failed");
    assert_eq!(
        last["description"],
        "Deployment of cancel has been cancelled (SIGINT)"
    );
    ns.cleanup().await;
}

/// `script` gives berth a pseudo-terminal, as an interactive user's shell would.
fn in_terminal(env: &BerthEnv, berth_args: &str) -> Output {
    Command::new("script")
        .args([
            "-qec",
            &format!("{} {berth_args}", env!("CARGO_BIN_EXE_berth")),
            "/dev/null",
        ])
        .env("BERTH_HOME", env.home())
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux")
}

#[tokio::test]
async fn terminal_sessions_for_enter_and_run() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-tty").await;
    let n = ns.name().to_owned();
    let app = "tty";
    let env = app_env(app, &n);
    ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/tty:1", "-q"],
    );
    // The command lingers after printing: kwok closes its pty the moment the process exits and
    // drops output it has not forwarded yet (testenv/README.md), which a real kubelet never does.
    let out = in_terminal(
        &env,
        "enter tty web -- sh -c 'test -t 0 && echo tty-ok; sleep 2; exit 5'",
    );
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("tty-ok"),
        "stdin is a terminal in the container"
    );
    let out = in_terminal(&env, "run tty -- echo hi");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let runs: Value =
        serde_json::from_str(&ok(&env, &["run:list", app, "--format", "json"])).unwrap();
    assert!(
        runs.as_array().unwrap().is_empty(),
        "the run's Job is removed: {runs}"
    );
    ns.cleanup().await;
}

#[tokio::test]
async fn clone_deploys_only_on_request() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-clone").await;
    let n = ns.name().to_owned();
    let env = app_env("orig", &n);
    ok(
        &env,
        &["deploy", "orig", "--image", "registry.invalid/orig:7", "-q"],
    );
    ok(&env, &["apps:clone", "orig", "copy1"]);
    assert!(
        deployment(&client, &n, "copy1-web").await.is_none(),
        "a plain clone deploys nothing"
    );
    ok(&env, &["apps:clone", "orig", "copy2", "--deploy"]);
    assert_eq!(
        image(&deployment(&client, &n, "copy2-web").await.unwrap()),
        "registry.invalid/orig:7"
    );
    assert_eq!(ready_pods(&client, &n, "copy2", "web").await.len(), 1);
    ns.cleanup().await;
}

#[tokio::test]
async fn app_json_env_is_applied_once_and_generated_secrets_are_never_shown() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-appenv").await;
    let n = ns.name().to_owned();
    let app = "envy";
    let env = app_env(app, &n);
    let dir = tempfile::tempdir().unwrap();
    let app_json = write(
        dir.path(),
        "app.json",
        r#"{"env": {"WEB_CONCURRENCY": {"value": "2"}, "SECRET_KEY_BASE": {"generator": "secret"},
                    "BUILD": {"value": "one", "sync": true}}}"#,
    );
    let deploy = |image: &str| {
        let out = run(
            &env,
            &[
                "deploy",
                app,
                "--image",
                image,
                "--app-json",
                &app_json,
                "-q",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let said = deploy("registry.invalid/envy:1");
    assert!(
        said.contains(
            "Setting 3 env var(s) from app.json: BUILD, SECRET_KEY_BASE, WEB_CONCURRENCY"
        ),
        "{said}"
    );
    let secret = ok(&env, &["config:get", app, "SECRET_KEY_BASE"])
        .trim()
        .to_owned();
    assert_eq!(secret.len(), 64, "{secret}");
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!said.contains(&secret), "a generated secret was printed");
    // It is in the running release's config Secret.
    let live = Api::<Secret>::namespaced(client.clone(), &n)
        .get(&format!("config-{app}"))
        .await
        .unwrap();
    assert_eq!(
        live.data.unwrap()["SECRET_KEY_BASE"].0,
        secret.as_bytes(),
        "the generated value reaches the pods' config"
    );

    // Later deploys keep what was set (a user's change included); only sync keys are redone.
    ok(
        &env,
        &[
            "config:set",
            "--no-restart",
            app,
            "WEB_CONCURRENCY=4",
            "BUILD=changed",
        ],
    );
    let said = deploy("registry.invalid/envy:2");
    assert!(
        said.contains("Setting 1 env var(s) from app.json: BUILD"),
        "{said}"
    );
    assert_eq!(
        ok(&env, &["config:get", app, "SECRET_KEY_BASE"]).trim(),
        secret
    );
    assert_eq!(
        ok(&env, &["config:get", app, "WEB_CONCURRENCY"]).trim(),
        "4"
    );
    assert_eq!(ok(&env, &["config:get", app, "BUILD"]).trim(), "one");
    ns.cleanup().await;
}

/// An `http` trigger in a cluster that serves the KEDA HTTP add-on (the test cluster has its
/// CRD): the deploy creates the HTTPScaledObject from the trigger's metadata and the interceptor
/// Service, and routes the Ingress through it.
#[tokio::test]
async fn http_autoscaling_renders_the_add_on_objects_when_the_cluster_serves_them() {
    use k8s_openapi::api::core::v1::Service;
    use k8s_openapi::api::networking::v1::Ingress;
    use kube::core::GroupVersionKind;
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-http").await;
    let n = ns.name().to_owned();
    let app = "burst";
    let env = app_env(app, &n);
    ok(&env, &["domains:set", app, "burst.example.com"]);
    let dir = tempfile::tempdir().unwrap();
    let app_json = write(
        dir.path(),
        "app.json",
        r#"{"formation": {"web": {"autoscaling": {"min_quantity": 0, "max_quantity": 3,
             "triggers": [{"type": "http", "metadata": {"scale_by": "concurrency", "concurrency_target_value": "20"}}]}}}}"#,
    );
    ok(
        &env,
        &[
            "deploy",
            app,
            "--image",
            "registry.invalid/burst:1",
            "--app-json",
            &app_json,
            "-q",
        ],
    );
    let gvk = GroupVersionKind::gvk("http.keda.sh", "v1alpha1", "HTTPScaledObject");
    let (resource, _) = kube::discovery::pinned_kind(&client, &gvk).await.unwrap();
    let hso = Api::<DynamicObject>::namespaced_with(client.clone(), &n, &resource)
        .get("burst-web")
        .await
        .unwrap();
    assert_eq!(
        hso.data["spec"]["hosts"],
        serde_json::json!(["burst.example.com"])
    );
    assert_eq!(
        hso.data["spec"]["scalingMetric"],
        serde_json::json!({"concurrency": {"targetValue": 20}})
    );
    assert_eq!(
        hso.data["spec"]["replicas"],
        serde_json::json!({"min": 0, "max": 3})
    );
    let kip = Api::<Service>::namespaced(client.clone(), &n)
        .get("kip-burst-web")
        .await
        .unwrap();
    assert_eq!(
        kip.spec.unwrap().external_name.as_deref(),
        Some("keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local")
    );
    let ingresses = Api::<Ingress>::namespaced(client.clone(), &n)
        .list(&ListParams::default())
        .await
        .unwrap();
    let backend = ingresses.items[0]
        .spec
        .as_ref()
        .unwrap()
        .rules
        .as_ref()
        .unwrap()[0]
        .http
        .as_ref()
        .unwrap()
        .paths[0]
        .backend
        .service
        .clone()
        .unwrap();
    assert_eq!(backend.name, "kip-burst-web");
    assert_eq!(backend.port.unwrap().number, Some(8080));
    ns.cleanup().await;
}

/// Dokku accepts app names with dots and of any length (its own tests create `test.dokku.test`);
/// their objects get valid Kubernetes names: dots become dashes, a name too long keeps a prefix
/// and a hash. Everything that finds an app's objects (ps, history, run, destroy) finds them.
#[tokio::test]
async fn app_names_with_dots_and_long_names_deploy_and_destroy() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-dotted").await;
    let n = ns.name().to_owned();
    let dotted = "test.dokku.test";
    let env = app_env(dotted, &n);
    ok(
        &env,
        &[
            "deploy",
            dotted,
            "--image",
            "registry.invalid/dotted:1",
            "-q",
        ],
    );
    let web = deployment(&client, &n, "test-dokku-test-web").await;
    assert_eq!(
        image(&web.expect("Deployment test-dokku-test-web")),
        "registry.invalid/dotted:1"
    );
    assert_eq!(
        ready_pods(&client, &n, "test-dokku-test", "web")
            .await
            .len(),
        1
    );
    let scaled = run(&env, &["ps:scale", dotted, "web=2"]);
    assert!(scaled.status.success(), "{scaled:?}");
    assert!(
        String::from_utf8_lossy(&scaled.stderr)
            .contains("=====> Scaling test.dokku.test (revision 2)"),
        "{scaled:?}"
    );
    assert_eq!(
        ready_pods(&client, &n, "test-dokku-test", "web")
            .await
            .len(),
        2
    );
    let report: Value =
        serde_json::from_str(&ok(&env, &["ps:report", dotted, "--format", "json"])).unwrap();
    assert_eq!(report["deployed"], "true", "{report}");
    let hist: Value = serde_json::from_str(&ok(
        &env,
        &["scheduler-k3s:history", dotted, "--format", "json"],
    ))
    .unwrap();
    assert_eq!(hist.as_array().unwrap().len(), 2, "{hist}");

    // An app whose objects would be named like the dotted one's is refused before anything is
    // written.
    let (code, err) = fail(&env, &["apps:create", "test-dokku-test"]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim_end(),
        " !     Name is already taken: app test-dokku-test's Kubernetes objects would be named like app test.dokku.test's (test-dokku-test); choose another name"
    );

    // Longer than any Kubernetes label allows once `-web` and `-cron-…` are added.
    let long = format!("{}.example.com", "long-application-name".repeat(3));
    ok(&env, &["apps:create", &long]);
    ok(&env, &["scheduler-k3s:set", &long, "namespace", &n]);
    ok(
        &env,
        &["deploy", &long, "--image", "registry.invalid/long:1", "-q"],
    );
    let long_obj: berth::model::AppName = long.parse().unwrap();
    let long_obj = long_obj.object_name().to_owned();
    assert!(long_obj.len() <= 48, "{long_obj}");
    let long_web = format!("{long_obj}-web");
    assert_eq!(
        image(
            &deployment(&client, &n, &long_web)
                .await
                .expect("long app's Deployment")
        ),
        "registry.invalid/long:1"
    );
    assert_eq!(ready_pods(&client, &n, &long_obj, "web").await.len(), 1);

    ok(&env, &["--force", "apps:destroy", dotted]);
    ok(&env, &["--force", "apps:destroy", &long]);
    for obj in ["test-dokku-test", long_obj.as_str()] {
        let left = everything_of(&client, &n, obj).await;
        assert!(left.is_empty(), "left after apps:destroy: {left:?}");
    }
    ns.cleanup().await;
}

/// On a terminal (a pseudo-terminal 80 columns wide), the live line of a process that is not
/// ready shows the reason in full, wrapped, not cut at the terminal's width: the reason appears
/// in the live output as well as in the final error line.
#[tokio::test]
async fn live_lines_show_the_whole_reason_on_a_terminal() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-live").await;
    let n = ns.name().to_owned();
    let app = "live-reason-with-a-long-name";
    let env = app_env(app, &n);
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "5s"]);
    never_ready(&env, app);
    let out = Command::new("script")
        .args([
            "-qec",
            &format!(
                "stty cols 80; {} deploy {app} --image registry.invalid/live:1",
                env!("CARGO_BIN_EXE_berth")
            ),
            "/dev/null",
        ])
        .env("BERTH_HOME", env.home())
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux");
    let text = String::from_utf8_lossy(&out.stdout);
    let reason = "berth.test/never-ready: readiness check failing (simulated)";
    assert!(
        text.matches(reason).count() >= 2,
        "the live line cut the reason: {text:?}"
    );
    assert!(text.contains("=====> Deploying live-reason-with-a-long-name (revision 1)"));
    ns.cleanup().await;
}

/// `deploy --format json` (no --dry-run): one JSON object per line on stdout, for CI — the step,
/// each process type's progress with ready/desired, and the outcome last (`deployed` with the
/// revision, or `failed` with the message and exit 1).
#[tokio::test]
async fn deploy_progress_as_json_lines() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "deploy-json").await;
    let n = ns.name().to_owned();
    let app = "jsonapp";
    let env = app_env(app, &n);
    let events = |args: &[&str]| -> (bool, Vec<Value>) {
        let out = run(&env, args);
        let lines = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        (out.status.success(), lines)
    };
    let (ok_, evs) = events(&[
        "deploy",
        app,
        "--image",
        "registry.invalid/j:1",
        "-o",
        "json",
    ]);
    assert!(ok_, "{evs:?}");
    assert_eq!(evs[0]["event"], "step");
    assert_eq!(evs[0]["message"], "Deploying jsonapp (revision 1)");
    let ready = evs
        .iter()
        .find(|e| e["event"] == "ready" && e["item"] == "web")
        .expect("a ready event for web");
    assert_eq!(
        (ready["ready"].as_u64(), ready["desired"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(ready["phase"], "ready");
    assert_eq!(ready["object"], "Deployment/jsonapp-web");
    assert_eq!(ready["updated"], 1);
    assert!(ready["deadline_ms"].is_u64(), "{ready}");
    let last = evs.last().unwrap();
    assert_eq!(last["event"], "deployed");
    assert_eq!(last["revision"], 1);
    assert!(evs.iter().all(|e| e["elapsed_ms"].is_u64()));

    // The other commands that wait speak the same events, each with its own outcome.
    let (ok_, evs) = events(&["ps:scale", app, "web=2", "-o", "json"]);
    assert!(ok_, "{evs:?}");
    let step = |evs: &[Value], msg: &str| {
        evs.iter()
            .any(|e| e["event"] == "step" && e["message"] == msg)
    };
    assert_eq!(evs[0]["message"], "Scaling jsonapp processes: web=2");
    assert!(step(&evs, "Scaling jsonapp (revision 2)"), "{evs:?}");
    let ready = evs
        .iter()
        .rfind(|e| e["event"] == "ready" && e["item"] == "web")
        .expect("a ready event for web");
    assert_eq!(
        (ready["ready"].as_u64(), ready["desired"].as_u64()),
        (Some(2), Some(2))
    );
    let last = evs.last().unwrap();
    assert_eq!(
        (&last["event"], &last["revision"], &last["app"]),
        (&json!("scaled"), &json!(2), &json!(app))
    );
    let (ok_, evs) = events(&["ps:scale", app, "web=2", "-o", "json"]);
    assert!(ok_);
    assert_eq!(evs.last().unwrap()["unchanged"], true, "{evs:?}");
    let (ok_, evs) = events(&["ps:restart", app, "--format", "json"]);
    assert!(ok_, "{evs:?}");
    assert!(step(&evs, "Restarting jsonapp (revision 3)"), "{evs:?}");
    let last = evs.last().unwrap();
    assert_eq!(
        (&last["event"], &last["revision"]),
        (&json!("running"), &json!(3))
    );
    let (ok_, evs) = events(&["ps:stop", app, "-o", "json"]);
    assert!(ok_);
    assert_eq!(evs.last().unwrap()["event"], "stopped");
    assert_eq!(evs.last().unwrap()["processes"], json!(["web"]));
    let (ok_, evs) = events(&["ps:start", "--all", "-o", "json"]);
    assert!(ok_, "{evs:?}");
    // With --all each app ends with its outcome and the run with a summary.
    assert_eq!(evs[evs.len() - 2]["event"], "running");
    let summary = evs.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["done"], json!([app]));
    let (ok_, evs) = events(&["scheduler-k3s:rollback", app, "1", "-o", "json"]);
    assert!(ok_, "{evs:?}");
    let last = evs.last().unwrap();
    assert_eq!(
        (&last["event"], &last["target"]),
        (&json!("rolled-back"), &json!(1))
    );
    assert!(last["revision"].as_u64().unwrap() > 3, "{last}");

    // --timings: where the deploy's time went, phase by phase.
    let (ok_, evs) = events(&[
        "deploy",
        app,
        "--image",
        "registry.invalid/j:3",
        "-o",
        "json",
        "--timings",
    ]);
    assert!(ok_, "{evs:?}");
    let timings = evs
        .iter()
        .find(|e| e["event"] == "timings")
        .expect("a timings event");
    for phase in [
        "lock",
        "connect",
        "history read",
        "pending record",
        "apply",
        "prune",
        "wait",
        "final record",
        "other",
    ] {
        assert!(timings["phases_ms"][phase].is_f64(), "{phase}: {timings}");
    }
    assert!(timings["total_ms"].as_f64().unwrap() > 0.0);
    let out = run(
        &env,
        &[
            "deploy",
            app,
            "--image",
            "registry.invalid/j:4",
            "-q",
            "--timings",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("=====> Timings ("), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.trim_start().starts_with("wait ")),
        "{stderr}"
    );

    // --trace: the API calls berth makes, on stderr, uncoloured when stderr is not a terminal.
    let out = run(&env, &["--trace", "ps:report", app]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("http.url=https://") && stderr.contains("/apis/apps/v1/namespaces/"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in piped trace output"
    );

    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "3s"]);
    never_ready(&env, app);
    let (ok_, evs) = events(&[
        "deploy",
        app,
        "--image",
        "registry.invalid/j:2",
        "-o",
        "json",
    ]);
    assert!(!ok_);
    // While it waits, each progress event says why the process type is not ready.
    let waiting = evs
        .iter()
        .find(|e| e["event"] == "progress" && e["item"] == "web" && e["reason"].is_string())
        .unwrap_or_else(|| panic!("no progress event with a reason: {evs:?}"));
    assert!(
        ["rolling", "failed"].contains(&waiting["phase"].as_str().unwrap()),
        "{waiting}"
    );
    assert!(
        waiting["text"]
            .as_str()
            .unwrap()
            .contains(waiting["reason"].as_str().unwrap()),
        "{waiting}"
    );
    let last = evs.last().unwrap();
    assert_eq!(last["event"], "failed");
    assert!(
        last["message"].as_str().unwrap().contains("timed out"),
        "{last}"
    );
    // What to run next travels in its own field, not inside the message.
    let hint = last["hint"].as_str().unwrap_or_default();
    assert!(hint.starts_with("next: `berth ps:inspect "), "{last}");
    assert!(
        !last["message"].as_str().unwrap().contains("next:"),
        "{last}"
    );
    ns.cleanup().await;
}
