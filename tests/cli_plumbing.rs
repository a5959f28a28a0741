//! The CLI plumbing kubectl and Helm users expect: shell completions and manual pages generated
//! from the parser's own definitions, `-o json`, `--color` / `NO_COLOR`, `deploy --timeout`,
//! `--no-lock-wait`, `logs -f`, and a clear line when the state directory is not writable.

mod support;

use support::cli::Env;

/// The completion scripts are the real thing: bash parses the bash one and it completes berth's
/// commands; the zsh and fish ones name the commands too.
#[test]
fn completions_for_every_shell() {
    let env = Env::new();
    let bash = env.ok(&["completion", "bash"]);
    assert!(bash.contains("complete -F _berth"), "{}", &bash[..200]);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("berth.bash");
    std::fs::write(&script, &bash).unwrap();
    // Complete `berth ps:sc` the way bash would, and read COMPREPLY back.
    let probe = format!(
        "source {}; COMP_WORDS=(berth ps:sc); COMP_CWORD=1; COMP_LINE='berth ps:sc'; COMP_POINT=11; _berth berth ps:sc berth; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let replies = String::from_utf8(out.stdout).unwrap();
    assert!(
        replies.lines().any(|l| l == "ps:scale"),
        "bash completed `ps:sc` to {replies:?}"
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let s = env.ok(&["completion", shell]);
        assert!(s.contains("ps:scale"), "{shell} completion lacks ps:scale");
    }
    assert_eq!(
        env.fail(&["completion", "tcsh"]),
        "Invalid shell: tcsh (valid: bash, elvish, fish, powershell, zsh)"
    );
}

/// `man` renders roff that man(1)'s formatter accepts; `man <command>` one command's page;
/// `man --dir` one page per command.
#[test]
fn manual_pages() {
    let env = Env::new();
    let page = env.ok(&["man"]);
    assert!(page.contains(".TH berth 1"), "{}", &page[..200]);
    assert!(page.contains("ps:scale"));
    let deploy = env.ok(&["man", "deploy"]);
    assert!(deploy.contains(".TH berth-deploy 1"));
    assert!(
        deploy.contains("no\\-lock\\-wait"),
        "deploy page lacks --no-lock-wait"
    );
    assert_eq!(
        env.fail(&["man", "nope"]),
        "`nope` is not a berth command. See `berth help` for a list of available commands."
    );
    let dir = tempfile::tempdir().unwrap();
    let out = env.ok(&["man", "--dir", &dir.path().display().to_string()]);
    assert!(out.starts_with("-----> Wrote "), "{out}");
    let pages = std::fs::read_dir(dir.path()).unwrap().count();
    let commands = berth::cli::command().get_subcommands().count();
    assert_eq!(pages, commands + 1, "one page per command plus berth.1");
    assert!(dir.path().join("berth-ps-scale.1").exists());
}

/// `-o json` is `--format json` on every command that has `--format`.
#[test]
fn dash_o_is_format() {
    let env = Env::new();
    env.ok(&["apps:create", "my-app"]);
    assert_eq!(env.ok(&["apps:list", "-o", "json"]), "[\"my-app\"]\n");
    assert_eq!(
        env.ok(&["ports:report", "my-app", "-o", "json"]),
        env.ok(&["ports:report", "my-app", "--format", "json"])
    );
    let mut missing = Vec::new();
    for sub in berth::cli::command().get_subcommands() {
        for arg in sub.get_arguments() {
            if arg.get_long() == Some("format") && arg.get_short() != Some('o') {
                missing.push(sub.get_name().to_owned());
            }
        }
    }
    assert!(missing.is_empty(), "--format without -o: {missing:?}");
}

/// The list and show commands a script reads have `--format json` (`-o json`) too.
#[test]
fn lists_and_shows_in_json() {
    let env = Env::new();
    env.ok(&["apps:create", "my-app"]);
    env.ok(&["config:set", "--no-restart", "my-app", "K=V", "X=1"]);
    assert_eq!(
        env.ok(&["config:show", "my-app", "-o", "json"]),
        "{\"K\":\"V\",\"X\":\"1\"}\n"
    );
    assert_eq!(env.ok(&["ports:list", "my-app", "-o", "json"]), "[]\n");
    env.ok(&["ports:set", "my-app", "http:80:5000"]);
    assert_eq!(
        env.ok(&["ports:list", "my-app", "--format", "json"]),
        "[{\"scheme\":\"http\",\"host_port\":80,\"container_port\":5000}]\n"
    );
    env.ok(&["domains:add", "my-app", "my-app.example.com"]);
    assert_eq!(
        env.ok(&["urls", "my-app", "-o", "json"]),
        "[\"http://my-app.example.com\"]\n"
    );
    assert_eq!(
        env.ok(&["url", "my-app", "-o", "json"]),
        "\"http://my-app.example.com\"\n"
    );
}

/// `--color never|always|auto` before the command; a bad value is named.
#[test]
fn color_flag() {
    let env = Env::new();
    env.ok(&["--color", "never", "apps:list"]);
    env.ok(&["--color=always", "apps:list"]);
    assert_eq!(
        env.fail(&["--color", "sometimes", "apps:list"]),
        "Invalid color: sometimes (valid: auto, always, never)"
    );
    // Help under --color always is coloured; under NO_COLOR (auto) it is not.
    let coloured = env
        .cmd(&["--color", "always", "deploy", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains("\u{1b}["));
    let plain = env
        .cmd(&["deploy", "--help"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("\u{1b}["));
}

/// `deploy --timeout`, `--no-lock-wait` (and the old `--no-wait`), `logs -f`/`--follow` parse;
/// a bad timeout is refused naming it, before anything is written.
#[test]
fn deploy_and_logs_flags() {
    let env = Env::new();
    env.ok(&["apps:create", "my-app"]);
    let before = env.state_hash();
    for flags in [
        &["--timeout", "30s", "--no-lock-wait"][..],
        &["--timeout", "2m", "--no-wait"][..],
    ] {
        let mut args = vec!["deploy", "my-app", "--image", "nginx:1.27", "--dry-run"];
        args.extend_from_slice(flags);
        assert!(env.ok(&args).contains("kind: Deployment"));
    }
    assert_eq!(
        env.fail(&[
            "deploy",
            "my-app",
            "--image",
            "nginx:1.27",
            "--timeout",
            "soon"
        ]),
        "Invalid duration \"soon\": use a positive number with a unit (ns, us, ms, s, m, h), e.g. 60s, 5m or 1h30m; a bare integer means seconds"
    );
    assert_eq!(env.state_hash(), before);
    let help = env.ok(&["logs", "--help"]);
    assert!(help.contains("-f, --follow"), "{help}");
    let help = env.ok(&["ps:restart", "--help"]);
    assert!(help.contains("--no-lock-wait"), "{help}");
}

/// Not root and no BERTH_HOME of one's own: the line says what to do.
#[test]
fn state_directory_not_writable() {
    let parent = tempfile::tempdir().unwrap();
    let home = parent.path().join("state");
    let berth = env!("CARGO_BIN_EXE_berth");
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(berth)
        .args(["apps:create", "my-app"])
        .env("BERTH_HOME", &home)
        .output()
        .expect("setpriv (util-linux, installed by .ci/run)");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("Permission denied")
            && err.contains("run it as root, e.g. with sudo, or set BERTH_HOME"),
        "{err}"
    );
    assert!(!home.exists(), "nothing was created");
}
