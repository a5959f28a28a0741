//! Faults in multi-file app operations: `apps:rename`, `apps:clone` and `apps:destroy` SIGKILLed at
//! random moments. After the next holder of each name's lock, the app exists exactly once, with
//! its config and secrets, and nothing staged is left behind.
//!
//! `BERTH_FAULT_ROUNDS` raises the number of killed operations for a long run.

mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use berth::model::AppName;
use berth::store::{Scope, Store};
use rand::Rng;
use support::cli::Env;

/// Operations to kill per test (not all land mid-run; the figure printed says how many did).
fn rounds() -> usize {
    std::env::var("BERTH_FAULT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600)
}

fn spawn(env: &Env, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("berth"))
        .env("BERTH_HOME", env.path())
        .env("BERTH_LOCK_TIMEOUT", "5")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kill moments spread over a writer's whole life, adapted while running (the machine is shared
/// and its speed varies): a writer that finished first shrinks the window, a killed one widens it.
struct KillWindow {
    max_delay_us: u64,
    killed: usize,
    finished: usize,
}

impl KillWindow {
    fn new(env: &Env, probe: &[&str], undo: &[&str]) -> KillWindow {
        let lifetime = (0..3)
            .map(|_| {
                let t = Instant::now();
                env.ok(probe);
                let d = t.elapsed();
                env.ok(undo);
                d
            })
            .max()
            .unwrap();
        KillWindow {
            max_delay_us: (lifetime.as_micros() as u64 * 12 / 10).max(2000),
            killed: 0,
            finished: 0,
        }
    }

    /// Let `child` run for a random moment, then SIGKILL it if it is still running.
    fn kill_at_random(&mut self, rng: &mut impl Rng, mut child: Child) {
        std::thread::sleep(Duration::from_micros(
            rng.random_range(0..self.max_delay_us),
        ));
        match child.try_wait().unwrap() {
            Some(_) => {
                self.finished += 1;
                self.max_delay_us = (self.max_delay_us * 9 / 10).max(500);
            }
            None => {
                child.kill().unwrap();
                self.killed += 1;
                self.max_delay_us = self.max_delay_us * 11 / 10;
            }
        }
        child.wait().unwrap();
    }
}

fn name(s: &str) -> AppName {
    s.parse().unwrap()
}

/// Take (and drop) each app's lock, as the next command on it would: that runs the recovery.
fn touch(store: &Store, apps: &[&AppName]) {
    for app in apps {
        drop(store.lock(&Scope::App((*app).clone()), "test").unwrap());
    }
}

fn staged_leftovers(env: &Env) -> Vec<String> {
    std::fs::read_dir(env.path().join("apps"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

fn config_of(store: &Store, app: &AppName) -> BTreeMap<String, String> {
    store.env(app, false).unwrap()
}

#[test]
fn killed_renames_never_lose_the_app() {
    let env = Env::new();
    env.ok(&["domains:set-global", "example.test"]);
    env.ok(&["apps:create", "left"]);
    env.ok(&[
        "config:set",
        "--no-restart",
        "left",
        "SECRET=canary-7f3a",
        "KEEP=1",
    ]);
    let store = Store::at(env.path());
    let (left, right) = (name("left"), name("right"));
    let mut window = KillWindow::new(
        &env,
        &["apps:rename", "left", "right"],
        &["apps:rename", "right", "left"],
    );
    let mut rng = rand::rng();
    let (mut at_left, mut at_right) = (0, 0);
    let started = Instant::now();
    for round in 0..rounds() {
        let (from, to) = if store.app_exists(&left) {
            ("left", "right")
        } else {
            ("right", "left")
        };
        let child = spawn(&env, &["apps:rename", from, to]);
        window.kill_at_random(&mut rng, child);
        // The reported loss: the next command that locks the new name swept the staged app.
        touch(&store, &[&name(to), &name(from)]);

        let (l, r) = (store.app_exists(&left), store.app_exists(&right));
        assert!(l ^ r, "round {round}: left exists {l}, right exists {r}");
        let app = if l { &left } else { &right };
        if l {
            at_left += 1
        } else {
            at_right += 1
        }
        let config = config_of(&store, app);
        assert_eq!(
            config.get("SECRET").map(String::as_str),
            Some("canary-7f3a"),
            "round {round}: the config of {app} lost its secret: {config:?}"
        );
        let vhosts = env.ok(&["domains:report", app.as_str(), "--domains-app-vhosts"]);
        assert_eq!(
            vhosts.trim(),
            format!("{app}.example.test"),
            "round {round}: {app}'s vhosts after the rename"
        );
        let leftovers = staged_leftovers(&env);
        assert!(
            leftovers.is_empty(),
            "round {round}: left behind {leftovers:?}"
        );
    }
    eprintln!(
        "killed renames: {} rounds, {} killed mid-run, {} finished, app ended at left {at_left} / right {at_right} times, 0 lost, {:?}",
        rounds(),
        window.killed,
        window.finished,
        started.elapsed()
    );
    assert!(
        window.killed >= rounds() / 4,
        "only {} of {} renames were killed mid-run; the test is not probing crashes",
        window.killed,
        rounds()
    );
    assert!(
        at_left > 0 && at_right > 0,
        "every kill landed on one side of the rename"
    );
}

#[test]
fn killed_clones_and_destroys_leave_whole_apps_or_none() {
    let env = Env::new();
    env.ok(&["apps:create", "src"]);
    env.ok(&["config:set", "--no-restart", "src", "SECRET=canary-51c2"]);
    let store = Store::at(env.path());
    let (src, copy) = (name("src"), name("copy"));
    let mut window = KillWindow::new(
        &env,
        &["apps:clone", "src", "copy"],
        &["apps:destroy", "copy", "--force"],
    );
    let mut rng = rand::rng();
    let (mut cloned, mut destroyed) = (0, 0);
    for round in 0..rounds() / 2 {
        let child = if store.app_exists(&copy) {
            spawn(&env, &["apps:destroy", "copy", "--force"])
        } else {
            spawn(&env, &["apps:clone", "src", "copy"])
        };
        window.kill_at_random(&mut rng, child);
        touch(&store, &[&copy, &src]);
        assert_eq!(
            config_of(&store, &src).get("SECRET").map(String::as_str),
            Some("canary-51c2"),
            "round {round}: the source lost its config"
        );
        if store.app_exists(&copy) {
            cloned += 1;
            assert_eq!(
                config_of(&store, &copy).get("SECRET").map(String::as_str),
                Some("canary-51c2"),
                "round {round}: a half-made clone exists"
            );
        } else {
            destroyed += 1;
            assert!(
                !store.scope_dir(&Scope::App(copy.clone())).exists(),
                "round {round}: a destroyed app's directory is left"
            );
        }
        let leftovers = staged_leftovers(&env);
        assert!(
            leftovers.is_empty(),
            "round {round}: left behind {leftovers:?}"
        );
    }
    eprintln!(
        "killed clones/destroys: {} killed mid-run, {} finished; copy existed {cloned}, absent {destroyed} times",
        window.killed, window.finished
    );
    assert!(window.killed > 0 && cloned > 0 && destroyed > 0);
}

#[test]
fn killed_creates_publish_a_whole_app_or_nothing() {
    let env = Env::new();
    env.ok(&["domains:set-global", "example.test"]);
    let store = Store::at(env.path());
    let fresh = name("fresh");
    let mut window = KillWindow::new(
        &env,
        &["apps:create", "fresh"],
        &["apps:destroy", "fresh", "--force"],
    );
    let mut rng = rand::rng();
    let (mut created, mut absent) = (0, 0);
    for round in 0..rounds() / 2 {
        let child = if store.app_exists(&fresh) {
            spawn(&env, &["apps:destroy", "fresh", "--force"])
        } else {
            spawn(&env, &["apps:create", "fresh"])
        };
        window.kill_at_random(&mut rng, child);
        touch(&store, &[&fresh]);
        if store.app_exists(&fresh) {
            created += 1;
            // A published app is whole: its default domain came with it.
            let vhosts = env.ok(&["domains:report", "fresh", "--domains-app-vhosts"]);
            assert_eq!(vhosts.trim(), "fresh.example.test", "round {round}");
        } else {
            absent += 1;
            env.fail(&["apps:report", "fresh"]);
        }
        let leftovers = staged_leftovers(&env);
        assert!(
            leftovers.is_empty(),
            "round {round}: left behind {leftovers:?}"
        );
    }
    eprintln!(
        "killed creates/destroys: {} killed mid-run, {} finished; app existed {created}, absent {absent} times",
        window.killed, window.finished
    );
    assert!(window.killed > 0 && created > 0 && absent > 0);
}
