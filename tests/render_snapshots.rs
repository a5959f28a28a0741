//! insta snapshots of the full rendered output of representative apps. Each snapshot is the exact
//! `deploy --dry-run` YAML; review changes against the reference (scheduler-k3s-behaviour.md §5).

mod support;

use berth::render::to_yaml;

#[test]
fn snapshots() {
    for example in support::render::examples() {
        let yaml = to_yaml(&example.manifests());
        insta::assert_snapshot!(example.name, yaml);
    }
}

#[test]
fn values_snapshots() {
    for example in support::render::examples().into_iter().filter(|e| {
        [
            "web_worker_cron",
            "autoscaling",
            "letsencrypt_staging_traefik",
        ]
        .contains(&e.name)
    }) {
        let values = berth::render::values(&example.release());
        let text = serde_json::to_string(&values).unwrap();
        assert!(
            !text.contains("postgres://") && !text.contains("some-value"),
            "a secret leaked into values"
        );
        insta::assert_json_snapshot!(format!("values_{}", example.name), values);
    }
}

/// The printed YAML reads back as exactly the objects (quoting of `"on"`, `"true"`, numbers-as-strings
/// and multi-line snippets survives), so `deploy --dry-run | kubectl apply -f -` applies what was rendered.
#[test]
fn yaml_output_round_trips() {
    for example in support::render::examples() {
        let manifests = example.manifests();
        let parsed: Vec<serde_json::Value> =
            serde_saphyr::from_str_multiple(&to_yaml(&manifests)).expect("YAML parses");
        let expected: Vec<serde_json::Value> = manifests.iter().map(|m| m.to_value()).collect();
        assert_eq!(parsed, expected, "{}", example.name);
        let json: serde_json::Value =
            serde_json::from_str(&berth::render::to_json(&manifests)).expect("JSON parses");
        assert_eq!(
            json["items"].as_array().unwrap(),
            &expected,
            "{}",
            example.name
        );
    }
}
