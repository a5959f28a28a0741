//! End to end on the real node: app.json healthchecks really gate the rollout, failures keep the
//! previous release serving, and a good rolling deploy loses no request.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::e2e::*;
use support::real::RealNode;
use support::{fail_output, ok};

/// An app.json with one HTTP check of `kind` on `path`, probed every second, `attempts` times.
fn checks(kind: &str, path: &str, attempts: u32) -> String {
    format!(
        r#"{{"healthchecks": {{"web": [{{"type": "{kind}", "name": "web-{kind}", "path": "{path}", "attempts": {attempts}, "wait": 1, "timeout": 1}}]}}}}"#
    )
}

/// With STARTUP_DELAY the deploy waits for the startup probe: when berth says deployed, the new
/// release already answers. Then a release whose readiness check fails (a path that answers 404)
/// fails the deploy at deploy-timeout naming the check; with rollback-on-failure the previous
/// release keeps answering.
#[tokio::test]
async fn healthchecks_gate_the_rollout_and_rollback_keeps_serving() {
    let j = Journey::start("e2e-health").await;
    let (real, client, ns) = (&j.real, &j.client, &j.ns);
    let app = "gated";
    let host = &host(app);
    let env = j.app(app);
    ok(
        &env,
        &[
            "config:set",
            "--no-restart",
            app,
            "STARTUP_DELAY=4",
            "BERTH_TEST_RELEASE=slow",
        ],
    );
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "90s"]);
    let startup = j.file("startup.json", &checks("startup", "/health", 15));
    deploy(
        &env,
        app,
        &real.image("testapp:1"),
        &["--app-json", &startup],
    );
    // berth returned only once the probe passed: the very first request through the ingress may
    // still race Traefik's endpoint update, but the pod must already be Ready and listening.
    let pods = live_pods(client, ns.name(), app, "web").await;
    assert_eq!(pods.len(), 1, "a Ready web pod when deploy returned");
    let logs = ok(&env, &["logs", app, "-p", "web", "-n", "20"]);
    assert!(
        logs.contains("listening on :5000"),
        "the app listened before deploy returned: {logs}"
    );
    real.wait_http(
        host,
        "/",
        ROUTE_TIMEOUT,
        "slow-starting release served",
        |s, b| s == 200 && b.contains("release=slow"),
    );

    // A readiness check on a path that answers 404: the deploy fails at the deadline and names it.
    ok(
        &env,
        &[
            "config:set",
            "--no-restart",
            app,
            "STARTUP_DELAY=0",
            "BERTH_TEST_RELEASE=broken",
        ],
    );
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "20s"]);
    ok(
        &env,
        &["scheduler-k3s:set", app, "rollback-on-failure", "true"],
    );
    let broken = j.file("broken.json", &checks("readiness", "/nope", 3));
    let (code, out) = fail_output(
        &env,
        &[
            "deploy",
            app,
            "--image",
            &real.image("testapp:2"),
            "--app-json",
            &broken,
        ],
    );
    assert_ne!(code, 0);
    assert!(
        out.to_lowercase().contains("readiness"),
        "the failing probe is named: {out}"
    );
    assert!(
        out.contains("Rollback") || out.contains("rolled back") || out.contains("rollback"),
        "{out}"
    );
    // The previous release still answers, and only it.
    for _ in 0..10 {
        let (status, body) = real.get(host, "/").unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("release=slow") && body.contains("version=1"),
            "{body}"
        );
    }
    j.end().await;
}

/// A rolling deploy of 2 replicas behind the ingress loses no request: a bounded request loop
/// on loopback during the deploy counts every non-200 answer.
#[tokio::test]
async fn rolling_deploy_of_two_replicas_loses_no_request() {
    let j = Journey::start("e2e-rolling").await;
    let (real, client, ns) = (&j.real, &j.client, &j.ns);
    let app = "steady";
    let host = "steady.berth.test";
    let env = j.app(app);
    let readiness = j.file("app.json", &checks("readiness", "/health", 3));
    ok(&env, &["ps:scale", app, "web=2"]);
    deploy(
        &env,
        app,
        &real.image("testapp:1"),
        &["--app-json", &readiness],
    );
    real.wait_http(host, "/", ROUTE_TIMEOUT, "v1 served", |s, b| {
        s == 200 && b.contains("version=1")
    });
    assert_eq!(live_pods(client, ns.name(), app, "web").await.len(), 2);

    let stop = Arc::new(AtomicBool::new(false));
    let loop_real = RealNode::from_env();
    let loop_stop = Arc::clone(&stop);
    // Bounded: at most 20,000 requests or 5 minutes, whichever comes first.
    let requests = std::thread::spawn(move || {
        // Bounded in count and time, as every request loop here is.
        let until = Instant::now() + Duration::from_secs(300);
        let (mut total, mut bad, mut v2) = (0u32, Vec::new(), 0u32);
        while !loop_stop.load(Ordering::Relaxed) && total < 20_000 && Instant::now() < until {
            total += 1;
            match loop_real.get(host, "/") {
                Ok((200, body)) => v2 += u32::from(body.contains("version=2")),
                Ok((status, body)) => bad.push(format!("HTTP {status}: {}", body.trim())),
                Err(e) => bad.push(format!("error: {e}")),
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        (total, bad, v2)
    });
    deploy(
        &env,
        app,
        &real.image("testapp:2"),
        &["--app-json", &readiness],
    );
    // Keep asking until the new release answers, then a little longer.
    real.wait_http(host, "/", ROUTE_TIMEOUT, "v2 served", |s, b| {
        s == 200 && b.contains("version=2")
    });
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    let (total, bad, v2) = requests.join().unwrap();
    assert!(
        total > 50,
        "the loop ran during the deploy ({total} requests)"
    );
    assert!(v2 > 0, "the loop saw the new release");
    assert!(
        bad.is_empty(),
        "{} of {total} requests failed during the rolling deploy: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
    j.end().await;
}

/// A release whose container crashes at once fails the deploy with the crash reason and the
/// container's last log line; `scheduler-k3s:rollback` then restores a serving release.
#[tokio::test]
async fn crashing_release_fails_with_its_reason_and_rollback_restores_service() {
    let j = Journey::start("e2e-crash").await;
    let real = &j.real;
    let app = "crashy";
    let host = &host(app);
    let env = j.app(app);
    deploy(&env, app, &real.image("testapp:1"), &[]);
    real.wait_http(host, "/", ROUTE_TIMEOUT, "good release served", |s, _| {
        s == 200
    });

    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "60s"]);
    let crash = j.file("Procfile", "web: crash\n");
    let (_, out) = fail_output(
        &env,
        &[
            "deploy",
            app,
            "--image",
            &real.image("testapp:2"),
            "--procfile",
            &crash,
        ],
    );
    assert!(
        out.contains("CrashLoopBackOff") || out.contains("exit code 1") || out.contains("Error"),
        "the crash reason is shown: {out}"
    );
    assert!(
        out.contains("crashing on purpose"),
        "the container's last log line is shown: {out}"
    );

    ok(&env, &["scheduler-k3s:rollback", app]);
    real.wait_http(
        host,
        "/",
        ROUTE_TIMEOUT,
        "rolled-back release served",
        |s, b| s == 200 && b.contains("version=1"),
    );
    j.end().await;
}
