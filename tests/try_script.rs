//! `scripts/try`, the README's one command, run as a newcomer would: against the running local
//! cluster (it reuses one), the sample app answers through the real ingress with its config,
//! its app.json formation is the stored scale, and `scripts/try down` removes what it made while
//! leaving a cluster it did not start running.

mod support;

use std::process::Command;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use support::client;

#[tokio::test]
async fn try_deploys_the_sample_app_and_down_removes_it() {
    let real = support::real::RealNode::from_env();
    let client = client().await;
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let try_dir = dir.path().join("try");
    let run = |arg: &str| {
        Command::new(format!("{root}/scripts/try"))
            .arg(arg)
            .env("BERTH_TRY_DIR", &try_dir)
            .output()
            .expect("scripts/try runs")
    };

    let out = run("up");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "scripts/try failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("reusing the running cluster"), "{stdout}");
    assert!(
        stdout.contains("-> process=web version=1 release= message=hello from berth"),
        "the printed answer: {stdout}"
    );
    // The curl line it prints answers, through the ingress.
    let (status, body) = real.get("hello.example.com", "/").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("message=hello from berth"), "{body}");
    // The app.json formation became the app's scale.
    let scale = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["ps:scale", "hello"])
        .env("BERTH_HOME", try_dir.join("home"))
        .output()
        .unwrap();
    let scale = String::from_utf8_lossy(&scale.stdout);
    assert!(
        scale.contains("web:  2") && scale.contains("worker: 1"),
        "{scale}"
    );

    let out = run("down");
    assert!(out.status.success(), "{out:?}");
    assert!(
        !try_dir.exists(),
        "scripts/try down left {}",
        try_dir.display()
    );
    let namespaces: Api<Namespace> = Api::all(client.clone());
    assert!(
        namespaces.get_opt("berth-try").await.unwrap().is_none(),
        "namespace berth-try is left"
    );
    // The cluster it reused still answers.
    assert!(namespaces.get_opt("default").await.unwrap().is_some());
}
