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
