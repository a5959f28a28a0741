//! Every object of every snapshot app, sent to the REAL kube-apiserver of the local control plane
//! (with the real Traefik, cert-manager and KEDA CRDs installed) by server-side apply with
//! `dryRun=All` and strict field validation: unknown fields, wrong types, bad enum values and
//! CEL rules are all rejected there. A deliberately corrupted object proves the check can fail.
//!
//! Needs `BERTH_TEST_KUBECONFIG` (`set -a; . /tmp/berth-dev-cluster/env; set +a`); fails loudly
//! when the control plane is not up.

mod deploy_support;
mod render_support;

use berth::render::Manifest;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery;
use serde_json::{Value, json};

/// Delete the test namespace now (the guard's Drop only schedules it on a runtime that is ending).
async fn delete_namespace(client: &kube::Client, ns: &str) {
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let _ = api.delete(ns, &Default::default()).await;
}

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
    let client = deploy_support::client().await;
    let ns = deploy_support::TestNamespace::new(&client, "render").await;
    let mut failures = Vec::new();
    let mut count = 0;
    for example in render_support::examples() {
        for manifest in example.manifests() {
            count += 1;
            if let Err(e) = dry_run_apply(&client, &ns.name, manifest.to_value()).await {
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
    delete_namespace(&client, &ns.name).await;
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
    let client = deploy_support::client().await;
    let ns = deploy_support::TestNamespace::new(&client, "render-bad").await;
    let examples = render_support::examples();
    let by_name = |n: &str| {
        examples
            .iter()
            .find(|e| e.name == n)
            .unwrap_or_else(|| panic!("no example {n}"))
            .manifests()
    };

    // Built-in kind, value out of range.
    let mut service = find(&by_name("web_only"), "Service");
    dry_run_apply(&client, &ns.name, service.clone())
        .await
        .expect("the uncorrupted Service is accepted");
    service["spec"]["ports"][0]["port"] = json!(70000);
    let err = dry_run_apply(&client, &ns.name, service).await.unwrap_err();
    assert!(err.contains("spec.ports[0].port"), "{err}");

    // Built-in kind, unknown field (strict validation).
    let mut deployment = find(&by_name("web_only"), "Deployment");
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = json!("Always");
    let err = dry_run_apply(&client, &ns.name, deployment)
        .await
        .unwrap_err();
    assert!(err.contains("imagePullPolcy"), "{err}");

    // CRD kinds: a wrong type and an unknown field are rejected by the installed CRD schemas.
    let mut route = find(&by_name("multiple_domains"), "IngressRoute");
    route["spec"]["routes"][0]["priority"] = json!("first");
    let err = dry_run_apply(&client, &ns.name, route).await.unwrap_err();
    assert!(err.contains("priority"), "{err}");
    let mut scaled = find(&by_name("autoscaling"), "ScaledObject");
    scaled["spec"]["scaleTargetRef"]["nmae"] = json!("typo");
    let err = dry_run_apply(&client, &ns.name, scaled).await.unwrap_err();
    assert!(err.contains("nmae"), "{err}");
    delete_namespace(&client, &ns.name).await;
}
