//! berth's SSH layer against a real OpenSSH sshd on 127.0.0.1 (no mocks): host-key policy,
//! argv safety, privilege detection, timeouts and error messages.

#[path = "../testenv/sshd/harness.rs"]
mod sshd;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use berth::ssh::{
    HostKeyPolicy, OutputSink, Privilege, RemoteCommand, RemoteHost, SshError, SshOptions,
    SshTarget,
};
use sshd::TestSshd;

fn opts(sshd: &TestSshd, known_hosts: PathBuf, policy: HostKeyPolicy) -> SshOptions {
    SshOptions {
        key_file: Some(sshd.client_key.clone()),
        known_hosts_file: Some(known_hosts),
        host_key_policy: policy,
        connect_timeout: Duration::from_secs(5),
        control_dir: PathBuf::from("/tmp"),
    }
}

fn capture_sink() -> (OutputSink, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    (
        Arc::new(move |s: &str| l.lock().unwrap().push(s.to_owned())),
        lines,
    )
}

async fn connect(
    sshd: &TestSshd,
    user: &str,
    known_hosts: PathBuf,
    policy: HostKeyPolicy,
) -> Result<(RemoteHost, Arc<Mutex<Vec<String>>>), SshError> {
    let target = SshTarget::parse(&sshd.url(user)).unwrap();
    let (sink, lines) = capture_sink();
    let host = RemoteHost::connect(&target, &opts(sshd, known_hosts, policy), sink).await?;
    Ok((host, lines))
}

#[tokio::test]
async fn known_host_runs_argv_literally_and_streams_prefixed_output() {
    let sshd = TestSshd::start(&[]);
    let (mut host, lines) = connect(
        &sshd,
        "root",
        sshd.trusting_known_hosts(),
        HostKeyPolicy::Strict,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
    // Shell metacharacters in arguments arrive as data, not as shell syntax. The canary lives in
    // this sshd's own temp dir, so a stale file from another run cannot fail the test.
    let canary = sshd.dir.path().join("pwned");
    let substitution = format!("$(touch {})", canary.display());
    let hostile = [substitution.as_str(), "a;b", "it's", "\"q\"", "two words"];
    host.run(&RemoteCommand::new(
        "printf",
        ["%s\\n"].into_iter().chain(hostile),
    ))
    .await
    .unwrap();
    let got = lines.lock().unwrap().clone();
    let want: Vec<String> = hostile.iter().map(|h| format!("127.0.0.1: {h}")).collect();
    assert_eq!(got, want);
    assert!(!canary.exists(), "the command substitution ran on the host");

    assert_eq!(host.ensure_root().await.unwrap(), Privilege::Root);
    // stdin is delivered (this is how installers and secrets travel).
    let out = host
        .capture(&RemoteCommand::new("sh", ["-s", "-", "x y"]).stdin(b"echo \"arg=$1\"\n".to_vec()))
        .await
        .unwrap();
    assert_eq!(out, "arg=x y");
    host.close().await;
}

#[tokio::test]
async fn failing_remote_command_reports_exit_code_and_stderr() {
    let sshd = TestSshd::start(&[]);
    let (mut host, _) = connect(
        &sshd,
        "root",
        sshd.trusting_known_hosts(),
        HostKeyPolicy::Strict,
    )
    .await
    .unwrap();
    let err = host
        .run(&RemoteCommand::new("sh", ["-c", "echo boom >&2; exit 7"]))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, SshError::RemoteFailed { code: 7, .. }),
        "{msg}"
    );
    assert!(
        msg.contains("exit code 7") && msg.ends_with(": boom"),
        "{msg}"
    );
    host.close().await;
}

#[tokio::test]
async fn unknown_host_is_refused_by_default_and_accepted_when_allowed() {
    let sshd = TestSshd::start(&[]);
    let empty = sshd.empty_known_hosts();
    let err = match connect(&sshd, "root", empty.clone(), HostKeyPolicy::Strict).await {
        Ok(_) => panic!("an unknown host key was accepted"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(matches!(err, SshError::UnknownHostKey { .. }), "{msg}");
    assert!(msg.contains("--insecure-allow-unknown-hosts"), "{msg}");
    assert!(
        msg.contains(&format!("ssh-keyscan -p {} 127.0.0.1", sshd.port)),
        "{msg}"
    );
    // Nothing was recorded in the known_hosts file.
    assert_eq!(std::fs::read_to_string(&empty).unwrap(), "");

    let (mut host, _) = connect(&sshd, "root", empty.clone(), HostKeyPolicy::AcceptAny)
        .await
        .unwrap();
    assert_eq!(
        host.capture(&RemoteCommand::new("echo", ["ok"]))
            .await
            .unwrap(),
        "ok"
    );
    host.close().await;
    assert_eq!(
        std::fs::read_to_string(&empty).unwrap(),
        "",
        "accept-any must not record keys"
    );
}

#[tokio::test]
async fn changed_host_key_is_refused() {
    let sshd = TestSshd::start(&[]);
    let err = match connect(
        &sshd,
        "root",
        sshd.wrong_known_hosts(),
        HostKeyPolicy::Strict,
    )
    .await
    {
        Ok(_) => panic!("a changed host key was accepted"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(matches!(err, SshError::HostKeyChanged { .. }), "{msg}");
    assert!(msg.contains("man-in-the-middle"), "{msg}");
    assert!(msg.contains("ssh-keygen -f"), "{msg}");
}

#[tokio::test]
async fn non_root_without_sudo_is_refused_clearly() {
    sshd::ensure_unprivileged_user();
    let sshd = TestSshd::start(&[]);
    let (mut host, _) = connect(
        &sshd,
        sshd::UNPRIVILEGED_USER,
        sshd.trusting_known_hosts(),
        HostKeyPolicy::Strict,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
    // Plain commands work as that user...
    assert_eq!(
        host.capture(&RemoteCommand::new("id", ["-un"]))
            .await
            .unwrap(),
        sshd::UNPRIVILEGED_USER
    );
    // ...but anything that needs root is refused with a message that says what to do.
    let err = host
        .run(&RemoteCommand::new("true", Vec::<String>::new()).as_root())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SshError::NotRoot { .. }), "{msg}");
    assert!(
        msg.contains(&format!("user \"{}\"", sshd::UNPRIVILEGED_USER)),
        "{msg}"
    );
    assert!(msg.contains("passwordless sudo"), "{msg}");
    host.close().await;
}

#[tokio::test]
async fn unreachable_host_times_out_with_a_clear_message() {
    let silent = sshd::SilentHost::start();
    let target = SshTarget::parse(&format!("ssh://root@127.0.0.1:{}", silent.port)).unwrap();
    let mut o = SshOptions::from_env(HostKeyPolicy::Strict);
    o.connect_timeout = Duration::from_secs(2);
    let (sink, _) = capture_sink();
    let err = match RemoteHost::connect(&target, &o, sink).await {
        Ok(_) => panic!("connected to a host that never answers"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(matches!(err, SshError::Timeout { secs: 2, .. }), "{msg}");
    assert!(msg.contains("no SSH answer within 2s"), "{msg}");
}
