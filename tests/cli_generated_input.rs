//! Generated hostile arguments for every command family, through the real binary: whatever the
//! input, berth never panics, exits 0 or 1, and a refusal is one ` !     ` line that leaves the
//! state directory byte-for-byte unchanged and prints none of the stored secrets.
//!
//! `BERTH_GENERATED_CASES` sets the cases per family (default 100; a long run uses thousands).
//! No cluster is configured, so commands that would reach one stop at their input checks or at
//! "no cluster" — exactly the paths hostile input takes first.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use support::cli::Env;

fn cases() -> u32 {
    std::env::var("BERTH_GENERATED_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// One argument: plausible values, near misses, separators, unicode, control characters,
/// flags, huge strings.
fn arg() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9-]{0,20}",
        3 => "[A-Za-z0-9_.:/=*@,+ -]{0,40}",
        2 => "[a-z]{1,8}=[a-z0-9]{0,8}",
        2 => "(http|https|udp|tcp):[0-9]{0,6}:[0-9]{0,6}",
        1 => "-{1,2}[a-z-]{0,12}",
        1 => "[0-9]{0,25}(Mi|Gi|m|k|b|Ki|s|h)?",
        1 => "ssh://[a-z:@]{0,8}[0-9a-zx.:\\[\\]]{0,20}",
        1 => "\\PC{0,30}",
        1 => any::<String>(),
        1 => "[a-z]{4000,5000}",
    ]
}

/// A command line of a family: fixed words, then generated arguments.
fn family(words: &'static [&'static str], extra: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(arg(), 0..=extra)
        .prop_map(move |rest| words.iter().map(|w| (*w).to_owned()).chain(rest).collect())
}

/// The families, each with the app (or scope) it works on filled in.
const FAMILIES: &[(&[&str], usize)] = &[
    (&["apps:create"], 2),
    (&["apps:rename", "web"], 2),
    (&["apps:clone", "web"], 2),
    (&["apps:destroy"], 2),
    (&["config:set", "web"], 4),
    (&["config:set", "--encoded", "web"], 3),
    (&["config:unset", "web"], 3),
    (&["config:get", "web"], 2),
    (&["config:export", "web", "--format"], 1),
    (&["domains:add", "web"], 3),
    (&["domains:set-global"], 3),
    (&["ports:add", "web"], 3),
    (&["ports:remove", "web"], 3),
    (&["ps:scale", "web"], 3),
    (&["ps:scale", "--skip-deploy", "web"], 3),
    (&["resource:limit", "web"], 4),
    (&["resource:reserve", "web", "--process-type"], 3),
    (&["scheduler-k3s:set", "web"], 2),
    (&["scheduler-k3s:set", "--global"], 2),
    (&["scheduler-k3s:labels:set", "web"], 4),
    (&["scheduler-k3s:annotations:set", "web"], 4),
    (&["scheduler-k3s:autoscaling-auth:set", "web"], 4),
    (&["scheduler-k3s:charts:set"], 2),
    (&["scheduler-k3s:cluster-add"], 2),
    (&["scheduler-k3s:rollback", "web"], 1),
    (&["registry:set", "web"], 2),
    (&["registry:login", "web"], 3),
    (&["builder:set", "web"], 2),
    (&["deploy", "web", "--image"], 2),
    (&["run", "web", "--env"], 2),
    (&["app-json:set", "web", "--file"], 1),
    (&["procfile:set", "web", "--file"], 1),
    (&["logs", "web"], 2),
    (&["ps:report"], 2),
    (&["apps:report"], 2),
    (&[], 3),
];

fn populated() -> Env {
    let env = Env::new();
    env.ok(&["domains:set-global", "example.com"]);
    env.ok(&["apps:create", "web"]);
    env.ok(&[
        "config:set",
        "--no-restart",
        "web",
        "SECRET=gen-canary-1f2e",
    ]);
    env.ok(&[
        "scheduler-k3s:set",
        "--global",
        "token",
        "gen-token-canary-9d",
    ]);
    env
}

/// Run one generated command line and check the invariants; `Err` names the broken one, `Ok`
/// says whether it was refused.
fn check(env: &Env, args: &[String]) -> Result<bool, TestCaseError> {
    let before = env.state_hash();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = env
        .cmd(&argv)
        .env("BERTH_LOCK_TIMEOUT", "0")
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .map_err(|e| TestCaseError::fail(format!("berth {args:?}: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    prop_assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "berth {:?} panicked: {}",
        args,
        stderr
    );
    let code = out.status.code();
    prop_assert!(
        matches!(code, Some(0) | Some(1)),
        "berth {:?} exited {:?}: {}",
        args,
        code,
        stderr
    );
    // stdout may carry a secret on request (config:get); stderr never does.
    for secret in ["gen-canary-1f2e", "gen-token-canary-9d"] {
        prop_assert!(
            !stderr.contains(secret),
            "berth {:?} printed a stored secret: {}",
            args,
            stderr
        );
    }
    if code == Some(1) {
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with(" !     "))
            .collect();
        // One error line; or none at all for a silent "no" (`config:get` of an unset key,
        // `apps:exists`), as Dokku answers those.
        prop_assert!(
            errors.len() == 1 || (errors.is_empty() && stderr.trim().is_empty()),
            "berth {:?}: not one error line: {:?}",
            args,
            stderr
        );
        prop_assert!(
            !stdout.contains(" !     "),
            "berth {:?}: error on stdout",
            args
        );
        prop_assert_eq!(
            env.state_hash(),
            before,
            "berth {:?} was refused but changed the state",
            args
        );
    }
    Ok(code == Some(1))
}

#[test]
fn generated_arguments_never_panic_and_refusals_change_nothing() {
    let total = std::cell::Cell::new(0u64);
    let refused = std::cell::Cell::new(0u64);
    for (words, extra) in FAMILIES {
        // A fresh state per family: accepted inputs of one family do not steer the next.
        let env = populated();
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&family(words, *extra), |args| {
            total.set(total.get() + 1);
            if check(&env, &args)? {
                refused.set(refused.get() + 1);
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{words:?}: {e}");
        }
    }
    let (total, refused) = (total.get(), refused.get());
    println!(
        "generated inputs: {} families x {} cases: {total} command lines, {refused} refused, 0 panics",
        FAMILIES.len(),
        cases()
    );
    assert!(
        refused > total / 10,
        "almost nothing was refused: {refused} of {total}"
    );
}
