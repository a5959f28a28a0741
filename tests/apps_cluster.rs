//! App commands against the real control plane: `apps:destroy` removes a deployed app's objects,
//! Secrets and release records (an unreachable cluster stops it unless `--skip-cluster`);
//! `config:set|unset` restart a deployed app with the new values unless `--no-restart`; global
//! letsencrypt emails become ClusterIssuers and global autoscaling-auth a
//! ClusterTriggerAuthentication at once.

mod support;

use berth::crds::cert_manager::ClusterIssuer;
use berth::crds::keda::ClusterTriggerAuthentication;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::core::v1::{Secret, Service};
use kube::Api;
use kube::api::{DeleteParams, ListParams};
use support::{BerthEnv, TestNamespace, ok, run};

#[tokio::test(flavor = "multi_thread")]
async fn destroy_removes_the_app_from_the_cluster() {
    let client = support::client().await;
    let ns = TestNamespace::create(&client, "destroy").await;
    let env = BerthEnv::new();
    env.use_test_cluster();
    ok(
        &env,
        &["scheduler-k3s:set", "--global", "namespace", ns.name()],
    );
    ok(&env, &["apps:create", "gone"]);
    ok(&env, &["config:set", "gone", "SECRET=x"]);
    ok(&env, &["deploy", "gone", "--image", "nginx:1.27"]);
    let deployments = ns.api::<Deployment>();
    assert!(
        deployments.get_opt("gone-web").await.unwrap().is_some(),
        "deploy created nothing"
    );

    let out = ok(&env, &["apps:destroy", "gone", "--force"]);
    assert!(out.contains("Removed"), "{out}");
    assert!(deployments.get_opt("gone-web").await.unwrap().is_none());
    assert!(
        ns.api::<Service>()
            .get_opt("gone-web")
            .await
            .unwrap()
            .is_none()
    );
    let secrets = ns
        .api::<Secret>()
        .list(&ListParams::default())
        .await
        .unwrap();
    let left: Vec<String> = secrets
        .items
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .filter(|n| n.contains("gone"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_eq!(run(&env, &["apps:exists", "gone"]).status.code(), Some(1));
    ns.cleanup().await;
}

fn release_revisions(secrets: &[Secret], app: &str) -> Vec<String> {
    let prefix = format!("sh.helm.release.v1.{app}.v");
    let mut v: Vec<String> = secrets
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn config_changes_restart_a_deployed_app_unless_no_restart() {
    let client = support::client().await;
    let ns = TestNamespace::create(&client, "config-restart").await;
    let env = BerthEnv::new();
    env.use_test_cluster();
    ok(
        &env,
        &["scheduler-k3s:set", "--global", "namespace", ns.name()],
    );
    ok(&env, &["apps:create", "cfg"]);
    // Not deployed yet: the change is only stored.
    ok(&env, &["config:set", "cfg", "BEFORE=1"]);
    ok(&env, &["deploy", "cfg", "--image", "nginx:1.27"]);
    let secrets = ns.api::<Secret>();
    let config = |s: &Secret| s.data.clone().unwrap_or_default();
    assert!(config(&secrets.get("config-cfg").await.unwrap()).contains_key("BEFORE"));

    let out = ok(&env, &["config:set", "cfg", "AFTER=2"]);
    assert!(out.contains("Restarted cfg with the new config"), "{out}");
    let data = config(&secrets.get("config-cfg").await.unwrap());
    assert_eq!(data.get("AFTER").map(|b| b.0.clone()), Some(b"2".to_vec()));
    let list = secrets.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(
        release_revisions(&list, "cfg").len(),
        2,
        "config:set did not roll out a revision"
    );

    ok(&env, &["config:unset", "--no-restart", "cfg", "AFTER"]);
    let data = config(&secrets.get("config-cfg").await.unwrap());
    assert!(
        data.contains_key("AFTER"),
        "--no-restart still touched the cluster"
    );
    let list = secrets.list(&ListParams::default()).await.unwrap().items;
    assert_eq!(release_revisions(&list, "cfg").len(), 2);
    ok(&env, &["apps:destroy", "cfg", "--force"]);
    ns.cleanup().await;
}

#[test]
fn unreachable_cluster_keeps_the_state_unless_skip_cluster() {
    let env = BerthEnv::new();
    let kubeconfig = env.home().join("unreachable.yaml");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();
    ok(
        &env,
        &[
            "scheduler-k3s:set",
            "--global",
            "kubeconfig-path",
            kubeconfig.to_str().unwrap(),
        ],
    );
    ok(&env, &["apps:create", "kept"]);
    let out = run(&env, &["apps:destroy", "kept", "--force"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(" !     ") && last.contains("--skip-cluster"),
        "{stderr}"
    );
    ok(&env, &["apps:exists", "kept"]);
    ok(&env, &["apps:destroy", "kept", "--force", "--skip-cluster"]);
    assert_eq!(run(&env, &["apps:exists", "kept"]).status.code(), Some(1));
}

/// Removes the cluster-scoped issuers even when the test fails half-way.
struct IssuerCleanup;

impl Drop for IssuerCleanup {
    fn drop(&mut self) {
        support::cleanup_blocking(|client| async move {
            let api: Api<ClusterIssuer> = Api::all(client);
            for name in ["letsencrypt-prod", "letsencrypt-stag"] {
                let _ = api.delete(name, &DeleteParams::default()).await;
            }
            Ok::<(), kube::Error>(())
        });
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn global_letsencrypt_emails_become_cluster_issuers() {
    let client = support::client().await;
    let _cleanup = IssuerCleanup;
    let issuers: Api<ClusterIssuer> = Api::all(client);
    let env = BerthEnv::new();
    env.use_test_cluster();
    let out = ok(
        &env,
        &[
            "scheduler-k3s:set",
            "--global",
            "letsencrypt-email-prod",
            "ops@example.com",
        ],
    );
    assert!(
        out.contains("ClusterIssuer letsencrypt-prod applied"),
        "{out}"
    );
    let prod = issuers.get("letsencrypt-prod").await.unwrap();
    assert_eq!(prod.spec.acme.email, "ops@example.com");
    assert_eq!(
        prod.spec.acme.server,
        "https://acme-v02.api.letsencrypt.org/directory"
    );
    assert_eq!(prod.spec.acme.solvers[0].http01.ingress.class, "nginx");

    ok(
        &env,
        &["scheduler-k3s:set", "--global", "ingress-class", "traefik"],
    );
    ok(
        &env,
        &[
            "scheduler-k3s:set",
            "--global",
            "letsencrypt-email-stag",
            "dev@example.com",
        ],
    );
    let stag = issuers.get("letsencrypt-stag").await.unwrap();
    assert_eq!(stag.spec.acme.email, "dev@example.com");
    assert_eq!(stag.spec.acme.solvers[0].http01.ingress.class, "traefik");

    let out = ok(
        &env,
        &["scheduler-k3s:set", "--global", "letsencrypt-email-prod"],
    );
    assert!(
        out.contains("ClusterIssuer letsencrypt-prod removed"),
        "{out}"
    );
    assert!(issuers.get_opt("letsencrypt-prod").await.unwrap().is_none());
    assert!(issuers.get_opt("letsencrypt-stag").await.unwrap().is_some());
    ok(
        &env,
        &[
            "scheduler-k3s:set",
            "--global",
            "letsencrypt-email-stag",
            "",
        ],
    );
    assert!(issuers.get_opt("letsencrypt-stag").await.unwrap().is_none());

    // App-level emails do not touch cluster-wide issuers.
    ok(&env, &["apps:create", "le"]);
    ok(
        &env,
        &[
            "scheduler-k3s:set",
            "le",
            "letsencrypt-email-prod",
            "app@example.com",
        ],
    );
    assert!(issuers.get_opt("letsencrypt-prod").await.unwrap().is_none());
}

/// Removes the cluster-wide trigger auth (and the `keda` namespace when the test created it).
struct TriggerAuthCleanup {
    created_namespace: bool,
}

impl Drop for TriggerAuthCleanup {
    fn drop(&mut self) {
        let created_namespace = self.created_namespace;
        support::cleanup_blocking(move |client| async move {
            let auths: Api<ClusterTriggerAuthentication> = Api::all(client.clone());
            let _ = auths
                .delete("berth-test-rabbitmq", &DeleteParams::default())
                .await;
            if created_namespace {
                let _ = Api::<Namespace>::all(client)
                    .delete("keda", &DeleteParams::default())
                    .await;
            } else {
                let _ = Api::<Secret>::namespaced(client, "keda")
                    .delete("ckta-berth-test-rabbitmq", &DeleteParams::default())
                    .await;
            }
            Ok::<(), kube::Error>(())
        });
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn global_autoscaling_auth_becomes_a_cluster_trigger_authentication() {
    let client = support::client().await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    // A `keda` namespace left terminating by an earlier run must be gone before we start.
    if let Some(ns) = namespaces.get_opt("keda").await.unwrap()
        && ns.metadata.deletion_timestamp.is_some()
    {
        let uid = ns.metadata.uid.clone().unwrap_or_default();
        let gone = kube::runtime::wait::await_condition(
            namespaces.clone(),
            "keda",
            kube::runtime::wait::conditions::is_deleted(&uid),
        );
        tokio::time::timeout(std::time::Duration::from_secs(60), gone)
            .await
            .expect("the terminating keda namespace did not go away within 60 s")
            .expect("watching the keda namespace");
    }
    let _cleanup = TriggerAuthCleanup {
        created_namespace: namespaces.get_opt("keda").await.unwrap().is_none(),
    };
    let auths: Api<ClusterTriggerAuthentication> = Api::all(client.clone());
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "keda");
    let env = BerthEnv::new();
    env.use_test_cluster();
    let trigger = "berth-test-rabbitmq";
    let out = ok(
        &env,
        &[
            "scheduler-k3s:autoscaling-auth:set",
            "--global",
            trigger,
            "--metadata",
            "host=amqp://u:p@mq",
        ],
    );
    assert!(
        out.contains(&format!("ClusterTriggerAuthentication {trigger} applied")),
        "{out}"
    );
    ok(
        &env,
        &[
            "scheduler-k3s:autoscaling-auth:set",
            "--global",
            trigger,
            "--metadata",
            "password=hunter2",
        ],
    );
    let auth = auths.get(trigger).await.unwrap();
    let params: Vec<String> = auth
        .spec
        .secret_target_ref
        .iter()
        .map(|r| r.parameter.clone())
        .collect();
    assert_eq!(
        params,
        vec!["host".to_owned(), "password".to_owned()],
        "both stored keys are referenced"
    );
    let secret = secrets.get(&format!("ckta-{trigger}")).await.unwrap();
    let data = secret.data.unwrap_or_default();
    assert_eq!(data["password"].0, b"hunter2".to_vec());
    assert_eq!(data["host"].0, b"amqp://u:p@mq".to_vec());

    let out = ok(
        &env,
        &["scheduler-k3s:autoscaling-auth:set", "--global", trigger],
    );
    assert!(out.contains("removed"), "{out}");
    assert!(auths.get_opt(trigger).await.unwrap().is_none());
    assert!(
        secrets
            .get_opt(&format!("ckta-{trigger}"))
            .await
            .unwrap()
            .is_none()
    );
}
