//! Crash safety: writers SIGKILLed at random moments never leave a config or property file empty,
//! partial or unparsable, and never leave a lock behind.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use berth::model::AppName;
use berth::store::{Scope, Store};
use rand::Rng;
use support::cli::Env;

const ROUNDS: usize = 240;

#[test]
fn sigkill_at_random_moments_never_corrupts_state() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    let store = Store::at(env.path());
    let app: AppName = "web".parse().unwrap();
    let scope = Scope::App(app.clone());
    let mut rng = rand::rng();
    // How long one uncontended writer lives; kill moments are spread over that whole lifetime so
    // they land before, during and after the write.
    let lifetime = (0..5)
        .map(|i| {
            let t = Instant::now();
            env.ok(&[
                "config:set",
                "web",
                &format!("CAL={i}{}", "x".repeat(100 * 1024)),
            ]);
            t.elapsed()
        })
        .max()
        .unwrap();
    // Adapted while running (the machine is shared and its speed varies): a writer that finished
    // before the kill widens nothing and shrinks the window, a killed one widens it, so kills keep
    // landing across the writer's whole life.
    let mut max_delay_us = (lifetime.as_micros() as u64 * 12 / 10).max(2000);
    let started = Instant::now();
    let mut committed = 0;
    let (mut killed, mut finished) = (0, 0);
    // Every value ever written; what is on disk must always be one of them.
    let mut config_values: Vec<String> = Vec::new();
    let timeouts: Vec<String> = (1..=ROUNDS).map(|i| format!("{i}s")).collect();

    for round in 0..ROUNDS {
        // Big values keep a write in flight for a few milliseconds.
        let value = format!(
            "{round}-{}",
            "x".repeat(rng.random_range(16 * 1024..120 * 1024))
        );
        config_values.push(value.clone());
        let args: Vec<String> = if round % 3 == 2 {
            vec![
                "scheduler-k3s:set".into(),
                "web".into(),
                "deploy-timeout".into(),
                timeouts[round].clone(),
            ]
        } else {
            vec![
                "config:set".into(),
                "web".into(),
                format!("BIG={value}"),
                format!("ROUND={round}"),
            ]
        };
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("berth"))
            .env("BERTH_HOME", env.path())
            .env("BERTH_LOCK_TIMEOUT", "5")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.random_range(0..max_delay_us)));
        match child.try_wait().unwrap() {
            Some(_) => {
                finished += 1;
                max_delay_us = (max_delay_us * 9 / 10).max(500);
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
                max_delay_us = max_delay_us * 11 / 10;
            }
        }
        child.wait().unwrap();

        // config.json: absent or a complete JSON map whose values are ones we wrote.
        let config_path = store.scope_dir(&scope).join("config.json");
        if let Ok(text) = std::fs::read_to_string(&config_path) {
            assert!(!text.is_empty(), "round {round}: empty config.json");
            let map: std::collections::BTreeMap<String, String> = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("round {round}: unparsable config.json: {e}"));
            if map.get("ROUND") == Some(&round.to_string()) {
                committed += 1;
            }
            if let Some(v) = map.get("BIG") {
                assert!(
                    config_values.contains(v),
                    "round {round}: BIG holds a value never written"
                );
                let r: usize = map["ROUND"].parse().unwrap();
                assert!(
                    v.starts_with(&format!("{r}-")),
                    "round {round}: BIG and ROUND from different writes"
                );
            }
        }
        // The property file: absent or exactly one of the values written.
        if let Some(v) = store
            .property(&scope, "scheduler-k3s", "deploy-timeout")
            .unwrap()
        {
            assert!(
                timeouts.contains(&v),
                "round {round}: deploy-timeout file holds {v:?}"
            );
        }
    }
    // No lock was left behind by a killed holder: a normal command still gets through at once.
    env.ok(&["config:set", "web", "AFTER=1"]);
    // ... and that command swept the temp files the killed writers left.
    let leftovers: Vec<String> = walk(&store.scope_dir(&scope))
        .into_iter()
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temp files left behind: {leftovers:?}"
    );
    assert_eq!(store.env(&app, false).unwrap()["AFTER"], "1");
    eprintln!(
        "crash test: {ROUNDS} rounds, writer lifetime {lifetime:?}, {killed} killed mid-run, {finished} finished, {committed} config writes committed, {:?}",
        started.elapsed()
    );
    assert!(
        killed >= 60,
        "only {killed} of {ROUNDS} writers were killed mid-run; the test is not probing crashes"
    );
    assert!(
        committed >= 10,
        "only {committed} writes committed; every kill landed before the write"
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}
