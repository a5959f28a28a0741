//! `deploy --dry-run` and `procfile:*` through the binary: output parses back into the objects,
//! secrets are redacted unless asked for, bad input fails in one line with state unchanged.

mod cli_util;

use cli_util::Env;

fn setup() -> Env {
    let env = Env::new();
    env.ok(&["apps:create", "demo"]);
    env.ok(&["config:set", "demo", "SECRET_TOKEN=hunter2", "PLAIN=1"]);
    env
}

fn write(env: &Env, name: &str, text: &str) -> String {
    let p = env.path().join(name);
    std::fs::write(&p, text).expect("write file");
    p.display().to_string()
}

fn kinds_and_names(yaml: &str) -> Vec<(String, String)> {
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_str_multiple(yaml).expect("dry-run output is YAML");
    docs.iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap_or_default().to_owned(),
                d["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn dry_run_prints_every_object_in_apply_order() {
    let env = setup();
    let procfile = write(
        &env,
        "Procfile",
        "web: ./server --port $PORT\nworker: ./worker\nrelease: ./migrate\n",
    );
    let app_json = write(
        &env,
        "app.json",
        r#"{"cron":[{"id":"nightly","command":"./nightly","schedule":"@daily"}],"formation":{"worker":{"quantity":2}}}"#,
    );
    let before = env.state_hash();
    let out = env.ok(&[
        "deploy",
        "demo",
        "--image",
        "registry.example.com/demo:1",
        "--procfile",
        &procfile,
        "--app-json",
        &app_json,
        "--dry-run",
    ]);
    assert_eq!(env.state_hash(), before, "a dry run must not change state");
    let objects = kinds_and_names(&out);
    let kinds: Vec<&str> = objects.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount",
            "Secret",
            "Job",
            "Deployment",
            "Deployment",
            "CronJob",
            "Service"
        ],
        "{out}"
    );
    assert!(objects.contains(&("Deployment".into(), "demo-worker".into())));
    assert!(
        out.contains("- --port\n        - \"5000\""),
        "$PORT expands to the primary port:\n{out}"
    );
    assert!(
        !out.contains("hunter2") && !out.contains("aHVudGVyMg"),
        "secret leaked:\n{out}"
    );
    assert!(out.contains("SECRET_TOKEN: <redacted>"));
}

#[test]
fn show_secrets_and_json_format() {
    let env = setup();
    let out = env.ok(&[
        "deploy",
        "demo",
        "--image",
        "nginx:1.27",
        "--dry-run",
        "--show-secrets",
        "--format",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&out).expect("JSON List");
    assert_eq!(list["kind"], "List");
    let secret = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Secret")
        .expect("config secret");
    assert_eq!(secret["data"]["SECRET_TOKEN"], "aHVudGVyMg==");
}

#[test]
fn stored_procfile_is_used_and_reported() {
    let env = setup();
    env.ok_stdin(
        &["procfile:set", "demo", "--file", "-"],
        "web: ./a\nclock: ./clock\n",
    );
    let report = env.ok(&["procfile:report", "demo", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(v["processes"]["clock"], "./clock");
    let out = env.ok(&["deploy", "demo", "--image", "nginx:1.27", "--dry-run"]);
    assert!(kinds_and_names(&out).contains(&("Deployment".into(), "demo-clock".into())));
}

#[test]
fn bad_input_is_one_line_and_changes_nothing() {
    let env = setup();
    let bad_cron = write(
        &env,
        "app.json",
        r#"{"cron":[{"command":"x","schedule":"61 * * * *"}]}"#,
    );
    let bad_proc = write(&env, "Procfile", "Web: x\n");
    let before = env.state_hash();
    for (args, want) in [
        (
            vec![
                "deploy",
                "demo",
                "--image",
                "nginx",
                "--app-json",
                &bad_cron,
                "--dry-run",
            ],
            "cron[0].schedule \"61 * * * *\" is not a valid cron schedule",
        ),
        (
            vec![
                "deploy",
                "demo",
                "--image",
                "nginx",
                "--procfile",
                &bad_proc,
                "--dry-run",
            ],
            "invalid process type \"Web\"",
        ),
        (
            vec!["deploy", "demo", "--image", "not an image", "--dry-run"],
            "invalid image",
        ),
        (
            vec!["deploy", "nope", "--image", "nginx", "--dry-run"],
            "nope",
        ),
        (
            vec!["deploy", "demo", "--image", "nginx"],
            "not implemented until the deploy engine lands",
        ),
    ] {
        let err = env.fail(&args);
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: not one line: {err}"
        );
    }
    let err = env.fail(&["procfile:set", "demo", "--file", &bad_proc]);
    assert!(err.contains("line 1: invalid process type"), "{err}");
    assert_eq!(env.state_hash(), before);
}
