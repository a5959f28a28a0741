//! Random app names, keys and values never panic: each is either rejected with a one-line error
//! or accepted and read back identically (through the store, and through the real binary).

mod support;

use berth::model::env::{EnvMap, parse_env_pair};
use berth::model::meta::{
    MetaKind, ResourceType, UserMeta, validate_label_value, validate_meta_key,
};
use berth::model::properties::SCHEDULER_K3S_PROPERTIES;
use berth::model::{AppName, CpuQuantity, Domain, MemoryQuantity, PortMapping};
use berth::store::{Scope, Secrecy, Store, docs};
use proptest::prelude::*;
use support::cli::Env;

/// Strings biased towards the interesting alphabet: name characters, separators, unicode,
/// control characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{0,60}",
        "[A-Za-z0-9_.:/=*@ -]{0,80}",
        "\\PC{0,40}",
        any::<String>(),
    ]
}

fn one_line(msg: &str) {
    assert!(
        !msg.is_empty() && !msg.contains('\n'),
        "error is not one line: {msg:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn app_names_round_trip_through_the_store(name in text()) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        match name.parse::<AppName>() {
            Err(e) => one_line(&e.to_string()),
            Ok(app) => {
                prop_assert_eq!(app.as_str(), name.as_str());
                let lock = store.lock(&Scope::App(app.clone()), "proptest").unwrap();
                store.create_app(&lock).unwrap();
                prop_assert_eq!(store.list_apps().unwrap(), vec![app.clone()]);
                prop_assert!(store.app_exists(&app));
            }
        }
    }

    #[test]
    fn env_pairs_round_trip(key in text(), value in text()) {
        // `KEY=VALUE` splits at the first '='; a key holding one is a different pair.
        prop_assume!(!key.contains('='));
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        match parse_env_pair(&format!("{key}={value}")) {
            Err(e) => one_line(&e.to_string()),
            Ok((k, v)) => {
                prop_assert_eq!(&k, &key);
                prop_assert_eq!(&v, &value);
                let lock = store.lock(&Scope::Global, "proptest").unwrap();
                lock.update_json(docs::CONFIG, |env: &mut EnvMap| {
                    env.insert(k.clone(), v.clone());
                    Ok::<_, berth::store::StoreError>(())
                }).unwrap();
                let back: EnvMap = store.read_json(&Scope::Global, docs::CONFIG).unwrap();
                prop_assert_eq!(back.get(&key), Some(&value));
            }
        }
    }

    #[test]
    fn property_values_round_trip(index in 0..SCHEDULER_K3S_PROPERTIES.len(), value in text()) {
        let def = &SCHEDULER_K3S_PROPERTIES[index];
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        match def.validate(&value) {
            Err(e) => {
                one_line(&e.to_string());
                let prefix = format!("Invalid {}", def.name);
                prop_assert!(e.to_string().starts_with(&prefix), "{}", e);
            }
            Ok(stored) => {
                // Normalisation is idempotent: the stored form validates to itself.
                prop_assert_eq!(def.validate(&stored).unwrap(), stored.clone());
                let lock = store.lock(&Scope::Global, "proptest").unwrap();
                lock.set_property("scheduler-k3s", def.name, Some(&stored), Secrecy::Public).unwrap();
                prop_assert_eq!(store.property(&Scope::Global, "scheduler-k3s", def.name).unwrap(), Some(stored));
            }
        }
    }

    #[test]
    fn annotation_and_label_entries_round_trip(key in text(), value in text(), label in any::<bool>()) {
        let kind = if label { MetaKind::Label } else { MetaKind::Annotation };
        let valid = validate_meta_key(&key, kind).and_then(|_| if label { validate_label_value(&value) } else { Ok(()) });
        match valid {
            Err(e) => one_line(&e.to_string()),
            Ok(()) => {
                let dir = tempfile::tempdir().unwrap();
                let store = Store::at(dir.path());
                let lock = store.lock(&Scope::Global, "proptest").unwrap();
                lock.update_json(docs::LABELS, |m: &mut UserMeta| {
                    m.set(Some("web"), ResourceType::Pod, &key, Some(&value));
                    Ok::<_, berth::store::StoreError>(())
                }).unwrap();
                let back = store.labels(&Scope::Global).unwrap().for_resource(Some("web"), ResourceType::Pod);
                prop_assert_eq!(back.get(&key), Some(&value));
            }
        }
    }

    #[test]
    fn value_parsers_never_panic_and_print_what_they_parse(s in text()) {
        if let Ok(d) = s.parse::<Domain>() { prop_assert_eq!(d.as_str().parse::<Domain>().unwrap(), d); }
        if let Ok(p) = s.parse::<PortMapping>() { prop_assert_eq!(p.to_string().parse::<PortMapping>().unwrap(), p); }
        if let Ok(c) = s.parse::<CpuQuantity>() { prop_assert_eq!(c.to_string().parse::<CpuQuantity>().unwrap().millicores, c.millicores); }
        if let Ok(m) = s.parse::<MemoryQuantity>() { prop_assert_eq!(m.to_string().parse::<MemoryQuantity>().unwrap().bytes, m.bytes); }
        for r in [s.parse::<Domain>().err(), s.parse::<PortMapping>().err(), s.parse::<CpuQuantity>().err(), s.parse::<MemoryQuantity>().err()].into_iter().flatten() {
            one_line(&r.to_string());
        }
    }
}

proptest! {
    // Each case runs the binary a few times; fewer cases keep this under a few seconds.
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn through_the_binary_values_are_accepted_and_read_back_or_rejected(
        name in "[a-z0-9-]{0,50}|\\PC{0,20}",
        key in "[A-Za-z_][A-Za-z0-9_]{0,20}|\\PC{0,10}",
        value in "\\PC{0,60}|[ -~\\n\\t]{0,60}",
    ) {
        let env = Env::new();
        // Arguments cannot carry NUL bytes.
        prop_assume!(!name.contains('\0') && !key.contains('\0') && !value.contains('\0'));
        prop_assume!(!key.contains('='));
        let out = env.cmd(&["apps:create", &name]).output().unwrap();
        if !out.status.success() {
            prop_assert_eq!(out.status.code(), Some(1));
            prop_assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
            prop_assert!(name.parse::<AppName>().is_err());
            return Ok(());
        }
        let pair = format!("{key}={value}");
        let set = env.cmd(&["config:set", &name, &pair]).output().unwrap();
        if set.status.success() {
            let got = env.ok(&["config:get", &name, &key]);
            prop_assert_eq!(got, format!("{value}\n"));
        } else {
            prop_assert_eq!(set.status.code(), Some(1));
            prop_assert_eq!(String::from_utf8_lossy(&set.stderr).lines().count(), 1);
        }
    }
}
