use super::*;
use serde_json::json;

fn deployment(memory: &str, replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "a-web", "namespace": "apps",
                     "labels": {"app.kubernetes.io/name": "web"}},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [
            {"name": "web", "image": "i:1", "resources": {"limits": {"memory": memory}}}
        ]}}}
    })
}

fn secret(data: &[(&str, &str)]) -> Value {
    let data: Map<String, Value> = data
        .iter()
        .map(|(k, v)| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(v);
            (k.to_string(), Value::String(b64))
        })
        .collect();
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "config-a"}, "data": data})
}

fn text(d: &ObjectDiff) -> String {
    d.lines
        .iter()
        .map(|l| {
            let mark = match l.tag {
                Tag::Same => ' ',
                Tag::Removed => '-',
                Tag::Added => '+',
            };
            format!("{mark} {}\n", l.text)
        })
        .collect()
}

#[test]
fn identical_releases_show_nothing_whatever_the_key_order() {
    let a = deployment("256Mi", 1);
    // The same object with its keys written in another order.
    let mut reordered = Map::new();
    for (k, v) in a.as_object().unwrap().iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    let b = Value::Object(reordered);
    assert!(
        compare(
            std::slice::from_ref(&a),
            std::slice::from_ref(&a),
            "apps",
            SecretView::Redacted
        )
        .is_empty()
    );
    let diffs = compare(&[a], &[b], "apps", SecretView::Redacted);
    assert!(diffs.is_empty(), "{diffs:?}");
}

#[test]
fn a_changed_limit_shows_its_line_and_field() {
    let diffs = compare(
        &[deployment("512Mi", 1)],
        &[deployment("256Mi", 1)],
        "apps",
        SecretView::Redacted,
    );
    assert_eq!(diffs.len(), 1);
    let d = &diffs[0];
    assert_eq!(d.change, Change::Changed);
    assert_eq!(d.key, "apps, a-web, Deployment (apps)");
    assert_eq!(
        d.fields,
        ["spec.template.spec.containers[0].resources.limits.memory"]
    );
    let t = text(d);
    let changed: Vec<&str> = t.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        changed,
        ["-             memory: 512Mi", "+             memory: 256Mi"],
        "{t}"
    );
}

#[test]
fn added_and_removed_objects_in_helm_diff_order() {
    let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a-web"}});
    let worker = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": "a-worker", "namespace": "apps"}});
    let diffs = compare(
        &[deployment("1Gi", 1), worker.clone()],
        &[deployment("1Gi", 2), service],
        "apps",
        SecretView::Redacted,
    );
    let summary: Vec<(Change, &str)> = diffs.iter().map(|d| (d.change, d.key.as_str())).collect();
    assert_eq!(
        summary,
        [
            (Change::Changed, "apps, a-web, Deployment (apps)"),
            (Change::Removed, "apps, a-worker, Deployment (apps)"),
            (Change::Added, "apps, a-web, Service (v1)"),
        ]
    );
    assert_eq!(diffs[0].fields, ["spec.replicas"]);
    assert!(diffs[2].lines.iter().all(|l| l.tag == Tag::Added));
    assert!(diffs[1].lines.iter().all(|l| l.tag == Tag::Removed));
    // Never deployed: everything is added.
    let fresh = compare(&[], &[worker], "apps", SecretView::Redacted);
    assert_eq!(fresh[0].change, Change::Added);
}

#[test]
fn secret_values_are_redacted_unless_asked() {
    let old = secret(&[("KEEP", "same"), ("PASSWORD", "hunter2")]);
    let new = secret(&[("KEEP", "same"), ("PASSWORD", "correct horse")]);
    let d = &compare(
        std::slice::from_ref(&old),
        std::slice::from_ref(&new),
        "apps",
        SecretView::Redacted,
    )[0];
    let t = text(d);
    assert!(
        !t.contains("hunter2") && !t.contains("correct horse"),
        "{t}"
    );
    assert!(!t.contains("aHVudGVyMg"), "no base64 either: {t}");
    assert!(
        t.contains("KEEP: 'REDACTED # (4 bytes)'") || t.contains("KEEP: \"REDACTED # (4 bytes)\""),
        "{t}"
    );
    assert!(t.contains("-------- # (7 bytes)"), "{t}");
    assert!(t.contains("++++++++ # (13 bytes)"), "{t}");
    assert_eq!(d.fields, ["data.PASSWORD"]);
    let decoded = text(
        &compare(
            std::slice::from_ref(&old),
            std::slice::from_ref(&new),
            "apps",
            SecretView::Decoded,
        )[0],
    );
    assert!(
        decoded.contains("hunter2") && decoded.contains("correct horse"),
        "{decoded}"
    );
    let b64 = text(&compare(&[old], &[new], "apps", SecretView::Base64)[0]);
    assert!(b64.contains("aHVudGVyMg=="), "{b64}");
    // stringData counts as data.
    let plain = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                       "stringData": {"K": "v"}});
    let t = text(&compare(&[], &[plain], "apps", SecretView::Redacted)[0]);
    assert!(
        t.contains("++++++++ # (1 bytes)") && !t.contains("stringData"),
        "{t}"
    );
}

#[test]
fn context_elides_far_lines() {
    let line = |tag, text: &str| DiffLine {
        tag,
        text: text.into(),
    };
    let lines: Vec<DiffLine> = (0..10)
        .map(|i| line(if i == 5 { Tag::Added } else { Tag::Same }, &i.to_string()))
        .collect();
    let shown = |c| {
        with_context(&lines, c)
            .iter()
            .map(|l| l.map_or("...".to_string(), |l| l.text.clone()))
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(shown(Some(1)), "...,4,5,6,...");
    assert_eq!(shown(Some(0)), "...,5,...");
    assert_eq!(shown(Some(3)), "...,2,3,4,5,6,7,8,...");
    assert_eq!(shown(None), "0,1,2,3,4,5,6,7,8,9");
    assert_eq!(shown(Some(20)), "0,1,2,3,4,5,6,7,8,9");
}

#[test]
fn field_paths_quote_keys_that_are_not_plain() {
    let mut out = Vec::new();
    changed_paths(
        &json!({"metadata": {"annotations": {"app.kubernetes.io/version": "1"}}}),
        &json!({"metadata": {"annotations": {"app.kubernetes.io/version": "2"}}, "x": [1]}),
        String::new(),
        &mut out,
    );
    assert_eq!(
        out,
        ["metadata.annotations[\"app.kubernetes.io/version\"]", "x"]
    );
}
