//! End to end on the real node: a Dokku user's web app journey through the `berth` binary, each
//! answer read through the real Traefik ingress with the app's Host header.

mod support;

use std::collections::BTreeSet;

use support::e2e::*;
use support::ok;

const PROCFILE: &str = "web: web\nworker: worker\n";
const APP_JSON: &str = r#"{
  "formation": {"web": {"quantity": 1}, "worker": {"quantity": 1}},
  "cron": [{"command": "task 0 cron-ran", "schedule": "*/5 * * * *"}],
  "healthchecks": {"web": [{"type": "startup", "name": "web-up", "path": "/health", "attempts": 30, "wait": 1}]}
}"#;

/// apps:create, ports:set, domains:set, config:set, deploy of web + worker + cron from a Procfile
/// and app.json → 200 through the ingress with the config value; config:set of a new value →
/// served after the rolling restart; ps:scale web=3 → 3 pods answer (the running one kept);
/// domains:add + ps:rebuild routes a second domain; logs shows the real request lines; ps:stop →
/// no longer reached; ps:start → back.
#[tokio::test]
async fn web_worker_cron_app_serves_through_the_ingress() {
    let j = Journey::start("e2e-web").await;
    let (real, client, ns) = (&j.real, &j.client, &j.ns);
    let app = "shop";
    let env = real_app(app, ns);
    let procfile = j.file("Procfile", PROCFILE);
    let app_json = j.file("app.json", APP_JSON);

    ok(&env, &["ports:set", app, "http:80:5000"]);
    ok(&env, &["domains:set", app, "shop.berth.test"]);
    ok(
        &env,
        &[
            "config:set",
            "--no-restart",
            app,
            "BERTH_TEST_MESSAGE=hello-one",
        ],
    );
    ok(&env, &["scheduler-k3s:set", app, "deploy-timeout", "120s"]);
    let image = real.image("testapp:1");
    deploy(
        &env,
        app,
        &image,
        &["--procfile", &procfile, "--app-json", &app_json],
    );
    assert_on_real_node(client, ns.name(), app, real).await;

    let body = real.wait_http(
        "shop.berth.test",
        "/",
        ROUTE_TIMEOUT,
        "first deploy served",
        |s, b| s == 200 && b.contains("message=hello-one"),
    );
    assert_eq!(field(&body, "process"), "web");
    assert_eq!(field(&body, "version"), "1");
    assert_eq!(
        live_pods(client, ns.name(), app, "worker").await.len(),
        1,
        "one worker runs"
    );

    // The worker really runs: its ticks are in its log.
    let worker_logs = ok(&env, &["logs", app, "-p", "worker", "-n", "20"]);
    assert!(
        worker_logs.contains("worker tick"),
        "worker logs: {worker_logs}"
    );

    // config:set restarts the app with the new value.
    ok(&env, &["config:set", app, "BERTH_TEST_MESSAGE=hello-two"]);
    real.wait_http(
        "shop.berth.test",
        "/",
        ROUTE_TIMEOUT,
        "new config served",
        |s, b| s == 200 && b.contains("message=hello-two"),
    );

    // ps:scale web=3: three real pods answer, and the pod the restart made stays (a scale
    // changes only replicas, not the pod template).
    let restarted: Vec<String> = live_pods(client, ns.name(), app, "web")
        .await
        .iter()
        .filter_map(|p| p.metadata.uid.clone())
        .collect();
    assert_eq!(restarted.len(), 1);
    ok(&env, &["ps:scale", app, "web=3"]);
    let scaled = live_pods(client, ns.name(), app, "web").await;
    assert_eq!(scaled.len(), 3);
    assert!(
        scaled
            .iter()
            .any(|p| p.metadata.uid == Some(restarted[0].clone())),
        "ps:scale replaced the running pod"
    );
    // Traefik adds the new endpoints a moment after they are Ready: ask (bounded) until all
    // three have answered, every answer a 200.
    let mut pods_seen = BTreeSet::new();
    let deadline = std::time::Instant::now() + ROUTE_TIMEOUT;
    while pods_seen.len() < 3 && std::time::Instant::now() < deadline {
        let (status, body) = real.get("shop.berth.test", "/").unwrap();
        assert_eq!(status, 200, "{body}");
        pods_seen.insert(field(&body, "pod").to_owned());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(pods_seen.len(), 3, "answers came from {pods_seen:?}");

    // A second domain routes too, from the next deploy on (as in Dokku's k3s scheduler, where the
    // ingress is part of the release); an unknown one does not.
    ok(&env, &["domains:add", app, "www.shop.berth.test"]);
    ok(&env, &["ps:rebuild", app]);
    real.wait_http(
        "www.shop.berth.test",
        "/",
        ROUTE_TIMEOUT,
        "second domain served",
        |s, b| s == 200 && b.contains("process=web"),
    );
    assert_eq!(
        real.get("nobody.berth.test", "/").unwrap().0,
        404,
        "unknown Host is not routed"
    );

    // The app's own request lines are in its logs.
    let logs = ok(&env, &["logs", app, "-p", "web", "-n", "50"]);
    assert!(
        logs.contains("GET / 200 host=www.shop.berth.test"),
        "web logs: {logs}"
    );

    // ps:stop: Traefik no longer reaches the app; ps:start: it answers again.
    ok(&env, &["ps:stop", app]);
    real.wait_http(
        "shop.berth.test",
        "/",
        ROUTE_TIMEOUT,
        "stopped app not reached",
        |s, _| s != 200,
    );
    assert!(live_pods(client, ns.name(), app, "web").await.is_empty());
    ok(&env, &["ps:start", app]);
    real.wait_http(
        "shop.berth.test",
        "/",
        ROUTE_TIMEOUT,
        "started app served",
        |s, b| s == 200 && b.contains("message=hello-two"),
    );
    j.end().await;
}

/// A non-default container port (`http:80:3000`: $PORT is 3000) routes, with the Traefik ingress
/// class (IngressRoutes) as well as the default nginx class (Ingress objects).
#[tokio::test]
async fn container_port_3000_routes_with_both_ingress_classes() {
    let j = Journey::start("e2e-port").await;
    let real = &j.real;
    for (app, class) in [("port-nginx", "nginx"), ("port-traefik", "traefik")] {
        let env = j.app(app);
        ok(
            &env,
            &["scheduler-k3s:set", "--global", "ingress-class", class],
        );
        ok(&env, &["ports:set", app, "http:80:3000"]);
        let host = host(app);
        deploy(&env, app, &real.image("testapp:2"), &[]);
        let body = real.wait_http(
            &host,
            "/",
            ROUTE_TIMEOUT,
            &format!("{class} route"),
            |s, _| s == 200,
        );
        assert_eq!(field(&body, "version"), "2", "{body}");
        let logs = ok(&env, &["logs", app, "-n", "20"]);
        assert!(
            logs.contains("listening on :3000"),
            "the app got PORT=3000: {logs}"
        );
    }
    j.end().await;
}
