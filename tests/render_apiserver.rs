//! Every object of every snapshot app, sent to the REAL kube-apiserver of the local control plane
//! (with the real Traefik, cert-manager and KEDA CRDs installed) by server-side apply with
//! `dryRun=All` and strict field validation: unknown fields, wrong types, bad enum values and
//! CEL rules are all rejected there. A deliberately corrupted object proves the check can fail.
//!
//! Needs `BERTH_TEST_KUBECONFIG` (`set -a; . "$(scripts/test-cluster env-file)"; set +a`); fails loudly
//! when the control plane is not up.

mod support;

use berth::render::Manifest;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery;
use serde_json::{Value, json};

/// Server-side apply `obj` with dryRun=All and strict validation, into `ns` when namespaced.
async fn dry_run_apply(client: &kube::Client, ns: &str, mut obj: Value) -> Result<(), String> {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_owned();
    let kind = obj["kind"].as_str().unwrap_or_default().to_owned();
    let name = obj["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let gvk = match api_version.split_once('/') {
        Some((g, v)) => GroupVersionKind::gvk(g, v, &kind),
        None => GroupVersionKind::gvk("", &api_version, &kind),
    };
    let (resource, caps) = discovery::pinned_kind(client, &gvk)
        .await
        .map_err(|e| format!("{api_version} {kind} is not served by the test cluster: {e}"))?;
    let api: Api<DynamicObject> = if caps.scope == discovery::Scope::Namespaced {
        // Every namespaced object goes into the test's namespace, whatever the app's namespace is.
        obj["metadata"]["namespace"] = json!(ns);
        Api::namespaced_with(client.clone(), ns, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    };
    let params = PatchParams::apply("berth").dry_run().validation_strict();
    api.patch(&name, &params, &Patch::Apply(&obj))
        .await
        .map(|_| ())
        .map_err(|e| format!("{kind} {name}: {e}"))
}

#[tokio::test]
async fn every_snapshot_object_is_accepted_by_the_api_server() {
    let client = support::client().await;
    let ns = support::TestNamespace::create(&client, "render").await;
    let mut failures = Vec::new();
    let mut count = 0;
    for example in support::render::examples() {
        for manifest in example.manifests() {
            count += 1;
            if let Err(e) = dry_run_apply(&client, ns.name(), manifest.to_value()).await {
                failures.push(format!("{}: {e}", example.name));
            }
        }
    }
    assert!(count > 100, "only {count} objects rendered");
    assert!(
        failures.is_empty(),
        "the API server rejected {} of {count} objects:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("the API server accepted all {count} objects");
    ns.cleanup().await;
}

fn find(manifests: &[Manifest], kind: &str) -> Value {
    manifests
        .iter()
        .find(|m| m.kind() == kind)
        .unwrap_or_else(|| panic!("no {kind} rendered"))
        .to_value()
}

#[tokio::test]
async fn corrupted_objects_are_rejected() {
    let client = support::client().await;
    let ns = support::TestNamespace::create(&client, "render-bad").await;
    let examples = support::render::examples();
    let by_name = |n: &str| {
        examples
            .iter()
            .find(|e| e.name == n)
            .unwrap_or_else(|| panic!("no example {n}"))
            .manifests()
    };

    // Built-in kind, value out of range.
    let mut service = find(&by_name("web_only"), "Service");
    dry_run_apply(&client, ns.name(), service.clone())
        .await
        .expect("the uncorrupted Service is accepted");
    service["spec"]["ports"][0]["port"] = json!(70000);
    let err = dry_run_apply(&client, ns.name(), service)
        .await
        .unwrap_err();
    assert!(err.contains("spec.ports[0].port"), "{err}");

    // Built-in kind, unknown field (strict validation).
    let mut deployment = find(&by_name("web_only"), "Deployment");
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = json!("Always");
    let err = dry_run_apply(&client, ns.name(), deployment)
        .await
        .unwrap_err();
    assert!(err.contains("imagePullPolcy"), "{err}");

    // CRD kinds: a wrong type and an unknown field are rejected by the installed CRD schemas.
    let mut route = find(&by_name("multiple_domains"), "IngressRoute");
    route["spec"]["routes"][0]["priority"] = json!("first");
    let err = dry_run_apply(&client, ns.name(), route).await.unwrap_err();
    assert!(err.contains("priority"), "{err}");
    let mut scaled = find(&by_name("autoscaling"), "ScaledObject");
    scaled["spec"]["scaleTargetRef"]["nmae"] = json!("typo");
    let err = dry_run_apply(&client, ns.name(), scaled).await.unwrap_err();
    assert!(err.contains("nmae"), "{err}");
    ns.cleanup().await;
}

/// The `berth deploy --dry-run` output of an app configured through berth's own commands is
/// accepted as a whole by the API server, for both ingress classes.
#[tokio::test]
async fn deploy_dry_run_output_is_accepted() {
    let client = support::client().await;
    let ns = support::TestNamespace::create(&client, "render-cli").await;
    for class in ["nginx", "traefik"] {
        let env = support::BerthEnv::new();
        let dir = env.home().to_owned();
        let procfile = dir.join("Procfile");
        std::fs::write(
            &procfile,
            "web: ./web --port $PORT\nworker: ./worker\nrelease: ./migrate\n",
        )
        .unwrap();
        let app_json = dir.join("app.json");
        std::fs::write(
            &app_json,
            r#"{"cron":[{"command":"./nightly --all","schedule":"0 3 * * *"}],
                "healthchecks":{"web":[{"type":"readiness","path":"/ready","attempts":3}]},
                "formation":{"worker":{"autoscaling":{"max_quantity":4,
                  "triggers":[{"type":"cpu","metadata":{"type":"Utilization","value":"60"}}]}}}}"#,
        )
        .unwrap();
        let run = |args: &[&str]| {
            let out = env.cmd().args(args).output().expect("run berth");
            assert!(
                out.status.success(),
                "berth {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).expect("utf-8")
        };
        run(&["apps:create", "cli-app"]);
        run(&["config:set", "cli-app", "GREETING=on", "COUNT=007"]);
        run(&[
            "domains:add",
            "cli-app",
            "cli.example.com",
            "*.cli.example.com",
        ]);
        run(&["scheduler-k3s:set", "cli-app", "namespace", ns.name()]);
        run(&["scheduler-k3s:set", "--global", "ingress-class", class]);
        run(&[
            "scheduler-k3s:set",
            "--global",
            "letsencrypt-email-prod",
            "ops@example.com",
        ]);
        let yaml = run(&[
            "deploy",
            "cli-app",
            "--image",
            "registry.example.com/cli-app:1",
            "--dry-run",
            "--show-secrets",
            "--procfile",
            procfile.to_str().unwrap(),
            "--app-json",
            app_json.to_str().unwrap(),
        ]);
        let docs: Vec<Value> =
            serde_saphyr::from_str_multiple(&yaml).expect("dry-run output parses");
        assert!(docs.len() >= 9, "{class}: only {} objects", docs.len());
        for doc in docs {
            let what = format!("{class}: {} {}", doc["kind"], doc["metadata"]["name"]);
            dry_run_apply(&client, ns.name(), doc)
                .await
                .unwrap_or_else(|e| panic!("{what} rejected: {e}"));
        }
    }
    ns.cleanup().await;
}
