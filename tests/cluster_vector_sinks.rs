//! The global log sinks (`logs:set --global vector-sink|vector-cron-sink`) on the Vector chart:
//! the sinks go to a Secret the HelmChart reads as an extra values file (never into the
//! HelmChart itself), a changed sink is an upgrade, an unset one removes the Secret; and Helm
//! itself (the real binary) merges that file over the base values as intended — the console
//! sink gives way, the Prometheus exporter stays, cron logs are routed to their own sink.

mod support;

use std::process::Command;

use berth::crds::helm::HelmChart;
use berth::kube::charts::{ComponentOutcome, EnsureOptions, ensure_components_in};
use berth::model::scheduler_k3s::ChartOverrides;
use berth::model::vector_sink::sink_config;
use berth::render::components::base_values;
use berth::render::vector_sinks::{VECTOR_SINKS_SECRET, VectorSinks, sinks_values};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use serde_json::Value;
use support::{TestNamespace, client};

fn sinks(sink: Option<&str>, cron: Option<&str>) -> Option<VectorSinks> {
    let parse = |d: &str| sink_config(d, &[]).unwrap();
    Some(VectorSinks {
        sink: sink.map(parse),
        cron_sink: cron.map(parse),
        ..VectorSinks::default()
    })
}

fn vector_only(sinks: Option<VectorSinks>) -> EnsureOptions {
    EnsureOptions {
        only: vec!["vector".into()],
        vector_sinks: sinks,
        ..EnsureOptions::default()
    }
}

#[tokio::test]
async fn sinks_reach_the_vector_chart_through_a_secret() {
    let client = client().await;
    let test_ns = TestNamespace::create(&client, "vector-sinks").await;
    let ns = test_ns.name();
    let charts: Api<HelmChart> = Api::namespaced(client.clone(), ns);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    let quiet = |_: &str| {};
    let dsn = "datadog_logs://?api_key=SECRET123&site=datadoghq.eu";

    ensure_components_in(
        &client,
        ns,
        "nginx",
        &ChartOverrides::new(),
        &vector_only(sinks(Some(dsn), None)),
        &quiet,
    )
    .await
    .unwrap();
    let chart = charts.get("vector").await.unwrap();
    assert_eq!(chart.spec.values_secrets.len(), 1);
    assert_eq!(chart.spec.values_secrets[0].name, VECTOR_SINKS_SECRET);
    let key = chart.spec.values_secrets[0].keys[0].clone();
    assert!(
        !serde_json::to_string(&chart).unwrap().contains("SECRET123"),
        "a credential in the HelmChart"
    );
    let secret = secrets.get(VECTOR_SINKS_SECRET).await.unwrap();
    let data = secret.data.unwrap();
    let values = String::from_utf8(data[&key].0.clone()).unwrap();
    assert!(
        values.contains("kubernetes_global_sink") && values.contains("SECRET123"),
        "{values}"
    );

    // Another sink: a new values key, so the HelmChart changes and is upgraded.
    let outcomes = ensure_components_in(
        &client,
        ns,
        "nginx",
        &ChartOverrides::new(),
        &vector_only(sinks(Some("console://?encoding[codec]=json"), None)),
        &quiet,
    )
    .await
    .unwrap();
    assert!(
        matches!(&outcomes[0], ComponentOutcome::Upgraded { release, .. } if release == "vector"),
        "{outcomes:?}"
    );
    let chart = charts.get("vector").await.unwrap();
    let new_key = &chart.spec.values_secrets[0].keys[0];
    assert_ne!(*new_key, key);
    let data = secrets
        .get(VECTOR_SINKS_SECRET)
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        [new_key],
        "the old values file stayed"
    );

    // Unset: the chart no longer reads a Secret, and the Secret is gone.
    ensure_components_in(
        &client,
        ns,
        "nginx",
        &ChartOverrides::new(),
        &vector_only(None),
        &quiet,
    )
    .await
    .unwrap();
    assert!(
        charts
            .get("vector")
            .await
            .unwrap()
            .spec
            .values_secrets
            .is_empty()
    );
    assert!(
        secrets
            .get_opt(VECTOR_SINKS_SECRET)
            .await
            .unwrap()
            .is_none()
    );
    test_ns.cleanup().await;
}

/// The overlay merged by the real Helm over the base values, as k3s's controller passes them
/// (`valuesContent`, then the Secret's file): a chart that renders its `customConfig`.
#[test]
fn helm_merges_the_sinks_over_the_base_values() {
    let helm = std::env::var("BERTH_TEST_HELM").unwrap_or_else(|_| {
        let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-cluster"))
            .arg("helm-bin")
            .output()
            .expect("run scripts/test-cluster helm-bin");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    });
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: show\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: show\ndata:\n  config: {{ toJson .Values.customConfig | quote }}\n",
    )
    .unwrap();
    let rendered = |sinks: &VectorSinks| -> Value {
        let (content, overlay) = sinks_values(base_values("vector"), sinks).unwrap();
        let base = dir.path().join("base.yaml");
        std::fs::write(&base, content).unwrap();
        let file = dir.path().join("sinks.yaml");
        std::fs::write(&file, serde_saphyr::to_string(&overlay).unwrap()).unwrap();
        let out = Command::new(&helm)
            .args(["template", "x"])
            .arg(&chart)
            .arg("-f")
            .arg(&base)
            .arg("-f")
            .arg(&file)
            .output()
            .expect("run helm");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let doc: Value = serde_saphyr::from_str(&text).unwrap();
        serde_json::from_str(doc["data"]["config"].as_str().unwrap()).unwrap()
    };

    let both = sinks(
        Some("http://?uri=https%3A%2F%2Flogs.example.com&encoding[codec]=json"),
        Some("console://?encoding[codec]=text"),
    );
    let config = rendered(&both.unwrap());
    let out = config["sinks"].as_object().unwrap();
    let mut names: Vec<&str> = out.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "kubernetes_cron_sink",
            "kubernetes_global_sink",
            "prom_exporter"
        ]
    );
    assert_eq!(
        out["kubernetes_global_sink"]["uri"],
        "https://logs.example.com"
    );
    assert_eq!(
        out["kubernetes_global_sink"]["inputs"],
        serde_json::json!(["kubernetes_router._unmatched"])
    );
    assert_eq!(
        out["kubernetes_cron_sink"]["inputs"],
        serde_json::json!(["kubernetes_cron_remap"])
    );
    assert_eq!(
        out["prom_exporter"]["inputs"],
        serde_json::json!(["internal_metrics"])
    );
    assert!(
        config["transforms"]["kubernetes_container_logs"].is_object(),
        "base transform kept"
    );
    assert_eq!(config["transforms"]["kubernetes_router"]["type"], "route");

    // An app's own sink takes that app's logs; the global sink gets the rest.
    let mut with_app = sinks(Some("console://?encoding[codec]=json"), None).unwrap();
    with_app.apps.insert(
        "shop".into(),
        sink_config("http://?uri=https%3A%2F%2Fshop.example.com", &[]).unwrap(),
    );
    let config = rendered(&with_app);
    let out = config["sinks"].as_object().unwrap();
    assert_eq!(
        out["kubernetes_app_sink_shop"]["uri"],
        "https://shop.example.com"
    );
    assert_eq!(
        out["kubernetes_app_sink_shop"]["inputs"],
        serde_json::json!(["kubernetes_app_router.app-shop"])
    );
    assert_eq!(
        out["kubernetes_global_sink"]["inputs"],
        serde_json::json!(["kubernetes_app_router._unmatched"])
    );
    assert_eq!(
        config["transforms"]["kubernetes_app_router"]["inputs"],
        serde_json::json!(["kubernetes_container_logs"])
    );

    // Only a cron sink: the console sink stays, fed the non-cron logs.
    let config = rendered(&sinks(None, Some("console://?encoding[codec]=text")).unwrap());
    let console = &config["sinks"]["default_global_sink"];
    assert_eq!(console["type"], "console");
    assert_eq!(console["encoding"]["codec"], "json");
    assert_eq!(
        console["inputs"],
        serde_json::json!(["kubernetes_router._unmatched"])
    );
}
