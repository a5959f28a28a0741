//! `logs:set|report` through the binary (no cluster): Dokku's properties, checks and report
//! keys; sink DSNs stored 0600, never echoed, and reported redacted unless asked for.

mod support;

use std::os::unix::fs::PermissionsExt;
use support::cli::Env;

#[test]
fn logs_properties_are_set_checked_and_reported_with_sinks_redacted() {
    let env = Env::new();
    env.ok(&["apps:create", "web"]);
    let mut transcript = String::new();
    let mut step = |args: &[&str]| {
        transcript.push_str(&format!("$ berth {}\n", args.join(" ")));
        transcript.push_str(&env.transcript(args));
    };
    let dsn = "datadog_logs://?api_key=SECRET123&site=datadoghq.eu";
    step(&["logs:set", "--global", "vector-sink", dsn]);
    step(&[
        "logs:set",
        "--global",
        "vector-cron-sink",
        "console://?encoding[codec]=json",
    ]);
    step(&["logs:set", "web", "max-size", "20m"]);
    step(&["logs:set", "web", "vector-sink", "console://"]);
    for bad in [
        vec!["logs:set", "web", "vector-image", "x:1"],
        vec!["logs:set", "--global", "max-size", "10x"],
        vec!["logs:set", "--global", "vector-sink", "console://?sinks=a"],
        vec!["logs:set", "--global", "vector-sink", "not-a-dsn"],
        vec!["logs:set", "--global", "vector-sinks", "x"],
        vec!["logs:set", "ghost", "max-size", "1m"],
    ] {
        step(&bad);
    }
    step(&["logs:report", "web"]);
    step(&["logs:report", "--global", "--format", "json"]);
    step(&["logs:report", "--global", "--logs-global-vector-sink"]);
    step(&["logs:report", "web", "--logs-computed-max-size"]);
    step(&["logs:set", "--global", "vector-sink"]);
    step(&["logs:report", "--global", "--logs-computed-vector-sink"]);
    let file = env.path().join("global/properties/logs/vector-cron-sink");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a sink DSN is stored 0600");
    snap!(env, "logs_properties", transcript);
}
