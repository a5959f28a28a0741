//! The store API other modules use: scopes, locks, properties, documents, app lifecycle.

use berth::model::AppName;
use berth::store::{Scope, Secrecy, Store, StoreError, docs, plugins};
use std::os::unix::fs::PermissionsExt;

fn app(name: &str) -> AppName {
    name.parse().unwrap()
}

#[test]
fn lifecycle_properties_and_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let web = Scope::App(app("web"));
    {
        let lock = store.lock(&web, "test").unwrap();
        store.create_app(&lock).unwrap();
        assert!(matches!(
            store.create_app(&lock),
            Err(StoreError::AppExists(_))
        ));
        lock.set_scheduler_k3s_property("deploy-timeout", Some("90"))
            .unwrap();
        let err = lock
            .set_scheduler_k3s_property("token", Some("x"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "property token can only be set with --global (it is cluster-wide)"
        );
    }
    {
        let global = store.lock(&Scope::Global, "test").unwrap();
        assert_eq!(
            global
                .set_scheduler_k3s_property("token", Some("K10::x"))
                .unwrap()
                .as_deref(),
            Some("K10::x")
        );
        global
            .set_scheduler_k3s_property("namespace", Some("apps"))
            .unwrap();
    }
    let token = dir.path().join("global/properties/scheduler-k3s/token");
    assert_eq!(
        std::fs::metadata(token).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let resolved = store.scheduler_k3s_properties(Some(&app("web"))).unwrap();
    assert_eq!(resolved.deploy_timeout().as_secs(), 90);
    assert_eq!(resolved.namespace(), "apps");
    assert_eq!(resolved.token(), Some("K10::x"));
    assert_eq!(resolved.kubeconfig_path(), "/etc/rancher/k3s/k3s.yaml");
    assert_eq!(store.selected_scheduler(&app("web")).unwrap(), "k3s");
    assert_eq!(store.list_apps().unwrap(), vec![app("web")]);
}

#[test]
fn writes_to_an_app_destroyed_meanwhile_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let web = Scope::App(app("web"));
    let lock = store.lock(&web, "test").unwrap();
    store.create_app(&lock).unwrap();
    store.destroy_app(&lock).unwrap();
    assert!(matches!(
        lock.set_property(
            plugins::SCHEDULER_K3S,
            "namespace",
            Some("x"),
            Secrecy::Public
        ),
        Err(StoreError::NoSuchApp(_))
    ));
    assert!(matches!(
        lock.write_json(docs::CONFIG, &serde_json::json!({})),
        Err(StoreError::NoSuchApp(_))
    ));
    assert!(!dir.path().join("apps/web").exists());
}

#[test]
fn damaged_documents_are_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let lock = store.lock(&Scope::App(app("web")), "test").unwrap();
    store.create_app(&lock).unwrap();
    std::fs::write(dir.path().join("apps/web/config.json"), "{broken").unwrap();
    let err = store.env(&app("web"), false).unwrap_err().to_string();
    assert!(err.contains("config.json is not valid"), "{err}");
    assert_eq!(err.lines().count(), 1);
}
