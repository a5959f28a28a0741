//! `scheduler-k3s:preview` against the real control plane: what the next deploy would change,
//! compared with the live release record — all added before the first deploy, nothing after a
//! clean deploy, the changed object and field after a setting changes, Secret values redacted —
//! and the command itself changes nothing.

mod support;

use serde_json::Value;
use support::{BerthEnv, TestNamespace, client, fail, ok, run};

fn preview(env: &BerthEnv, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["scheduler-k3s:preview"];
    all.extend_from_slice(args);
    let out = run(env, &all);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn preview_json(env: &BerthEnv, app: &str) -> (i32, Value) {
    let (code, stdout, stderr) = preview(env, &[app, "--format", "json"]);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    (code, doc)
}

fn revisions(env: &BerthEnv, app: &str) -> usize {
    let out = ok(env, &["scheduler-k3s:history", app, "--format", "json"]);
    serde_json::from_str::<Vec<Value>>(&out).unwrap().len()
}

#[tokio::test]
async fn preview_shows_what_the_next_deploy_changes_and_nothing_else() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "preview").await;
    let n = ns.name().to_owned();
    let env = BerthEnv::new();
    env.use_test_cluster();
    let app = "pv";
    ok(&env, &["apps:create", app]);
    ok(&env, &["scheduler-k3s:set", app, "namespace", &n]);

    // Never deployed: every object is added; plain output exits 0 (Dokku's), JSON exits 1.
    let (code, stdout, _) = preview(&env, &[app]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(&format!("{n}, pv-web, Deployment (apps) has been added:")),
        "{stdout}"
    );
    let (code, doc) = preview_json(&env, app);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["changed"], true);
    assert_eq!(doc["revision"], Value::Null);
    assert!(
        doc["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["change"] == "added"),
        "{doc}"
    );

    ok(
        &env,
        &["deploy", app, "--image", "registry.example.com/pv:1", "-q"],
    );
    let before = env.state_hash();

    // A clean state: no output at all (stdout or stderr), and --exit-code says "no change".
    let (code, stdout, stderr) = preview(&env, &[app]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
    let (code, stdout, _) = preview(&env, &[app, "--exit-code"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    let (code, doc) = preview_json(&env, app);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["changed"], false);
    assert_eq!(doc["revision"], 1);

    // A resource limit: the Deployment changes at that field (Dokku's bats check).
    ok(
        &env,
        &[
            "resource:limit",
            "--process-type",
            "web",
            "--memory",
            "256",
            app,
        ],
    );
    let (code, stdout, _) = preview(&env, &[app]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(&format!("{n}, pv-web, Deployment (apps) has changed:")),
        "{stdout}"
    );
    assert!(stdout.contains("+             memory: 256Mi"), "{stdout}");
    assert!(
        stdout.contains("...\n"),
        "context elides the rest: {stdout}"
    );
    let (code, doc) = preview_json(&env, app);
    assert_eq!(code, 1, "{doc}");
    let changed: Vec<&Value> = doc["objects"].as_array().unwrap().iter().collect();
    assert_eq!(changed.len(), 1, "{doc}");
    assert_eq!(changed[0]["change"], "changed");
    assert_eq!(changed[0]["kind"], "Deployment");
    assert!(
        changed[0]["fields"].as_array().unwrap().iter().any(|f| f
            .as_str()
            .unwrap()
            .starts_with("spec.template.spec.containers[0].resources.limits")),
        "{doc}"
    );
    let (code, _, _) = preview(&env, &[app, "--exit-code"]);
    assert_eq!(code, 1);

    // A config value not yet rolled out: the config Secret changes, its value redacted.
    ok(
        &env,
        &["config:set", "--no-restart", app, "PASSWORD=hunter2"],
    );
    let (_, stdout, _) = preview(&env, &[app, "--context", "-1"]);
    assert!(
        stdout.contains(&format!("{n}, config-pv, Secret (v1) has changed:")),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
    assert!(!stdout.contains("aHVudGVyMg"), "{stdout}");
    assert!(
        stdout.contains("PASSWORD: \"++++++++ # (7 bytes)\""),
        "{stdout}"
    );
    let (_, stdout, _) = preview(&env, &[app, "--show-secrets-decoded"]);
    assert!(stdout.contains("PASSWORD: hunter2"), "{stdout}");
    let (_, stdout, _) = preview(&env, &[app, "--show-secrets"]);
    assert!(stdout.contains("aHVudGVyMg=="), "{stdout}");

    // `--image`: what `deploy --image` would change — the image of every workload.
    let (code, stdout, _) = preview(
        &env,
        &[app, "--image", "registry.example.com/pv:2", "--exit-code"],
    );
    assert_eq!(code, 1, "{stdout}");
    let changed = |mark: char, text: &str| {
        stdout
            .lines()
            .any(|l| l.starts_with(mark) && l.trim_start_matches(mark).trim() == text)
    };
    assert!(changed('-', "image: registry.example.com/pv:1"), "{stdout}");
    assert!(changed('+', "image: registry.example.com/pv:2"), "{stdout}");
    let (code, err) = fail(
        &env,
        &["scheduler-k3s:preview", app, "--image", "bad image"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("Invalid image \"bad image\""), "{err}");

    // Previewing wrote nothing and deployed nothing.
    assert_eq!(revisions(&env, app), 1);
    ok(&env, &["ps:rebuild", app, "-q"]);
    let (code, stdout, _) = preview(&env, &[app, "--exit-code"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, ""),
        "after the rebuild: {stdout}"
    );
    assert_ne!(env.state_hash(), before, "the settings changed (sanity)");
    ns.cleanup().await;
}

#[tokio::test]
async fn preview_refuses_what_it_cannot_compare_and_warns_of_a_missing_issuer() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "preview-bad").await;
    let n = ns.name().to_owned();
    let env = BerthEnv::new();
    env.use_test_cluster();
    ok(&env, &["apps:create", "pw"]);
    ok(&env, &["scheduler-k3s:set", "pw", "namespace", &n]);

    let (code, err) = fail(&env, &["scheduler-k3s:preview", "ghost"]);
    assert_eq!(code, 1);
    assert!(err.contains("App ghost does not exist"), "{err}");
    // With JSON (a CI gate), trouble is 2, never the "changes" 1.
    let (code, _) = fail(&env, &["scheduler-k3s:preview", "ghost", "-o", "json"]);
    assert_eq!(code, 2);
    let (code, err) = fail(&env, &["scheduler-k3s:preview", "pw", "--context", "x"]);
    assert_eq!(code, 1);
    assert!(err.contains("\"x\""), "{err}");

    // Dokku's advisory: a named issuer the cluster lacks gets no certificate.
    ok(
        &env,
        &["scheduler-k3s:set", "pw", "letsencrypt-server", "prod"],
    );
    ok(
        &env,
        &[
            "scheduler-k3s:set",
            "pw",
            "cert-issuer-name",
            "no-such-issuer",
        ],
    );
    let (_, _, stderr) = preview(&env, &["pw"]);
    assert!(
        stderr.contains(
            "ClusterIssuer no-such-issuer not found, certificates will not be issued for pw"
        ),
        "{stderr}"
    );
    // The deploy warns the same way, and goes on.
    let out = run(
        &env,
        &["deploy", "pw", "--image", "registry.example.com/pw:1"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "ClusterIssuer no-such-issuer not found, certificates will not be issued for pw"
        ),
        "{stderr}"
    );
    ns.cleanup().await;
}
