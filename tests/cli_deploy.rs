//! `deploy --dry-run` and `procfile:*` through the binary: output parses back into the objects,
//! secrets are redacted unless asked for, bad input fails in one line with state unchanged.

mod support;

use support::cli::Env;

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
            "Invalid process type \"Web\"",
        ),
        (
            vec!["deploy", "demo", "--image", "not an image", "--dry-run"],
            "Invalid image",
        ),
        (
            vec!["deploy", "nope", "--image", "nginx", "--dry-run"],
            "nope",
        ),
        (
            vec!["deploy", "demo", "--image", "nginx"],
            "kubeconfig /etc/rancher/k3s/k3s.yaml does not exist",
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
    assert!(err.contains("line 1: Invalid process type"), "{err}");
    assert_eq!(env.state_hash(), before);
}

/// State set with berth's own commands reaches the rendered objects.
#[test]
fn stored_state_reaches_the_manifests() {
    let env = setup();
    let app_json = write(
        &env,
        "app.json",
        r#"{"formation":{"worker":{"autoscaling":{"min_quantity":1,"max_quantity":5,
            "triggers":[{"type":"memory","metadata":{"type":"Utilization","value":"80"}}]}}}}"#,
    );
    for args in [
        vec![
            "procfile:set",
            "demo",
            "--file",
            &write(&env, "Procfile", "web: ./web\nworker: ./worker\n"),
        ],
        vec!["app-json:set", "demo", "--file", &app_json],
        vec!["ports:set", "demo", "http:80:3000"],
        vec!["domains:add", "demo", "demo.example.com"],
        vec!["resource:limit", "demo", "--memory", "512"],
        vec!["resource:reserve", "demo", "--cpu", "0m"],
        vec!["ps:scale", "demo", "web=3"],
        vec![
            "registry:login",
            "demo",
            "registry.example.com",
            "deploy",
            "s3cret",
        ],
        vec![
            "scheduler-k3s:labels:set",
            "demo",
            "example.com/team",
            "payments",
            "--resource-type",
            "pod",
        ],
        vec![
            "scheduler-k3s:annotations:set",
            "demo",
            "example.com/note",
            "hi",
            "--resource-type",
            "service",
        ],
        vec![
            "scheduler-k3s:autoscaling-auth:set",
            "demo",
            "memory",
            "--metadata",
            "some-key=some-value",
        ],
        vec![
            "scheduler-k3s:set",
            "--global",
            "letsencrypt-email-prod",
            "ops@example.com",
        ],
        vec!["scheduler-k3s:set", "demo", "namespace", "team-demo"],
    ] {
        env.ok(&args);
    }
    let out = env.ok(&[
        "deploy",
        "demo",
        "--image",
        "registry.example.com/demo:2",
        "--dry-run",
        "--format",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&out).expect("JSON List");
    let items = list["items"].as_array().unwrap();
    let get = |kind: &str, name: &str| {
        items
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in {out}"))
    };
    let web = get("Deployment", "demo-web");
    assert_eq!(web["metadata"]["namespace"], "team-demo");
    assert_eq!(web["spec"]["replicas"], 3);
    let c = &web["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["resources"]["limits"]["memory"], "512Mi");
    assert!(
        c["resources"]["requests"].get("cpu").is_none(),
        "0m clears the cpu request"
    );
    assert_eq!(c["ports"][0]["containerPort"], 3000);
    assert_eq!(
        web["spec"]["template"]["metadata"]["labels"]["example.com/team"],
        "payments"
    );
    assert_eq!(
        web["spec"]["template"]["spec"]["imagePullSecrets"][0]["name"],
        "pull-secret-demo"
    );
    assert!(
        get("Deployment", "demo-worker")["spec"]
            .get("replicas")
            .is_none(),
        "KEDA owns the worker's replicas"
    );
    assert_eq!(
        get("Service", "demo-web")["metadata"]["annotations"]["example.com/note"],
        "hi"
    );
    assert_eq!(
        get("Certificate", "demo-web")["spec"]["issuerRef"]["name"],
        "letsencrypt-prod"
    );
    assert_eq!(
        get("Ingress", "demo-web-demo-example-com")["spec"]["tls"][0]["secretName"],
        "tls-demo-web"
    );
    assert_eq!(
        get("ScaledObject", "demo-worker")["spec"]["triggers"][0]["authenticationRef"]["name"],
        "demo-memory"
    );
    assert_eq!(
        get("TriggerAuthentication", "demo-memory")["spec"]["secretTargetRef"][0]["name"],
        "kta-demo-memory"
    );
    let pull = get("Secret", "pull-secret-demo");
    assert_eq!(pull["type"], "kubernetes.io/dockerconfigjson");
    assert!(
        !out.contains("s3cret") && !out.contains("some-value"),
        "secrets printed without --show-secrets"
    );
}

/// `builder:set` decides the start command form (Dokku's builder types); a builder berth cannot
/// start is refused with the allowed values and the state unchanged.
#[test]
fn builder_selects_the_start_command() {
    let env = setup();
    let procfile = write(&env, "Procfile", "web: python3 app.py\n");
    let args_of = |env: &Env| -> (serde_json::Value, serde_json::Value) {
        let yaml = env.ok(&[
            "deploy",
            "demo",
            "--image",
            "img:1",
            "--procfile",
            &procfile,
            "--dry-run",
        ]);
        let docs: Vec<serde_json::Value> = serde_saphyr::from_str_multiple(&yaml).unwrap();
        let d = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        (c["command"].clone(), c["args"].clone())
    };
    assert_eq!(
        args_of(&env),
        (
            serde_json::Value::Null,
            serde_json::json!(["python3", "app.py"])
        )
    );
    env.ok(&["builder:set", "demo", "selected", "herokuish"]);
    assert_eq!(args_of(&env).1, serde_json::json!(["/start", "web"]));
    env.ok(&["builder:set", "--global", "selected", "pack"]);
    env.ok(&["builder:set", "demo", "selected"]);
    assert_eq!(
        args_of(&env).0,
        serde_json::json!(["launcher"]),
        "the global value applies"
    );
    let report: serde_json::Value =
        serde_json::from_str(&env.ok(&["builder:report", "demo", "--format", "json"])).unwrap();
    assert_eq!(report["builder-computed-selected"], "pack");
    assert_eq!(report["builder-global-selected"], "pack");

    let before = env.state_hash();
    let err = env.fail(&["builder:set", "demo", "selected", "nixpack"]);
    assert!(
        err.contains("Invalid builder \"nixpack\" (valid values: dockerfile, herokuish, pack)"),
        "{err}"
    );
    let err = env.fail(&["builder:set", "demo", "build-dir", "../x"]);
    assert!(err.starts_with("Invalid build-dir \"../x\""), "{err}");
    let err = env.fail(&["builder:set", "demo", "nope", "x"]);
    assert!(
        err.contains("valid properties include: selected, build-dir, skip-cleanup"),
        "{err}"
    );
    assert_eq!(env.state_hash(), before);
    // Dokku's other builder properties are stored and reported.
    env.ok(&["builder:set", "demo", "build-dir", "apps/api"]);
    let report: serde_json::Value =
        serde_json::from_str(&env.ok(&["builder:report", "demo", "--format", "json"])).unwrap();
    assert_eq!(report["builder-build-dir"], "apps/api");
    assert_eq!(report["builder-computed-build-dir"], "apps/api");
    assert_eq!(report["builder-detected"], "");
}

/// Containers of `kind` objects in a JSON dry run, as (object name, args).
fn args_of(out: &str, kind: &str) -> Vec<(String, Vec<String>)> {
    let list: serde_json::Value = serde_json::from_str(out).expect("JSON List");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == kind)
        .map(|o| {
            let spec = if kind == "CronJob" {
                &o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            } else {
                &o["spec"]["template"]["spec"]
            };
            let args = spec["containers"][0]["args"]
                .as_array()
                .map(|a| a.iter().map(|w| w.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            (o["metadata"]["name"].as_str().unwrap().to_owned(), args)
        })
        .collect()
}

/// Commands are split as Dokku splits them: quotes, parameter expansion from the app's config
/// with the default forms; a cron task naming a Procfile entry runs that entry; a Procfile entry
/// with shell operators runs through /bin/sh (with a warning); a cron command with operators is
/// refused naming the operator; a healthcheck of a type Dokku does not run is skipped, warned.
#[test]
fn commands_are_split_and_expanded_like_dokku() {
    let env = setup();
    env.ok(&[
        "config:set",
        "--no-restart",
        "demo",
        "QUEUES=default mailers",
    ]);
    let procfile = write(
        &env,
        "Procfile",
        "web: bin/web -p $PORT\nworker: sidekiq -c ${SIDEKIQ_CONCURRENCY:-5} -q \"$QUEUES\"\nclock: bin/setup && bin/clock\nrelease: ./migrate\n",
    );
    let app_json = write(
        &env,
        "app.json",
        r#"{"cron":[{"command":"release","schedule":"@daily"},{"command":"bin/report ${PLAIN} '$PLAIN'","schedule":"@hourly"}],
            "healthchecks":{"web":[{"type":"http","path":"/health"}]}}"#,
    );
    let out = env
        .cmd(&[
            "deploy",
            "demo",
            "--image",
            "registry.example.com/demo:1",
            "--procfile",
            &procfile,
            "--app-json",
            &app_json,
            "--dry-run",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let deployments = args_of(&stdout, "Deployment");
    let find = |name: &str| {
        deployments
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name} in {deployments:?}"))
            .1
            .clone()
    };
    assert_eq!(find("demo-web"), ["bin/web", "-p", "5000"]);
    assert_eq!(
        find("demo-worker"),
        ["sidekiq", "-c", "5", "-q", "default mailers"]
    );
    assert_eq!(
        find("demo-clock"),
        ["/bin/sh", "-c", "bin/setup && bin/clock"]
    );
    assert!(
        stderr.contains("Procfile: command of clock: the shell operator \"&&\" needs a shell, so it runs as /bin/sh -c"),
        "{stderr}"
    );
    assert!(
        stderr.contains("healthchecks.web[0] has type \"http\", which Dokku does not run"),
        "{stderr}"
    );
    let mut crons: Vec<Vec<String>> = args_of(&stdout, "CronJob")
        .into_iter()
        .map(|c| c.1)
        .collect();
    crons.sort();
    assert_eq!(
        crons,
        [
            vec!["./migrate".to_owned()],
            vec!["bin/report".to_owned(), "1".to_owned(), "$PLAIN".to_owned()]
        ]
    );

    // Operators in a cron command are refused, naming them, and nothing changes.
    let bad = write(
        &env,
        "bad.json",
        r#"{"cron":[{"command":"bin/report > /tmp/log","schedule":"@daily"}]}"#,
    );
    let msg = env.fail(&[
        "deploy",
        "demo",
        "--image",
        "registry.example.com/demo:1",
        "--app-json",
        &bad,
        "--dry-run",
    ]);
    assert!(
        msg.contains(
            "cron[0].command: the shell operator \">\" needs a shell; put the command in a script"
        ),
        "{msg}"
    );
}

/// app.json `env`: a dry run shows the defaults it would set (generated secrets as a
/// placeholder) and stores nothing; a required key without a value refuses it, naming every one.
#[test]
fn app_json_env_defaults_and_required_keys() {
    let env = setup();
    let app_json = write(
        &env,
        "app.json",
        r#"{"env": {"PLAIN": "ignored: already set", "WEB_CONCURRENCY": {"value": "2"},
                    "SECRET_KEY_BASE": {"generator": "secret"}, "OPTIONAL": {"required": false}}}"#,
    );
    let before = env.state_hash();
    let out = env.ok(&[
        "deploy",
        "demo",
        "--image",
        "registry.example.com/demo:1",
        "--app-json",
        &app_json,
        "--dry-run",
        "--show-secrets",
        "--format",
        "json",
    ]);
    assert_eq!(env.state_hash(), before, "a dry run stores nothing");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let secret = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Secret")
        .unwrap();
    let decode = |k: &str| {
        use base64::Engine;
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(
                    secret["data"][k]
                        .as_str()
                        .unwrap_or_else(|| panic!("no {k}")),
                )
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(decode("WEB_CONCURRENCY"), "2");
    assert_eq!(
        decode("PLAIN"),
        "1",
        "an existing value is never overwritten"
    );
    assert_eq!(decode("SECRET_KEY_BASE"), "<generated on deploy>");
    assert!(secret["data"].get("OPTIONAL").is_none());

    let required = write(
        &env,
        "required.json",
        r#"{"env": {"DATABASE_URL": {"description": "Postgres"}, "API_KEY": {"required": true}, "PLAIN": {}}}"#,
    );
    let msg = env.fail(&[
        "deploy",
        "demo",
        "--image",
        "registry.example.com/demo:1",
        "--app-json",
        &required,
        "--dry-run",
    ]);
    assert_eq!(
        msg,
        "app.json env: required keys have no value, no default and no generator: API_KEY, DATABASE_URL (set them with: berth config:set <app> API_KEY=… DATABASE_URL=…)"
    );
}

/// `--dry-run` lists every task Job a deploy runs, each marked with when it runs.
#[test]
fn dry_run_lists_every_task_and_when_it_runs() {
    let env = setup();
    let procfile = write(&env, "Procfile", "web: ./server\nrelease: ./migrate\n");
    let app_json = write(
        &env,
        "app.json",
        r#"{"scripts": {"dokku": {"predeploy": "./pre", "postdeploy": "./post"}, "postdeploy": {"command": "./seed"}}}"#,
    );
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
        "--format",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tasks: Vec<(String, String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "Job")
        .map(|o| {
            let name = o["metadata"]["name"].as_str().unwrap();
            // demo-<task>-<deployment id>
            let task = name
                .strip_prefix("demo-")
                .and_then(|n| n.rsplit_once('-'))
                .unwrap()
                .0
                .to_owned();
            (
                task,
                o["metadata"]["annotations"]["dokku.com/task-runs"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                o["spec"]["template"]["spec"]["containers"][0]["args"][2]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    let t = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        tasks,
        [
            t("predeploy", "before-rollout", "./pre"),
            t("release", "before-rollout", "./migrate"),
            t("postdeploy", "after-rollout", "./post"),
            t("heroku-postdeploy", "after-first-rollout", "./seed"),
        ]
    );
}

/// `deploy --builder` says how the image was built for this deploy (over `builder:set`): a
/// herokuish image starts `/start <process>`, a CNB image runs through `launcher`.
#[test]
fn deploy_builder_flag_sets_the_start_command_form() {
    let env = setup();
    let procfile = write(&env, "Procfile", "web: ./server\nworker: ./worker\n");
    let run = |builder: &str| {
        env.ok(&[
            "deploy",
            "demo",
            "--image",
            "registry.example.com/demo:1",
            "--procfile",
            &procfile,
            "--builder",
            builder,
            "--dry-run",
            "--format",
            "json",
        ])
    };
    let herokuish = run("herokuish");
    let deployments = args_of(&herokuish, "Deployment");
    assert!(
        deployments.contains(&(
            "demo-worker".to_owned(),
            vec!["/start".to_owned(), "worker".to_owned()]
        )),
        "{deployments:?}"
    );
    let pack: serde_json::Value = serde_json::from_str(&run("pack")).unwrap();
    let worker = pack["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metadata"]["name"] == "demo-worker")
        .unwrap();
    assert_eq!(
        worker["spec"]["template"]["spec"]["containers"][0]["command"],
        serde_json::json!(["launcher"])
    );
    let msg = env.fail(&[
        "deploy",
        "demo",
        "--image",
        "x:1",
        "--builder",
        "nope",
        "--dry-run",
    ]);
    assert_eq!(
        msg,
        "Invalid --builder \"nope\" (valid values: dockerfile, herokuish, pack)"
    );
}
