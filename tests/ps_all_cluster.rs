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
