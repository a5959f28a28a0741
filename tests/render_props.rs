//! Property tests of render over random valid releases: names are valid DNS-1123 names within
//! Kubernetes' limits (long app + process names shortened deterministically, never colliding),
//! every label key/value is valid, and rendering is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use berth::model::app_json::AppJson;
use berth::model::names::is_dns1123_label;
use berth::model::procfile::Procfile;
use berth::model::release::{
    IngressClass, LetsencryptServer, MetaScope, Release, ReleaseInputs, UserMeta,
};
use berth::render::{Manifest, render, to_yaml};
use proptest::prelude::*;
use serde_json::Value;

fn label_name() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?"
}

fn process_name() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9-]{0,30}[a-z0-9])?"
}

fn domain() -> impl Strategy<Value = berth::model::domain::Domain> {
    (
        "(\\*\\.)?",
        "[a-z][a-z0-9-]{0,20}[a-z0-9](\\.[a-z][a-z0-9]{0,25}){1,4}",
    )
        .prop_map(|(w, d)| {
            format!("{w}{d}")
                .parse()
                .expect("the pattern makes valid domains")
        })
}

prop_compose! {
    fn inputs()(
        app in label_name(),
        mut procs in prop::collection::btree_set(process_name(), 1..4),
        with_web in any::<bool>(),
        domains in prop::collection::vec(domain(), 0..4),
        container_ports in prop::collection::btree_set(1u16..65535, 1..3),
        namespace in prop::option::of("[a-z][a-z0-9-]{0,20}[a-z0-9]"),
        traefik in any::<bool>(),
        tls in 0u8..4,
        crons in prop::collection::vec(("[a-z./ -]{1,40}", 0usize..3), 0..3),
        auth_types in prop::collection::btree_set("[a-z][a-z0-9-]{0,40}[a-z0-9]", 0..3),
        scale in 0u32..5,
        autoscale in any::<bool>(),
        label_value in "([a-zA-Z0-9]([a-zA-Z0-9_.-]{0,40}[a-zA-Z0-9])?)?",
    ) -> ReleaseInputs {
        if with_web {
            procs.insert("web".into());
        }
        let procfile_text: String = procs.iter().map(|p| format!("{p}: ./run {p} --port $PORT\n")).collect();
        let schedules = ["@daily", "*/5 * * * *", "0 3 * * 1-5"];
        let cron: Vec<Value> = crons
            .iter()
            .map(|(cmd, s)| serde_json::json!({"command": format!("x{cmd}"), "schedule": schedules[*s]}))
            .collect();
        let mut formation = serde_json::Map::new();
        if autoscale {
            for (i, p) in procs.iter().enumerate() {
                let kind = auth_types.iter().next().cloned().unwrap_or_else(|| "prometheus".into());
                formation.insert(p.clone(), serde_json::json!({"autoscaling": {
                    "min_quantity": 1, "max_quantity": 3 + i,
                    "triggers": [
                        {"type": "cpu", "metadata": {"value": "50"}},
                        {"type": kind, "metadata": {"query": "[[ .DEPLOYMENT_NAME ]]"}}
                    ]}}));
            }
        }
        let app_json = AppJson::parse(&serde_json::json!({"cron": cron, "formation": formation}).to_string())
            .expect("generated app.json parses");
        let mut labels = UserMeta::default();
        for rt in ["deployment", "pod", "service", "ingress", "cronjob", "secret", "serviceaccount", "traefik_ingressroute", "certificate"] {
            labels.insert(MetaScope::App, rt, "example.com/x", &label_value);
        }
        let mut trigger_auth = BTreeMap::new();
        for t in &auth_types {
            trigger_auth.insert(t.clone(), BTreeMap::from([("key".to_owned(), "v".to_owned())]));
        }
        ReleaseInputs {
            app: Some(app.parse().expect("generated app name")),
            image: "registry.example.com/app:1".into(),
            deployment_id: "1764050000".into(),
            procfile: Some(Procfile::parse(&procfile_text).expect("generated Procfile")),
            app_json,
            scale: procs.iter().map(|p| (p.parse().unwrap(), scale)).collect(),
            ports: container_ports
                .iter()
                .enumerate()
                .map(|(i, c)| berth::model::PortMapping {
                    scheme: berth::model::PortScheme::Http,
                    host_port: 80 + i as u16,
                    container_port: *c,
                })
                .collect(),
            domains,
            namespace,
            ingress_class: if traefik { IngressClass::Traefik } else { IngressClass::Nginx },
            letsencrypt_email_prod_global: (tls == 1).then(|| "ops@example.com".into()),
            letsencrypt_email_stag_app: (tls == 2).then(|| "dev@example.com".into()),
            letsencrypt_server: if tls == 2 { LetsencryptServer::Stag } else { LetsencryptServer::Prod },
            imported_tls: (tls == 3).then(|| berth::model::certificate::ImportedTls {
                crt: "crt".into(),
                key: "key".into(),
            }),
            labels,
            trigger_auth,
            ..ReleaseInputs::default()
        }
    }
}

/// Kubernetes' IsDNS1123Subdomain: at most 253 chars of dot-separated `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
/// parts (no per-part length limit, unlike a DNS hostname).
fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !p.starts_with('-')
                && !p.ends_with('-')
        })
}

fn is_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && v.as_bytes()[0].is_ascii_alphanumeric()
            && v.as_bytes()[v.len() - 1].is_ascii_alphanumeric())
}

fn is_qualified_key(k: &str) -> bool {
    let (prefix, name) = k.rsplit_once('/').map_or((None, k), |(p, n)| (Some(p), n));
    prefix.is_none_or(is_dns1123_subdomain) && !name.is_empty() && is_label_value(name)
}

/// Every `labels` map anywhere in the object (metadata, templates, selectors).
fn label_maps<'a>(v: &'a Value, out: &mut Vec<&'a serde_json::Map<String, Value>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if (k == "labels" || k == "matchLabels" || k == "selector")
                    && let Some(obj) = child.as_object()
                    && obj.values().all(Value::is_string)
                {
                    out.push(obj);
                }
                label_maps(child, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| label_maps(c, out)),
        _ => {}
    }
}

fn check(manifests: &[Manifest]) -> Result<(), TestCaseError> {
    let mut seen = BTreeSet::new();
    for m in manifests {
        let name = m.name();
        let kind = m.kind();
        let max = match kind.as_str() {
            "Deployment" | "Service" | "Job" => 63,
            "CronJob" => 52,
            _ => 253,
        };
        prop_assert!(name.len() <= max, "{kind} name {name:?} longer than {max}");
        prop_assert!(is_dns1123_subdomain(&name), "{kind} name {name:?} invalid");
        if max == 63 {
            prop_assert!(
                is_dns1123_label(&name),
                "{kind} name {name:?} not a DNS label"
            );
        }
        if kind == "Service" {
            prop_assert!(
                name.starts_with(|c: char| c.is_ascii_lowercase()),
                "Service {name:?} must start with a letter"
            );
        }
        prop_assert!(
            seen.insert((kind.clone(), m.namespace(), name.clone())),
            "two objects named {kind} {name}"
        );
        let v = m.to_value();
        let mut maps = Vec::new();
        label_maps(&v, &mut maps);
        for map in maps {
            for (k, val) in map {
                prop_assert!(
                    is_qualified_key(k),
                    "{kind} {name}: label key {k:?} invalid"
                );
                let val = val.as_str().unwrap_or_default();
                prop_assert!(
                    is_label_value(val),
                    "{kind} {name}: label {k}={val:?} invalid"
                );
            }
        }
        for c in v
            .pointer("/spec/template/spec/containers")
            .or_else(|| v.pointer("/spec/jobTemplate/spec/template/spec/containers"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let cname = c["name"].as_str().unwrap_or_default();
            prop_assert!(is_dns1123_label(cname), "container name {cname:?}");
            for p in c["ports"].as_array().into_iter().flatten() {
                let pname = p["name"].as_str().unwrap_or_default();
                prop_assert!(
                    pname.len() <= 15 && pname.bytes().any(|b| b.is_ascii_lowercase()),
                    "port name {pname:?}"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn names_and_labels_are_valid_and_render_is_deterministic(i in inputs()) {
        let release = match Release::build(i.clone()) {
            Ok(r) => r,
            // Inputs the builder rejects (e.g. two ports both needing https:443) are not renderable.
            Err(e) => return Err(TestCaseError::reject(format!("rejected: {e}"))),
        };
        let first = render(&release);
        check(&first)?;
        let again = render(&Release::build(i).expect("same inputs build again"));
        prop_assert_eq!(to_yaml(&first), to_yaml(&again));
    }
}

#[test]
fn long_names_are_shortened_without_collisions() {
    let app = "a".repeat(48);
    let procs: Vec<String> = (0..20)
        .map(|i| format!("{}{i:02}", "p".repeat(30)))
        .collect();
    let text: String = procs.iter().map(|p| format!("{p}: ./x\n")).collect();
    let inputs = ReleaseInputs {
        app: Some(app.parse().unwrap()),
        image: "img:1".into(),
        deployment_id: "1".into(),
        procfile: Some(Procfile::parse(&text).unwrap()),
        app_json: AppJson::parse(
            r#"{"cron":[{"command":"a","schedule":"@daily"},{"command":"b","schedule":"@daily"}]}"#,
        )
        .unwrap(),
        ..ReleaseInputs::default()
    };
    let manifests = render(&Release::build(inputs).unwrap());
    let names: BTreeSet<String> = manifests
        .iter()
        .filter(|m| m.kind() == "Deployment")
        .map(|m| m.name())
        .collect();
    assert_eq!(names.len(), 20, "{names:?}");
    assert!(names.iter().all(|n| n.len() <= 63 && is_dns1123_label(n)));
    check(&manifests).unwrap();
}

/// Arbitrary JSON whose object keys are mostly the ones app.json parsing looks at.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("formation".to_owned()),
        Just("web".to_owned()),
        Just("quantity".to_owned()),
        Just("autoscaling".to_owned()),
        Just("triggers".to_owned()),
        Just("metadata".to_owned()),
        Just("min_quantity".to_owned()),
        Just("max_quantity".to_owned()),
        Just("cron".to_owned()),
        Just("command".to_owned()),
        Just("schedule".to_owned()),
        Just("healthchecks".to_owned()),
        Just("httpHeaders".to_owned()),
        Just("type".to_owned()),
        Just("port".to_owned()),
        Just("scripts".to_owned()),
        Just("dokku".to_owned()),
        "[a-z]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// User input never panics the parsers: it parses or yields a one-line error.
    #[test]
    fn parsers_never_panic(text in ".{0,200}", json in arb_json()) {
        for input in [text.clone(), json.to_string()] {
            if let Err(e) = AppJson::parse(&input) {
                prop_assert!(!e.to_string().contains('\n'), "multi-line error {e}");
            }
        }
        if let Err(e) = Procfile::parse(&text) {
            prop_assert!(!e.to_string().contains('\n'), "multi-line error {e}");
        }
        // Whatever app.json parses must also build (or be rejected in one line), never panic.
        if let Ok(app_json) = AppJson::parse(&json.to_string()) {
            let inputs = ReleaseInputs {
                app: Some("app".parse().unwrap()),
                image: "img:1".into(),
                deployment_id: "1".into(),
                app_json,
                ..ReleaseInputs::default()
            };
            if let Ok(r) = Release::build(inputs) {
                let _ = render(&r);
            }
        }
    }
}
