//! Faults during deploys, against the running test control plane: its API server frozen
//! (SIGSTOP) or killed while a deploy waits, and berth itself SIGKILLed at random moments of a
//! deploy or stopped with SIGTERM / SIGHUP. Each asserts what the operator then finds: the deploy
//! failed with a line naming the server, no revision stays pending after the next command, the
//! lock is free, and the next deploy converges.
//!
//! These tests change the one API server every test shares, so they run one at a time (the
//! `FAULTS` lock) and always give it back (the guards resume or restart it when dropped, even on
//! a failed assertion). `BERTH_FAULT_ROUNDS` raises the number of killed deploys.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use rand::Rng;
use serde_json::Value;
use support::{BerthEnv, TestNamespace, client, ok};

static FAULTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `scripts/test-cluster apiserver <action>` for the control plane the tests use.
fn apiserver(action: &str) {
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-cluster"))
        .args(["apiserver", action])
        .output()
        .expect("running scripts/test-cluster");
    assert!(
        out.status.success(),
        "scripts/test-cluster apiserver {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The API server is frozen while this lives.
struct Frozen;
impl Frozen {
    fn new() -> Frozen {
        apiserver("freeze");
        Frozen
    }
}
impl Drop for Frozen {
    fn drop(&mut self) {
        apiserver("resume");
    }
}

/// The API server is dead while this lives.
struct Killed;
impl Killed {
    fn new() -> Killed {
        apiserver("kill");
        Killed
    }
}
impl Drop for Killed {
    fn drop(&mut self) {
        apiserver("restart");
    }
}

/// The server URL of the test kubeconfig, as berth names it.
fn server_url() -> String {
    let kc = kube::config::Kubeconfig::read_from(support::kubeconfig_path()).unwrap();
    kc.clusters[0]
        .cluster
        .as_ref()
        .unwrap()
        .server
        .clone()
        .unwrap()
        .trim_end_matches('/')
        .to_owned()
}

fn app_env(app: &str, ns: &str, deploy_timeout: &str) -> BerthEnv {
    let env = BerthEnv::new();
    env.use_test_cluster();
    ok(&env, &["apps:create", app]);
    ok(&env, &["scheduler-k3s:set", app, "namespace", ns]);
    ok(
        &env,
        &["scheduler-k3s:set", app, "deploy-timeout", deploy_timeout],
    );
    env
}

/// Make the app's next pods never Ready (kwok's simulated readiness), or Ready again.
fn never_ready(env: &BerthEnv, app: &str, on: bool) {
    ok(
        env,
        &[
            "scheduler-k3s:labels:set",
            app,
            "berth.test/never-ready",
            if on { "true" } else { "" },
            "--resource-type",
            "pod",
        ],
    );
}

fn spawn_deploy(env: &BerthEnv, app: &str, image: &str) -> Child {
    env.std_cmd()
        .args(["deploy", app, "--image", image, "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The revision record `app`.v`revision` exists (the deploy is past recording it).
async fn wait_for_record(client: &kube::Client, ns: &str, app: &str, revision: u32) {
    let api = Api::<Secret>::namespaced(client.clone(), ns);
    let name = format!("sh.helm.release.v1.{app}.v{revision}");
    let start = Instant::now();
    while api.get_opt(&name).await.unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "revision {revision} of {app} was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Wait for `child` to exit, at most `limit` (then kill it and fail): proves berth gave up on
/// its own while the fault was still in place.
fn exit_within(child: &mut Child, limit: Duration, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return start.elapsed();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("berth did not give up within {limit:?} while {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The kernel's state letter of the running kube-apiserver (`T` while frozen), from the pid
/// `scripts/test-cluster status` reports.
fn apiserver_state() -> char {
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-cluster"))
        .arg("status")
        .output()
        .expect("scripts/test-cluster status");
    let text = String::from_utf8_lossy(&out.stdout);
    let pid = text
        .lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("kube-apiserver") && w.next() == Some("pid")).then(|| w.next())?
        })
        .unwrap_or_else(|| panic!("no kube-apiserver in: {text}"));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // `pid (comm) S …`: the state follows the last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next())
        .unwrap()
}

fn finish(child: Child) -> (Option<i32>, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn history(env: &BerthEnv, app: &str) -> Vec<Value> {
    let text = ok(env, &["scheduler-k3s:history", app, "--format", "json"]);
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn pending(hist: &[Value]) -> Vec<String> {
    hist.iter()
        .filter(|r| r["status"].as_str().unwrap_or("").starts_with("pending"))
        .map(|r| format!("{} {}", r["revision"], r["status"]))
        .collect()
}

fn status_of(hist: &[Value], revision: u64) -> (String, String) {
    let r = hist
        .iter()
        .find(|r| r["revision"] == revision)
        .unwrap_or_else(|| panic!("no revision {revision} in {hist:?}"));
    (
        r["status"].as_str().unwrap().to_owned(),
        r["description"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_frozen_api_server_fails_the_deploy_at_its_deadline_and_the_next_deploy_converges() {
    let _serial = FAULTS.lock().await;
    let client = client().await;
    let ns = TestNamespace::create(&client, "fault-freeze").await;
    let n = ns.name().to_owned();
    let app = "frozen";
    let env = app_env(app, &n, "8s");
    ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/f:1", "-q"],
    );
    never_ready(&env, app, true);

    let started = Instant::now();
    let mut child = spawn_deploy(&env, app, "registry.invalid/f:2");
    wait_for_record(&client, &n, app, 2).await;
    let frozen = Frozen::new();
    let frozen_at = started.elapsed();
    let gave_up = exit_within(
        &mut child,
        Duration::from_secs(60),
        "the API server was frozen",
    );
    // Observed, not timed: berth had given up while the server was still frozen.
    assert_eq!(
        apiserver_state(),
        'T',
        "the API server was resumed before berth gave up"
    );
    drop(frozen);
    let (code, err) = finish(child);
    println!(
        "frozen API server: deploy-timeout 8s, frozen {frozen_at:?} into the deploy, berth gave up {:?} after it started",
        frozen_at + gave_up
    );
    assert_eq!(code, Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    println!("{last}");
    assert!(last.contains("deploy of frozen failed: "), "{err}");
    assert!(last.contains(&server_url()), "the server is named: {err}");
    // The cause comes first; the failed bookkeeping is added after it.
    assert!(
        last.contains("revision 2 of frozen could not be marked failed"),
        "{err}"
    );
    assert!(
        last.find("deploy of frozen failed").unwrap()
            < last.find("could not be marked failed").unwrap(),
        "{err}"
    );

    // After the next command nothing is pending: either the server, once resumed, processed the
    // update berth stopped waiting for (the real cause is recorded), or that command repaired it.
    let hist = history(&env, app);
    assert!(pending(&hist).is_empty(), "{hist:?}");
    let (status, description) = status_of(&hist, 2);
    assert_eq!(status, "failed");
    assert!(
        description.starts_with("Interrupted: ")
            || description.starts_with("Upgrade \"frozen\" failed: deploy-timeout (8s) reached"),
        "{description}"
    );

    // ...and a re-run converges (with time for the control plane to settle after the fault).
    never_ready(&env, app, false);
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "90s"]);
    let out = ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/f:2", "-q"],
    );
    assert!(out.contains("revision 3"), "{out}");
    let hist = history(&env, app);
    assert_eq!(status_of(&hist, 3).0, "deployed");
    ns.cleanup().await;
}

#[tokio::test]
async fn a_killed_api_server_fails_the_deploy_and_the_next_deploy_repairs_and_converges() {
    let _serial = FAULTS.lock().await;
    let client = client().await;
    let ns = TestNamespace::create(&client, "fault-kill").await;
    let n = ns.name().to_owned();
    let app = "killed";
    let env = app_env(app, &n, "8s");
    ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/k:1", "-q"],
    );
    never_ready(&env, app, true);

    let mut child = spawn_deploy(&env, app, "registry.invalid/k:2");
    wait_for_record(&client, &n, app, 2).await;
    let killed = Killed::new();
    exit_within(
        &mut child,
        Duration::from_secs(60),
        "the API server was dead",
    );
    let (code, err) = finish(child);
    assert_eq!(code, Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.contains("deploy of killed failed: "), "{err}");
    assert!(
        last.contains("revision 2 of killed could not be marked failed"),
        "{err}"
    );
    drop(killed);

    // The next deploy marks the interrupted revision failed (and says so), then converges (with
    // time for the controllers and kwok to reconnect to the restarted server).
    never_ready(&env, app, false);
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "90s"]);
    let out = env
        .std_cmd()
        .args(["deploy", app, "--image", "registry.invalid/k:2", "-q"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("revision 2 of killed was left pending-upgrade by an interrupted berth; marked it failed"),
        "{stderr}"
    );
    let hist = history(&env, app);
    assert!(pending(&hist).is_empty(), "{hist:?}");
    assert_eq!(status_of(&hist, 2).0, "failed");
    assert_eq!(status_of(&hist, 3).0, "deployed");
    ns.cleanup().await;
}

#[tokio::test]
async fn sigterm_and_sighup_record_the_cancellation_and_free_the_lock() {
    let _serial = FAULTS.lock().await;
    let client = client().await;
    let ns = TestNamespace::create(&client, "fault-signal").await;
    let n = ns.name().to_owned();
    let app = "signalled";
    let env = app_env(app, &n, "60s");
    ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/s:1", "-q"],
    );
    never_ready(&env, app, true);
    for (revision, (signal, name)) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGHUP, "SIGHUP")]
        .into_iter()
        .enumerate()
    {
        let revision = revision as u32 + 2;
        let child = spawn_deploy(&env, app, &format!("registry.invalid/s:{revision}"));
        wait_for_record(&client, &n, app, revision).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(child.id() as i32, signal) };
        let (code, err) = finish(child);
        assert_eq!(code, Some(1), "{name}: {err}");
        let cancelled = format!("Deployment of {app} has been cancelled ({name})");
        assert!(err.contains(&cancelled), "{err}");
        let hist = history(&env, app);
        assert_eq!(
            status_of(&hist, u64::from(revision)),
            ("failed".to_owned(), cancelled)
        );
        // The lock went with the process: a command that may not wait gets it at once.
        let out = env
            .std_cmd()
            .args(["scheduler-k3s:set", app, "deploy-timeout", "60s"])
            .env("BERTH_LOCK_TIMEOUT", "0")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the app lock is still held after {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    ns.cleanup().await;
}

fn rounds() -> usize {
    std::env::var("BERTH_FAULT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(8, |n: usize| (n / 50).max(8))
}

#[tokio::test]
async fn berth_killed_at_any_moment_of_a_deploy_leaves_nothing_pending_after_the_next_command() {
    let _serial = FAULTS.lock().await;
    let client = client().await;
    let ns = TestNamespace::create(&client, "fault-sigkill").await;
    let n = ns.name().to_owned();
    let app = "sigkilled";
    let env = app_env(app, &n, "60s");
    let t = Instant::now();
    ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/x:0", "-q"],
    );
    let lifetime = t.elapsed();
    let mut rng = rand::rng();
    let (mut killed, mut repaired) = (0, 0);
    for round in 1..=rounds() {
        let mut child = spawn_deploy(&env, app, &format!("registry.invalid/x:{round}"));
        let at = rng.random_range(0..lifetime.as_millis() as u64 * 3 / 2 + 1);
        std::thread::sleep(Duration::from_millis(at));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        let hist = history(&env, app);
        assert!(
            pending(&hist).is_empty(),
            "round {round}: pending after the next command: {hist:?}"
        );
        repaired = hist
            .iter()
            .filter(|r| {
                r["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("Interrupted: "))
            })
            .count()
            .max(repaired);
    }
    let out = ok(
        &env,
        &["deploy", app, "--image", "registry.invalid/x:final", "-q"],
    );
    assert!(out.contains("revision"), "{out}");
    let hist = history(&env, app);
    assert_eq!(
        hist.last().unwrap()["status"],
        "deployed",
        "the next deploy converges: {hist:?}"
    );
    println!(
        "killed deploys: {} rounds, {killed} killed mid-run, {repaired} interrupted revisions repaired (0 left pending)",
        rounds()
    );
    assert!(killed > 0, "no deploy was killed while running");
    ns.cleanup().await;
}
