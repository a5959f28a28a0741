//! `ps:restart|stop|start|rebuild --all` against the real control plane: every deployed app is
//! acted on, an app that was never deployed is skipped with a warning, and the command succeeds.

mod support;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;
use support::{BerthEnv, TestNamespace, client, ok, run};

async fn replicas(client: &kube::Client, ns: &str, name: &str) -> i32 {
    Api::<Deployment>::namespaced(client.clone(), ns)
        .get(name)
        .await
        .unwrap()
        .spec
        .unwrap()
        .replicas
        .unwrap_or(-1)
}

#[tokio::test]
async fn all_flag_acts_on_every_deployed_app_and_skips_the_rest() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "ps-all").await;
    let n = ns.name().to_owned();
    let env = BerthEnv::new();
    env.use_test_cluster();
    for app in ["alpha", "beta", "idle"] {
        ok(&env, &["apps:create", app]);
        ok(&env, &["scheduler-k3s:set", app, "namespace", &n]);
    }
    for app in ["alpha", "beta"] {
        ok(
            &env,
            &[
                "deploy",
                app,
                "--image",
                &format!("registry.example.com/{app}:1"),
                "-q",
            ],
        );
    }

    let out = run(&env, &["ps:restart", "--all", "-q"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("alpha is running revision 2"), "{stdout}");
    assert!(stdout.contains("beta is running revision 2"), "{stdout}");
    assert!(
        stderr.contains("idle has not been deployed, skipping"),
        "{stderr}"
    );

    ok(&env, &["ps:stop", "--all"]);
    assert_eq!(replicas(&client, &n, "alpha-web").await, 0);
    assert_eq!(replicas(&client, &n, "beta-web").await, 0);
    ok(&env, &["ps:start", "--all", "-q"]);
    assert_eq!(replicas(&client, &n, "alpha-web").await, 1);
    assert_eq!(replicas(&client, &n, "beta-web").await, 1);
    ns.cleanup().await;
}

/// `docker-options` and `ps:set` are accepted by a real API server and read back from the
/// applied Deployment: security contexts, grace period, start command.
#[tokio::test]
async fn docker_options_and_ps_properties_reach_the_applied_deployment() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "ps-props").await;
    let n = ns.name().to_owned();
    let env = BerthEnv::new();
    env.use_test_cluster();
    let app = "props";
    let dir = tempfile::tempdir().unwrap();
    let procfile = dir.path().join("Procfile").display().to_string();
    std::fs::write(&procfile, "web: bin/web\nworker: bin/worker\n").unwrap();
    ok(&env, &["apps:create", app]);
    ok(&env, &["scheduler-k3s:set", app, "namespace", &n]);
    ok(
        &env,
        &[
            "docker-options:add",
            app,
            "deploy",
            "--cap-add",
            "net_admin",
            "--privileged",
        ],
    );
    ok(
        &env,
        &[
            "docker-options:add",
            app,
            "deploy",
            "--sysctl",
            "net.core.somaxconn=1024",
        ],
    );
    // Dokku 0.38's process scope, given after the app as Dokku also reads it.
    ok(
        &env,
        &[
            "docker-options:add",
            app,
            "deploy",
            "--cap-add SYS_PTRACE",
            "--process",
            "worker",
        ],
    );
    ok(&env, &["ps:set", app, "stop-timeout-seconds", "45"]);
    ok(
        &env,
        &["ps:set", app, "start-cmd", "bin/server --port $PORT"],
    );
    ok(
        &env,
        &[
            "deploy",
            app,
            "--image",
            "registry.example.com/props:1",
            "--procfile",
            &procfile,
            "-q",
        ],
    );

    let d = Api::<Deployment>::namespaced(client.clone(), &n)
        .get("props-web")
        .await
        .unwrap();
    let pod = d.spec.unwrap().template.spec.unwrap();
    assert_eq!(pod.termination_grace_period_seconds, Some(45));
    let sysctls = pod.security_context.unwrap().sysctls.unwrap();
    assert_eq!(
        (sysctls[0].name.as_str(), sysctls[0].value.as_str()),
        ("net.core.somaxconn", "1024")
    );
    let c = &pod.containers[0];
    assert_eq!(c.args.clone().unwrap(), ["bin/server", "--port", "5000"]);
    let sc = c.security_context.clone().unwrap();
    assert_eq!(sc.privileged, Some(true));
    assert_eq!(sc.capabilities.unwrap().add.unwrap(), ["NET_ADMIN"]);
    let worker_caps = |d: Deployment| {
        let pod = d.spec.unwrap().template.spec.unwrap();
        pod.containers[0]
            .security_context
            .clone()
            .and_then(|s| s.capabilities)
            .and_then(|c| c.add)
            .unwrap_or_default()
    };
    let workers = Api::<Deployment>::namespaced(client.clone(), &n);
    assert_eq!(
        worker_caps(workers.get("props-worker").await.unwrap()),
        ["NET_ADMIN", "SYS_PTRACE"],
        "the worker has the app's options and its own"
    );

    // Cleared options leave no security context at the next rollout.
    ok(&env, &["docker-options:clear", app]);
    ok(&env, &["ps:rebuild", app, "-q"]);
    let d = Api::<Deployment>::namespaced(client.clone(), &n)
        .get("props-web")
        .await
        .unwrap();
    let pod = d.spec.unwrap().template.spec.unwrap();
    assert!(
        pod.security_context.is_none_or(|s| s.sysctls.is_none()),
        "sysctls kept"
    );
    assert!(
        pod.containers[0].security_context.is_none(),
        "container securityContext kept"
    );
    // Without --process, clear leaves the process scope alone (as Dokku does).
    assert_eq!(
        worker_caps(workers.get("props-worker").await.unwrap()),
        ["SYS_PTRACE"]
    );
    ns.cleanup().await;
}

/// `ps:rebuild --all --parallel N` (Dokku's flags): every deployed app is rebuilt with several
/// running at once, each line named after its app; a failing app is reported without stopping
/// the others, the exit code says so, and the summary names who failed and who was skipped.
#[tokio::test]
async fn parallel_rebuilds_every_app_and_reports_each_failure() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "ps-par").await;
    let n = ns.name().to_owned();
    let env = BerthEnv::new();
    env.use_test_cluster();
    let apps = ["app1", "app2", "app3", "app4", "broken"];
    for app in apps.iter().chain(&["idle"]) {
        ok(&env, &["apps:create", app]);
        ok(&env, &["scheduler-k3s:set", app, "namespace", &n]);
    }
    for app in apps {
        ok(
            &env,
            &[
                "deploy",
                app,
                "--image",
                &format!("registry.example.com/{app}:1"),
                "-q",
            ],
        );
    }
    // From now on broken's pods never become ready, and its deploys give up after 3 s.
    ok(
        &env,
        &["scheduler-k3s:set", "broken", "deploy-timeout", "3s"],
    );
    ok(
        &env,
        &[
            "scheduler-k3s:labels:set",
            "broken",
            "berth.test/never-ready",
            "true",
            "--resource-type",
            "pod",
        ],
    );

    let out = run(&env, &["ps:rebuild", "--all", "--parallel", "3"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    for app in ["app1", "app2", "app3", "app4"] {
        assert!(
            stdout.contains(&format!("-----> Running command against {app}")),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!("{app} is running revision 2")),
            "{stdout}"
        );
        assert!(
            stderr.contains(&format!("=====> {app}: Rebuilding {app} (revision 2)")),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("idle has not been deployed, skipping"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Error running rebuild against broken: "),
        "{stderr}"
    );
    assert!(
        stdout.contains("rebuild: 6 app(s), 4 done, 1 skipped (idle), 1 failed (broken)"),
        "{stdout}"
    );
    assert_eq!(
        stderr.lines().last().unwrap(),
        " !     Encountered 1 errors during parallel run"
    );
    for app in ["app1", "app2", "app3", "app4"] {
        let h = ok(&env, &["scheduler-k3s:history", app, "--format", "json"]);
        let revs: serde_json::Value = serde_json::from_str(&h).unwrap();
        assert_eq!(revs.as_array().unwrap().len(), 2, "{app}: {h}");
    }

    // Serially with --fail-fast: nothing starts after the failure (broken sorts after app4 and
    // before idle), and the error is Dokku's serial one.
    let out = run(&env, &["ps:restart", "--all", "--fail-fast", "-q"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("Running restart in serial mode"),
        "{stderr}"
    );
    assert!(
        stdout.contains("-----> Running restart against app app1"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Error running restart against app broken: "),
        "{stderr}"
    );
    assert!(
        stdout.contains("1 not run after a failure (idle)"),
        "{stdout}"
    );
    assert!(
        stderr.ends_with(" !     restart command returned 1 errors\n"),
        "{stderr}"
    );

    // JSON lines for CI: every event names its app, the summary comes last.
    let out = run(
        &env,
        &["ps:restart", "--all", "--parallel", "-1", "-o", "json"],
    );
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|e| e["app"].is_string()),
        "{events:?}"
    );
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(
        summary["done"],
        serde_json::json!(["app1", "app2", "app3", "app4"])
    );
    assert_eq!(summary["failed"], serde_json::json!(["broken"]));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("Setting --parallel=-1 value to CPU count of")
    );

    // A bad count is refused before anything runs.
    let (code, stderr) = support::fail(&env, &["ps:rebuild", "--all", "--parallel", "-2"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Invalid value -2 for --parallel flag"),
        "{stderr}"
    );
    ns.cleanup().await;
}
