//! End to end on the real node: one-off runs, enter, cron:run and release tasks run the app's real
//! image and report its real output and exit codes.

mod support;

use std::time::Duration;

use support::e2e::*;
use support::{fail_output, ok, run};

/// run (attached output and exit code), run:detached + run:logs, enter with a command, and
/// cron:run of an app.json cron task, all in real containers.
#[tokio::test]
async fn run_enter_and_cron_run_real_commands() {
    let j = Journey::start("e2e-run").await;
    let (real, client, ns) = (&j.real, &j.client, &j.ns);
    let app = "tasks";
    let env = j.app(app);
    let app_json = j.file(
        "app.json",
        r#"{"cron": [{"command": "task 0 cron-ran-for-real", "schedule": "@daily"}]}"#,
    );
    ok(
        &env,
        &[
            "config:set",
            "--no-restart",
            app,
            "BERTH_TEST_MESSAGE=from-config",
        ],
    );
    ok(&env, &["scheduler-k3s:set", app, "shm-size", "100Mi"]);
    deploy(
        &env,
        app,
        &real.image("testapp:1"),
        &["--app-json", &app_json],
    );

    // Attached: the container's output and exit code are berth's.
    let out = run(
        &env,
        &[
            "run", "--no-tty", app, "--", "task", "7", "hello", "from", "run",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(7),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("hello from run"),
        "{out:?}"
    );
    let out = ok(
        &env,
        &[
            "run",
            "--no-tty",
            app,
            "--",
            "sh",
            "-c",
            "echo message=$BERTH_TEST_MESSAGE",
        ],
    );
    assert!(
        out.contains("message=from-config"),
        "config reaches one-off runs: {out}"
    );
    // Piped stdin reaches the command and its end is delivered (`cat` exits).
    let mut piped = env
        .std_cmd()
        .args(["run", app, "--", "sh", "-c", "grep -c line; exit 6"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = piped.stdin.take().unwrap();
        input.write_all(b"line 1\nline 2\nline 3\n").unwrap();
    }
    let out = piped.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3", "{out:?}");

    // One-off runs get the app's /dev/shm (shm-size), as its processes do.
    let out = ok(
        &env,
        &[
            "run",
            "--no-tty",
            app,
            "--",
            "grep",
            "/dev/shm",
            "/proc/mounts",
        ],
    );
    assert!(
        out.contains("size=102400k"),
        "the run's /dev/shm is the app's 100Mi: {out}"
    );

    // On a terminal (a pseudo-terminal from `script`), run attaches a TTY; a short command's
    // output and exit code arrive every time, even when it ends before the attach (20 tries).
    let berth = env!("CARGO_BIN_EXE_berth");
    for n in 0..20 {
        let command = format!("'{berth}' run {app} -- task 3 pty-output-{n}");
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("BERTH_HOME", env.home())
            .env_remove("KUBECONFIG")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("script (util-linux) runs berth on a pseudo-terminal");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("pty-output-{n}")),
            "try {n}: the output is shown on a terminal: {text:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.status.code(),
            Some(3),
            "try {n}: the exit code: {text:?}"
        );
    }

    // Detached: the Job keeps running on its own; run:logs shows its output, by the pod name
    // run:detached printed (Dokku prints the pod) and without a name (the latest run).
    let pod = ok(
        &env,
        &["run:detached", app, "--", "task", "0", "detached-output"],
    );
    let pod = pod.lines().last().unwrap_or_default().trim().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let logs = run(&env, &["run:logs", app, &pod]);
        if String::from_utf8_lossy(&logs.stdout).contains("detached-output") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "run:logs never showed the detached run's output: {}{}",
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(ok(&env, &["run:logs", app]).contains("detached-output"));

    // enter: exec into the running web container.
    let out = ok(
        &env,
        &[
            "enter",
            app,
            "web",
            "--",
            "sh",
            "-c",
            "echo entered $TESTAPP_VERSION",
        ],
    );
    assert!(out.contains("entered 1"), "{out}");
    // Dokku's form without `--`: `enter APP web CMD ARGS…`.
    let out = ok(&env, &["enter", app, "web", "sh", "-c", "echo no-dashes"]);
    assert!(out.contains("no-dashes"), "{out}");
    let out = run(&env, &["enter", app, "web", "--", "sh", "-c", "exit 5"]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "enter passes the exit code: {out:?}"
    );
    // Right after a config change, enter lands in a new pod (never the old one, which may still
    // be Ready while it terminates), so it sees the new value.
    ok(&env, &["config:set", app, "BERTH_TEST_MESSAGE=changed"]);
    let out = ok(
        &env,
        &[
            "enter",
            app,
            "web",
            "--",
            "sh",
            "-c",
            "echo message=$BERTH_TEST_MESSAGE",
        ],
    );
    assert!(
        out.contains("message=changed"),
        "enter after config:set: {out}"
    );

    // cron:run runs the task's real command.
    let list = ok(&env, &["cron:list", app, "--format", "json"]);
    let tasks: serde_json::Value = serde_json::from_str(&list).unwrap();
    let id = tasks[0]["id"]
        .as_str()
        .or_else(|| tasks[0]["cron-id"].as_str())
        .unwrap_or_else(|| panic!("{list}"));
    let out = ok(&env, &["cron:run", app, id]);
    let job_logs = pod_logs_of_jobs(client, ns.name(), "cron").await;
    assert!(
        out.contains("cron-ran-for-real") || job_logs.contains("cron-ran-for-real"),
        "cron:run ran the real command: {out} / {job_logs}"
    );
    j.end().await;
}

/// Logs of every pod of a Job whose name contains `part`.
async fn pod_logs_of_jobs(client: &kube::Client, ns: &str, part: &str) -> String {
    use k8s_openapi::api::core::v1::Pod;
    use kube::ResourceExt;
    use kube::api::{Api, ListParams, LogParams};
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let mut out = String::new();
    for p in pods.list(&ListParams::default()).await.unwrap() {
        let job = p.labels().get("job-name").cloned().unwrap_or_default();
        if job.contains(part) {
            out += &pods
                .logs(&p.name_any(), &LogParams::default())
                .await
                .unwrap_or_default();
        }
    }
    out
}

/// app.json predeploy and the Procfile release entry run in the new image before the rollout; a
/// failing one stops the deploy and the old release keeps serving.
#[tokio::test]
async fn release_tasks_run_in_the_new_image_and_a_failing_one_stops_the_deploy() {
    let j = Journey::start("e2e-release").await;
    let (real, client, ns) = (&j.real, &j.client, &j.ns);
    let app = "migrator";
    let host = &host(app);
    let env = j.app(app);
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "60s"]);
    deploy(&env, app, &real.image("testapp:1"), &[]);
    real.wait_http(host, "/", ROUTE_TIMEOUT, "v1 served", |s, b| {
        s == 200 && b.contains("version=1")
    });

    let procfile = j.file(
        "Procfile",
        "web: web\nrelease: testapp task 0 release-ran-version=$TESTAPP_VERSION\n",
    );
    let app_json = j.file(
        "app.json",
        r#"{"scripts": {"dokku": {"predeploy": "echo predeploy-ran-version=$TESTAPP_VERSION"}}}"#,
    );
    deploy(
        &env,
        app,
        &real.image("testapp:2"),
        &["--procfile", &procfile, "--app-json", &app_json],
    );
    let logs = pod_logs_of_jobs(client, ns.name(), "predeploy").await
        + &pod_logs_of_jobs(client, ns.name(), "release").await;
    assert!(
        logs.contains("predeploy-ran-version=2"),
        "predeploy ran in the new image: {logs}"
    );
    assert!(
        logs.contains("release-ran-version=2"),
        "release ran in the new image: {logs}"
    );
    real.wait_http(host, "/", ROUTE_TIMEOUT, "v2 served", |s, b| {
        s == 200 && b.contains("version=2")
    });

    // A failing predeploy stops the deploy before any rollout: v2 keeps answering.
    let failing = j.file(
        "failing.json",
        r#"{"scripts": {"dokku": {"predeploy": "echo migration failed; exit 3"}}}"#,
    );
    let (_, out) = fail_output(
        &env,
        &[
            "deploy",
            app,
            "--image",
            &real.image("testapp:1"),
            "--app-json",
            &failing,
        ],
    );
    assert!(
        out.contains("predeploy"),
        "the failing task is named: {out}"
    );
    for _ in 0..10 {
        let (status, body) = real.get(host, "/").unwrap();
        assert!(
            status == 200 && body.contains("version=2"),
            "old release still serves: {status} {body}"
        );
    }
    j.end().await;
}

/// app.json `scripts.dokku.postdeploy` runs in the new image after its pods are Ready, on every
/// deploy; Heroku's `scripts.postdeploy` runs once, after the app's first deploy; a failing
/// postdeploy fails the deploy and `rollback-on-failure` puts the previous release back.
#[tokio::test]
async fn postdeploy_tasks_run_after_the_rollout_and_heroku_postdeploy_only_once() {
    use k8s_openapi::api::batch::v1::Job;
    use k8s_openapi::api::core::v1::Pod;
    use kube::ResourceExt;
    use kube::api::{Api, ListParams};
    let j = Journey::start("e2e-postdeploy").await;
    let (real, client, ns) = (&j.real, &j.client, &j.ns);
    let app = "seeded";
    let host = &host(app);
    let env = j.app(app);
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "60s"]);
    let app_json = j.file(
        "app.json",
        r#"{"scripts": {"dokku": {"postdeploy": "echo postdeploy-ran-version=$TESTAPP_VERSION"},
                        "postdeploy": "echo seeded-once"}}"#,
    );
    let jobs: Api<Job> = Api::namespaced(client.clone(), ns.name());
    let named = |part: &'static str| {
        let jobs = jobs.clone();
        async move {
            jobs.list(&ListParams::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .filter(|j| j.name_any().contains(part))
                .collect::<Vec<_>>()
        }
    };
    let out = deploy(
        &env,
        app,
        &real.image("testapp:1"),
        &["--app-json", &app_json],
    );
    let _ = out;
    real.wait_http(host, "/", ROUTE_TIMEOUT, "v1 served", |s, b| {
        s == 200 && b.contains("version=1")
    });
    let logs = pod_logs_of_jobs(client, ns.name(), "postdeploy").await;
    assert!(logs.contains("postdeploy-ran-version=1"), "{logs}");
    assert!(logs.contains("seeded-once"), "{logs}");

    // It ran after the new pods were Ready: its Job was created after their Ready transition.
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns.name());
    let ready_at = pods
        .list(&ListParams::default().labels(&format!(
            "app.kubernetes.io/part-of={app},app.kubernetes.io/name=web"
        )))
        .await
        .unwrap()
        .items
        .iter()
        .filter_map(|p| {
            p.status
                .as_ref()?
                .conditions
                .as_ref()?
                .iter()
                .find(|c| c.type_ == "Ready" && c.status == "True")?
                .last_transition_time
                .clone()
        })
        .max()
        .expect("a Ready web pod");
    let post = named("-postdeploy-").await;
    let dokku_post = post
        .iter()
        .find(|j| !j.name_any().contains("heroku"))
        .expect("postdeploy Job");
    assert!(
        dokku_post.metadata.creation_timestamp.clone().unwrap() >= ready_at,
        "postdeploy started before the web pods were Ready"
    );
    assert_eq!(
        dokku_post.annotations()["dokku.com/task-runs"],
        "after-rollout"
    );

    // A second deploy: postdeploy again, Heroku's not.
    deploy(
        &env,
        app,
        &real.image("testapp:2"),
        &["--app-json", &app_json],
    );
    assert_eq!(
        named("heroku-postdeploy").await.len(),
        1,
        "Heroku's postdeploy ran twice"
    );
    let logs = pod_logs_of_jobs(client, ns.name(), "postdeploy").await;
    assert!(logs.contains("postdeploy-ran-version=2"), "{logs}");

    // A failing postdeploy fails the deploy, names the task, and the rollback restores v2.
    ok(
        &env,
        &["scheduler-k3s:set", app, "rollback-on-failure", "true"],
    );
    let failing = j.file(
        "failing.json",
        r#"{"scripts": {"dokku": {"postdeploy": "echo seed failed; exit 4"}}}"#,
    );
    let (_, out) = fail_output(
        &env,
        &[
            "deploy",
            app,
            "--image",
            &real.image("testapp:1"),
            "--app-json",
            &failing,
        ],
    );
    assert!(out.contains("postdeploy task failed"), "{out}");
    assert!(
        out.contains("seed failed"),
        "the task's last log lines are shown: {out}"
    );
    assert!(out.contains("rolled back to revision"), "{out}");
    real.wait_http(host, "/", ROUTE_TIMEOUT, "v2 served again", |s, b| {
        s == 200 && b.contains("version=2")
    });
    j.end().await;
}

/// app.json `env`: a generated secret reaches the running container (the test app answers with
/// `$BERTH_TEST_MESSAGE`), and it is the value berth stored.
#[tokio::test]
async fn app_json_env_generated_values_reach_the_running_container() {
    let j = Journey::start("e2e-appenv").await;
    let real = &j.real;
    let app = "genenv";
    let host = &host(app);
    let env = j.app(app);
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "60s"]);
    let app_json = j.file(
        "app.json",
        r#"{"env": {"BERTH_TEST_MESSAGE": {"generator": "secret"}}}"#,
    );
    let out = deploy(
        &env,
        app,
        &real.image("testapp:1"),
        &["--app-json", &app_json],
    );
    let generated = ok(&env, &["config:get", app, "BERTH_TEST_MESSAGE"])
        .trim()
        .to_owned();
    assert_eq!(generated.len(), 64, "{generated}");
    assert!(!out.contains(&generated), "the generated value was printed");
    real.wait_http(
        host,
        "/",
        ROUTE_TIMEOUT,
        "the generated value served",
        |s, b| s == 200 && b.contains(&generated),
    );
    j.end().await;
}
