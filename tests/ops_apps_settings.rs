//! The rules that left `cli/` for `ops/`, driven without the CLI: what each ops function changes,
//! refuses and reports (through a recording Reporter), on a throwaway state directory and with
//! no cluster configured.

use berth::model::AppName;
use berth::model::ports::{PortMapping, PortSelector};
use berth::ops::Ctx;
use berth::ops::settings::{self, PortEdit};
use berth::progress::{Event, Recorder};
use berth::store::Store;

fn ctx(dir: &tempfile::TempDir) -> Ctx {
    Ctx {
        store: Store::at(dir.path()),
        command: "berth ops-test".into(),
    }
}

fn mapping(s: &str) -> PortMapping {
    s.parse().unwrap()
}

#[test]
fn create_and_destroy_report_what_they_do() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(&dir);
    let app: AppName = "shop".parse().unwrap();
    let r = Recorder::default();
    berth::ops::apps::create(&ctx, &app, &r).unwrap();
    assert!(ctx.store.app_exists(&app));
    // No kubeconfig: the cluster step is skipped with a warning, the state goes.
    berth::ops::apps::destroy(&ctx, &app, false, &r).unwrap();
    assert!(!ctx.store.app_exists(&app));
    let events = r.events();
    assert_eq!(events[0], Event::Info("Creating shop...".into()));
    assert_eq!(events[1], Event::Info("Destroying shop".into()));
    assert!(
        matches!(&events[2], Event::Warn(w) if w.contains("does not exist (no cluster set up), skipping cluster cleanup")),
        "{events:?}"
    );
    // Destroying it again is refused by name.
    let err = berth::ops::apps::destroy(&ctx, &app, false, &r).unwrap_err();
    assert_eq!(err.to_string(), "App shop does not exist");
}

#[test]
fn port_edits_keep_one_mapping_per_host_port() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(&dir);
    let app: AppName = "web".parse().unwrap();
    berth::ops::apps::create(&ctx, &app, &Recorder::default()).unwrap();
    let add = PortEdit::Add(vec![mapping("http:80:5000"), mapping("http:80:5000")]);
    settings::edit_ports(&ctx, &app, &add).unwrap();
    assert_eq!(
        ctx.store.ports(&app).unwrap(),
        vec![mapping("http:80:5000")]
    );

    // A second mapping on host port 80 is refused and nothing is written.
    let clash = PortEdit::Add(vec![mapping("https:80:3000")]);
    let err = settings::edit_ports(&ctx, &app, &clash).unwrap_err();
    assert!(err.to_string().contains("both use host port 80"), "{err}");
    assert_eq!(
        ctx.store.ports(&app).unwrap(),
        vec![mapping("http:80:5000")]
    );

    // UDP may share the number; removing by host port drops every mapping on it.
    settings::edit_ports(&ctx, &app, &PortEdit::Add(vec![mapping("udp:80:53")])).unwrap();
    assert_eq!(ctx.store.ports(&app).unwrap().len(), 2);
    let remove = PortEdit::Remove(vec![PortSelector::HostPort(80)]);
    settings::edit_ports(&ctx, &app, &remove).unwrap();
    assert!(ctx.store.ports(&app).unwrap().is_empty());
}

#[test]
fn clone_copies_state_and_skips_an_existing_target_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(&dir);
    let (a, b): (AppName, AppName) = ("a".parse().unwrap(), "b".parse().unwrap());
    let r = Recorder::default();
    berth::ops::apps::create(&ctx, &a, &r).unwrap();
    settings::edit_ports(&ctx, &a, &PortEdit::Set(vec![mapping("http:80:8080")])).unwrap();
    let cloned = berth::ops::apps::clone(&ctx, &a, &b, false, false, &r).unwrap();
    assert_eq!(cloned, berth::ops::apps::Cloned::Copied { revision: None });
    assert_eq!(ctx.store.ports(&b).unwrap(), vec![mapping("http:80:8080")]);
    let again = berth::ops::apps::clone(&ctx, &a, &b, false, true, &r).unwrap();
    assert_eq!(again, berth::ops::apps::Cloned::Skipped);
    assert!(
        r.events()
            .contains(&Event::Warn("App b already exists, skipping clone".into()))
    );
    // Without --ignore-existing the name is taken.
    let err = berth::ops::apps::clone(&ctx, &a, &b, false, false, &r).unwrap_err();
    assert_eq!(err.to_string(), "Name is already taken: app b exists");
}
