//! End to end on the real node: `apps:destroy` of an app whose pods take longer to stop than
//! deploy-timeout says what it deleted and what is still going, keeps berth's state, and a second
//! run finishes the job.

mod support;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use support::e2e::*;
use support::{fail_output, ok};

/// The testapp keeps serving SHUTDOWN_DELAY seconds after SIGTERM (inside the default 30 s grace
/// period), so its pod outlives a 3 s deploy-timeout: the first destroy fails naming the
/// Deployment still being deleted (never "nothing removed"), the app stays in berth's state, and
/// the second destroy (with time to wait) removes the rest and the app.
#[tokio::test]
async fn destroy_outlasting_the_timeout_reports_and_a_rerun_finishes() {
    let j = Journey::start("e2e-destroy").await;
    let (real, client, ns) = (&j.real, &j.client, &j.ns);
    let app = "lingers";
    let env = j.app(app);
    ok(
        &env,
        &["config:set", "--no-restart", app, "SHUTDOWN_DELAY=20"],
    );
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "90s"]);
    deploy(&env, app, &real.image("testapp:1"), &[]);
    assert_eq!(live_pods(client, ns.name(), app, "web").await.len(), 1);

    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "3s"]);
    let (code, text) = fail_output(&env, &["apps:destroy", app, "--force"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("still being deleted after 3s: ") && text.contains("Deployment/lingers-web"),
        "the failure names what is still going: {text}"
    );
    assert!(
        text.contains("deleting objects: ") && text.contains(" gone, waiting for "),
        "progress while waiting: {text}"
    );
    // "deleted N of M objects": deletions were requested (M > 0) and some are still going (N < M).
    let counts = text
        .split("deleted ")
        .nth(1)
        .and_then(|rest| rest.split(" objects").next())
        .and_then(|nm| nm.split_once(" of "))
        .and_then(|(n, m)| Some((n.parse::<usize>().ok()?, m.parse::<usize>().ok()?)));
    assert!(
        counts.is_some_and(|(gone, requested)| requested > 0 && gone < requested),
        "says how many of the requested deletions are done: {text}"
    );
    assert!(
        text.contains("berth's state of the app is kept"),
        "says the state is kept: {text}"
    );
    ok(&env, &["apps:exists", app]);
    // The old pod is still in its grace period: terminating, not live.
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns.name());
    let selector = format!("app.kubernetes.io/part-of={app}");
    let left = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .unwrap()
        .items;
    assert!(
        left.iter().all(|p| p.metadata.deletion_timestamp.is_some()),
        "every pod left is terminating"
    );
    assert!(live_pods(client, ns.name(), app, "web").await.is_empty());

    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "90s"]);
    let out = env
        .std_cmd()
        .args(["apps:destroy", app, "--force"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "second destroy: {stderr}");
    assert!(
        stderr.contains("deleting objects: ") && stderr.contains(" gone"),
        "the second run waits for what is left: {stderr}"
    );
    let (code, _) = fail_output(&env, &["apps:exists", app]);
    assert_eq!(code, 1);
    let left = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .unwrap()
        .items;
    assert!(left.is_empty(), "no pod of the app is left: {left:?}");
    j.end().await;
}
