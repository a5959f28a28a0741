//! `apps:*` and the command grammar (help, errors) through the real binary.

mod support;

use support::cli::Env;

#[test]
fn create_list_report_destroy() {
    let env = Env::new();
    snap!(env, "create", env.ok(&["apps:create", "my-app"]));
    env.ok(&["apps:create", "other"]);
    snap!(env, "list", env.ok(&["apps:list"]));
    env.ok(&["apps:exists", "my-app"]);
    assert_eq!(
        env.fail(&["apps:exists", "nope"]),
        "App nope does not exist"
    );
    snap!(env, "report_stdout", env.ok(&["apps:report", "my-app"]));
    snap!(
        env,
        "report_json",
        env.ok(&["apps:report", "my-app", "--format", "json"])
    );
    snap!(env, "report_all", env.ok(&["apps:report"]));
    assert_eq!(
        env.ok(&["apps:report", "my-app", "--app-dir"]).trim(),
        format!("{}/apps/my-app", env.path().display())
    );

    // Destroy asks for the app name; a wrong answer aborts and keeps the app.
    let before = env.state_hash();
    let out = env
        .cmd(&["apps:destroy", "my-app"])
        .write_stdin("other\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("Confirmation did not match my-app. Aborted.")
    );
    assert_eq!(env.state_hash(), before);
    env.ok_stdin(&["apps:destroy", "my-app"], "my-app\n");
    assert_eq!(
        env.fail(&["apps:exists", "my-app"]),
        "App my-app does not exist"
    );
    env.ok(&["apps:destroy", "other", "--force"]);
    let list = env.cmd(&["apps:list"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&list.stderr).contains("You haven't deployed any applications yet")
    );
}

#[test]
fn rename_and_clone_carry_state() {
    let env = Env::new();
    env.ok(&["domains:set-global", "example.com"]);
    env.ok(&["apps:create", "a1"]);
    env.ok(&["config:set", "a1", "K=v"]);
    env.ok(&["apps:rename", "a1", "a2"]);
    assert_eq!(env.fail(&["apps:exists", "a1"]), "App a1 does not exist");
    assert_eq!(env.ok(&["config:get", "a2", "K"]), "v\n");
    assert_eq!(
        env.ok(&["domains:report", "a2", "--domains-app-vhosts"]),
        "a2.example.com\n"
    );

    env.ok(&["apps:clone", "a2", "a3"]);
    assert_eq!(env.ok(&["config:get", "a3", "K"]), "v\n");
    assert_eq!(
        env.ok(&["domains:report", "a3", "--domains-app-vhosts"]),
        "a3.example.com\n"
    );
    assert_eq!(
        env.fail(&["apps:clone", "a2", "a3"]),
        "Name is already taken: app a3 exists"
    );
    env.ok(&["apps:clone", "--ignore-existing", "a2", "a3"]);
    // Secrets keep their mode through a clone.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(env.path().join("apps/a3/config.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn help_lists_every_command_with_an_example() {
    let env = Env::new();
    let help = env.ok(&["help", "--all"]);
    let cmd = berth::cli::command();
    for sub in cmd.get_subcommands() {
        let name = sub.get_name();
        assert!(help.contains(name), "berth help misses {name}");
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        assert!(!about.is_empty(), "{name} has no one-line description");
        let h = env.ok(&[name, "--help"]);
        assert!(h.contains("Example"), "{name} --help has no example:\n{h}");
    }
    assert_eq!(env.ok(&[]), env.ok(&["help"]));
    assert!(
        env.ok(&["help", "apps:create"])
            .contains("berth apps:create my-app")
    );
    let family = env.ok(&["apps:help"]);
    assert!(family.contains("apps:rename") && !family.contains("config:set"));
}

#[test]
fn k3s_prefix_is_an_alias_of_scheduler_k3s() {
    let env = Env::new();
    env.ok(&["k3s:set", "--global", "namespace", "apps"]);
    assert_eq!(
        env.ok(&[
            "scheduler-k3s:report",
            "--global",
            "--scheduler-k3s-global-namespace"
        ]),
        "apps\n"
    );
    assert_eq!(
        env.ok(&[
            "k3s:report",
            "--global",
            "--scheduler-k3s-computed-namespace"
        ]),
        "apps\n"
    );
}

#[test]
fn usage_errors_are_one_line() {
    let env = Env::new();
    let m = env.fail(&["apps:nope"]);
    assert!(m.contains("apps:nope"), "{m}");
    let m = env.fail(&["config:set"]);
    assert!(m.contains("required arguments were not provided"), "{m}");
    let m = env.fail(&["apps:create", "my-app", "--bogus"]);
    assert!(m.contains("--bogus"), "{m}");
}

/// Exit code, stdout and stderr pinned together for the commands whose failure a script tests.
#[test]
fn transcripts_of_refusals() {
    let env = Env::new();
    env.ok(&["apps:create", "taken"]);
    snap!(
        env,
        "transcript_create_taken",
        env.transcript(&["apps:create", "taken"])
    );
    snap!(
        env,
        "transcript_destroy_missing",
        env.transcript(&["apps:destroy", "nope", "--force"])
    );
    snap!(
        env,
        "transcript_exists_missing",
        env.transcript(&["apps:exists", "nope"])
    );
    snap!(
        env,
        "transcript_bad_name",
        env.transcript(&["apps:create", "Not_Valid"])
    );
}
