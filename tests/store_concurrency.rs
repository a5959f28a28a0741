//! Concurrent commands on one app serialise on the app lock: no lost updates, no torn files, and a
//! waiter that gives up names the holder.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use berth::model::env::EnvMap;
use berth::store::{Scope, Store, docs};
use support::cli::Env;

fn spawn(env: &Env, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("berth"))
        .env("BERTH_HOME", env.path())
        .env("BERTH_LOCK_TIMEOUT", "60")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn berth")
}

fn wait_ok(child: Child) {
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "berth failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fifty_writers_of_different_keys_lose_none() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    let children: Vec<Child> = (0..50)
        .map(|i| spawn(&env, &["config:set", "web", &format!("KEY_{i}=value-{i}")]))
        .collect();
    children.into_iter().for_each(wait_ok);
    let env_map: EnvMap = Store::at(env.path())
        .read_json(&Scope::App("web".parse().unwrap()), docs::CONFIG)
        .unwrap();
    assert_eq!(
        env_map.len(),
        50,
        "lost updates: {:?}",
        env_map.keys().collect::<Vec<_>>()
    );
    for i in 0..50 {
        assert_eq!(env_map[&format!("KEY_{i}")], format!("value-{i}"));
    }
}

#[test]
fn fifty_writers_of_different_documents_and_properties() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    let mut children = Vec::new();
    for i in 0..25 {
        children.push(spawn(
            &env,
            &[
                "scheduler-k3s:annotations:set",
                "web",
                &format!("k{i}"),
                "v",
                "--resource-type",
                "pod",
            ],
        ));
        children.push(spawn(&env, &["ps:scale", "web", &format!("p{i}={i}")]));
    }
    children.into_iter().for_each(wait_ok);
    let store = Store::at(env.path());
    let app = "web".parse().unwrap();
    assert_eq!(store.scale(&app).unwrap().len(), 25);
    assert_eq!(
        store.annotations(&Scope::App(app)).unwrap().entries().len(),
        25
    );
}

#[test]
fn two_writers_of_one_key_leave_one_value_never_a_torn_file() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    // Large values make each write take long enough for the two to overlap.
    let a = "a".repeat(120 * 1024);
    let b = "b".repeat(120 * 1024);
    let store = Store::at(env.path());
    let app: berth::model::AppName = "web".parse().unwrap();
    for round in 0..10 {
        let c1 = spawn(&env, &["config:set", "web", &format!("SAME={a}")]);
        let c2 = spawn(&env, &["config:set", "web", &format!("SAME={b}")]);
        let p1 = spawn(&env, &["scheduler-k3s:set", "web", "deploy-timeout", "61s"]);
        let p2 = spawn(
            &env,
            &["scheduler-k3s:set", "web", "deploy-timeout", "122s"],
        );
        for c in [c1, c2, p1, p2] {
            wait_ok(c);
        }
        let value = store.env(&app, false).unwrap().remove("SAME").unwrap();
        assert!(
            value == a || value == b,
            "round {round}: torn value of {} bytes",
            value.len()
        );
        let timeout = store
            .property(&Scope::App(app.clone()), "scheduler-k3s", "deploy-timeout")
            .unwrap();
        assert!(
            matches!(timeout.as_deref(), Some("61s") | Some("122s")),
            "round {round}: {timeout:?}"
        );
    }
}

#[test]
fn a_waiter_gives_up_after_the_bound_and_names_the_holder() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    let store = Store::at(env.path());
    let lock = store
        .lock(&Scope::App("web".parse().unwrap()), "berth test-holder")
        .unwrap();
    let before = env.state_hash();
    let out = env
        .cmd(&["config:set", "web", "A=1"])
        .env("BERTH_LOCK_TIMEOUT", "0.5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(" !     app web is locked by pid ")
            && last.contains("`berth test-holder`")
            && last.contains("gave up after 0.5s"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("pid {}", std::process::id())),
        "{stderr}"
    );
    // It waited (said so, naming the holder) before giving up.
    assert!(
        stderr.lines().next().is_some_and(|l| l
            .starts_with("-----> Waiting for the app web lock held by pid ")
            && l.contains("`berth test-holder`")),
        "{stderr}"
    );
    assert_eq!(env.state_hash(), before);

    // A waiter within its bound says it waits, and proceeds once the holder lets go.
    let child = spawn(&env, &["config:set", "web", "B=2"]);
    std::thread::sleep(Duration::from_millis(300));
    drop(lock);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("-----> Waiting for the app web lock held by pid "),
        "{stderr}"
    );
    assert_eq!(env.ok(&["config:get", "web", "B"]), "2\n");
}

#[test]
fn global_writes_serialise_too() {
    let env = Env::new();
    let children: Vec<Child> = (0..30)
        .map(|i| spawn(&env, &["config:set", "--global", &format!("G_{i}=v")]))
        .collect();
    children.into_iter().for_each(wait_ok);
    let g: EnvMap = Store::at(env.path())
        .read_json(&Scope::Global, docs::CONFIG)
        .unwrap();
    assert_eq!(g.len(), 30);
}
