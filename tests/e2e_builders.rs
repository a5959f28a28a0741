//! End to end on the real node: builder-specific start commands (herokuish `/start`, CNB
//! `launcher`) run for real, and a private registry's image pulls only with `registry:login`.

mod support;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use support::e2e::*;
use support::wait_for_all;
use support::{fail_output, ok, run};

/// A herokuish image starts `/start web` (and `/start worker`), a CNB image `launcher <cmd>`:
/// both serve through the ingress, and one-off runs go through `/exec` / `launcher`.
#[tokio::test]
async fn herokuish_and_cnb_images_start_the_right_process() {
    let j = Journey::start("e2e-builders").await;
    let real = &j.real;
    let procfile = j.file(
        "Procfile",
        "web: testapp web
worker: testapp worker
",
    );
    let app_json = j.file("app.json", r#"{"formation": {"worker": {"quantity": 1}}}"#);
    for (app, image, builder) in [
        ("heroku-app", "testapp-herokuish:1", "herokuish"),
        ("cnb-app", "testapp-cnb:1", "pack"),
    ] {
        let env = j.app(app);
        let host = host(app);
        ok(&env, &["builder:set", app, "selected", builder]);
        deploy(
            &env,
            app,
            &real.image(image),
            &["--procfile", &procfile, "--app-json", &app_json],
        );
        let body = real.wait_http(
            &host,
            "/",
            ROUTE_TIMEOUT,
            &format!("{builder} web"),
            |s, _| s == 200,
        );
        assert_eq!(field(&body, "process"), "web", "{body}");
        let logs = ok(&env, &["logs", app, "-p", "worker", "-n", "10"]);
        assert!(
            logs.contains("worker tick"),
            "{builder} worker runs: {logs}"
        );
        let out = run(
            &env,
            &[
                "run", "--no-tty", app, "--", "testapp", "task", "4", "one-off",
            ],
        );
        assert_eq!(out.status.code(), Some(4), "{builder} run: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("one-off"),
            "{out:?}"
        );
    }
    j.end().await;
}

/// An image in the private registry: without `registry:login` the pod shows the registry's 401
/// (containerd words it "authorization failed: no basic auth credentials");
/// after `registry:login` the deploy succeeds and serves.
#[tokio::test]
async fn private_registry_needs_registry_login() {
    let j = Journey::start("e2e-private").await;
    let (real, ns) = (&j.real, &j.ns);
    let app = "private-app";
    let host = &host(app);
    let env = j.app(app);
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "20s"]);
    let image = format!("{}/testapp:1", real.private_registry);
    let (_, out) = fail_output(&env, &["deploy", app, "--image", &image]);
    wait_for_all(
        ns.api::<Pod>(),
        "app.kubernetes.io/part-of=private-app",
        |pods: &[Pod]| !pods.is_empty(),
        Duration::from_secs(30),
        "the app's pod",
    )
    .await;
    assert!(
        out.contains("authorization failed: no basic auth credentials"),
        "the deploy failure shows the pull's 401: {out}\nevents: {}",
        kubectl_events(ns.name())
    );

    let mut login = env
        .std_cmd()
        .args([
            "registry:login",
            app,
            "--password-stdin",
            &real.private_registry,
            &real.private_user,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    login
        .stdin
        .take()
        .unwrap()
        .write_all(real.private_password().as_bytes())
        .unwrap();
    let login = login.wait_with_output().unwrap();
    assert!(login.status.success(), "{login:?}");
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "60s"]);
    deploy(&env, app, &image, &[]);
    real.wait_http(host, "/", ROUTE_TIMEOUT, "private image served", |s, _| {
        s == 200
    });
    j.end().await;
}

fn kubectl_events(ns: &str) -> String {
    let kubectl = std::env::var("BERTH_TEST_KUBECTL").expect("BERTH_TEST_KUBECTL");
    let out = std::process::Command::new(kubectl)
        .args(["get", "events", "-n", ns, "--kubeconfig"])
        .arg(support::kubeconfig_path())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}
