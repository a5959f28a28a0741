//! insta snapshots of the cluster components (k3s HelmCharts, reference §4.1): the exact objects
//! `scheduler-k3s:ensure-charts` applies, per ingress class, with and without chart overrides.

use berth::model::scheduler_k3s::ChartOverrides;
use berth::render::components::component_charts;

fn yaml(ingress_class: &str, overrides: &ChartOverrides) -> String {
    let values: Vec<serde_json::Value> = component_charts(ingress_class, overrides)
        .iter()
        .map(|c| serde_json::to_value(c).expect("HelmChart serialises"))
        .collect();
    // The layout `deploy --dry-run` uses: long lines unfolded, multi-line values as `|` blocks.
    let options = serde_saphyr::ser_options! { folded_wrap_chars: 1_000_000 };
    serde_saphyr::to_string_multiple_with_options(&values, options).expect("YAML")
}

fn overrides() -> ChartOverrides {
    let mut o = ChartOverrides::new();
    o.entry("traefik".into())
        .or_default()
        .insert("deployment.replicas".into(), "2".into());
    o.entry("traefik".into())
        .or_default()
        .insert("service.annotations.example\\.com/lb".into(), "a,b".into());
    o.entry("ingress-nginx".into())
        .or_default()
        .insert("controller.replicaCount".into(), "3".into());
    o.entry("vector".into())
        .or_default()
        .insert("podMonitor.enabled".into(), "true".into());
    o.entry("vector".into())
        .or_default()
        .insert("image.tag".into(), "0.45.0-debian".into());
    o
}

#[test]
fn nginx() {
    insta::assert_snapshot!("components_nginx", yaml("nginx", &ChartOverrides::new()));
}

#[test]
fn traefik() {
    insta::assert_snapshot!(
        "components_traefik",
        yaml("traefik", &ChartOverrides::new())
    );
}

#[test]
fn nginx_with_overrides() {
    insta::assert_snapshot!("components_nginx_overrides", yaml("nginx", &overrides()));
}

#[test]
fn traefik_with_overrides() {
    insta::assert_snapshot!(
        "components_traefik_overrides",
        yaml("traefik", &overrides())
    );
}

/// The YAML reads back as the same objects (values content and typed overrides survive).
#[test]
fn yaml_round_trips() {
    for class in ["nginx", "traefik"] {
        let charts = component_charts(class, &overrides());
        let parsed: Vec<berth::crds::helm::HelmChart> =
            serde_saphyr::from_str_multiple(&yaml(class, &overrides())).expect("YAML parses");
        assert_eq!(parsed, charts, "{class}");
    }
}
