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
