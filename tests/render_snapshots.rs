//! insta snapshots of the full rendered output of representative apps. Each snapshot is the exact
//! `deploy --dry-run` YAML; review changes against the reference (scheduler-k3s-behaviour.md §5).

mod render_support;

use berth::render::to_yaml;

#[test]
fn snapshots() {
    for example in render_support::examples() {
        let yaml = to_yaml(&example.manifests());
        insta::assert_snapshot!(example.name, yaml);
    }
}

#[test]
fn values_snapshots() {
    for example in render_support::examples().into_iter().filter(|e| {
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
