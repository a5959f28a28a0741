//! The preflight (`scheduler-k3s:doctor`, and the same checks at the start of `initialize` and
//! `cluster:add`) against this host and real OpenSSH servers on 127.0.0.1: a good host, a user
//! without sudo, an unknown host key, and a port k3s needs taken by another program. A stand-in
//! listener on 127.0.0.1:6443 plays the server's API port the joining host must reach.

mod support;

use serde_json::Value;
use support::k3s::{
    Harness, NodeCleanup, TOKEN, UNPRIVILEGED_USER, k3s_ports, listen_on, squash, sshd,
};

/// The JSON reports of a doctor run, with its exit code.
fn doctor_json(h: &Harness, args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut all = vec!["scheduler-k3s:doctor", "--format", "json"];
    all.extend_from_slice(args);
    let out = h.run(&all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let reports: Vec<Value> = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("doctor printed no JSON ({e}):\n{stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), reports, stderr)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

#[test]
fn doctor_checks_this_host_as_the_first_server() {
    let h = Harness::new();
    let _ports = k3s_ports();
    let (code, reports, stderr) = doctor_json(&h, &["--server-ip", "127.0.0.1"]);
    assert_eq!(code, 0, "{reports:#?}\n{stderr}");
    let [r] = reports.as_slice() else {
        panic!("{reports:#?}")
    };
    assert_eq!(r["host"], "this host");
    assert_eq!(r["role"], "first-server");
    for name in [
        "root",
        "os",
        "memory",
        "downloader",
        "address",
        "port 6443/tcp",
        "port 2379/tcp",
        "port 10250/tcp",
        "port 51820/udp",
        "k3s version",
    ] {
        assert_eq!(check(r, name)["status"], "ok", "{name}: {r:#}");
    }
    assert_eq!(
        check(r, "address")["detail"],
        "127.0.0.1 on lo (--server-ip)"
    );

    // Another program on the kubelet's port: a failure naming it, exit code 1, and initialize
    // refuses before writing anything (no token, no installer run, no cluster record).
    let squatter = listen_on(10250);
    let (code, reports, stderr) = doctor_json(&h, &["--server-ip", "127.0.0.1"]);
    assert_eq!(code, 1);
    let c = check(&reports[0], "port 10250/tcp");
    assert_eq!(c["status"], "fail");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .starts_with("in use by another program; k3s needs it for the kubelet"),
        "{c}"
    );
    assert!(
        stderr.contains("Preflight failed on 1 of 1 host(s)"),
        "{stderr}"
    );
    let out = h.run(&["scheduler-k3s:doctor", "--server-ip", "127.0.0.1"]);
    let text = squash(&String::from_utf8_lossy(&out.stdout));
    assert!(
        text.contains("=====> Preflight checks on this host (first server)")
            && text.contains("fail port 10250/tcp in use by another program")
            && text.contains("fix: stop what listens there (ss -tlnp 'sport = :10250' names it)")
            && text.contains("host(s) checked: 0 ok, 0 with warnings, 1 failed"),
        "{text}"
    );

    let stderr = h.fails(
        &["scheduler-k3s:initialize", "--server-ip", "127.0.0.1"],
        "Preflight failed on this host: port 10250/tcp: in use by another program; k3s needs it for the kubelet (fix: stop what listens there",
    );
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .ends_with("pass --skip-preflight")
    );
    assert!(h.records("install").is_empty(), "the installer ran");
    let home = h.env.home();
    assert!(!home.join("global/properties/scheduler-k3s/token").exists());
    assert!(!home.join("global/scheduler-k3s/cluster.json").exists());
    drop(squatter);
}

/// One sshd whose host key is known, one whose key is not; the same client key on both.
struct Hosts {
    known: support::k3s::TestSshd,
    unknown: support::k3s::TestSshd,
}

fn hosts(h: &mut Harness) -> Hosts {
    sshd::ensure_unprivileged_user();
    let known = h.sshd();
    let unknown = h.sshd();
    std::fs::copy(
        known.dir.path().join("authorized_keys"),
        unknown.dir.path().join("authorized_keys"),
    )
    .unwrap();
    h.ssh_key = Some(known.client_key.clone());
    h.known_hosts = Some(known.trusting_known_hosts());
    Hosts { known, unknown }
}

#[test]
fn doctor_tells_a_good_host_from_no_sudo_an_unknown_key_and_a_taken_port() {
    let mut h = Harness::new();
    let hosts = hosts(&mut h);
    let _ports = k3s_ports();
    let _api = listen_on(6443);
    let good = hosts.known.url("root");
    let no_sudo = hosts.known.url(UNPRIVILEGED_USER);
    let unknown = hosts.unknown.url("root");
    let (code, reports, _) =
        doctor_json(&h, &["--server-ip", "127.0.0.1", &good, &no_sudo, &unknown]);
    assert_eq!(code, 1, "{reports:#?}");
    assert_eq!(reports.len(), 3);

    // The good host: everything a worker needs is there (this machine may lack a running
    // systemd: that is a warning, never a failure).
    let r = &reports[0];
    assert_eq!(r["host"], good);
    assert_eq!(r["role"], "worker");
    assert_ne!(r["status"], "fail", "{r:#}");
    for name in [
        "ssh",
        "root",
        "os",
        "memory",
        "downloader",
        "address",
        "port 10250/tcp",
        "port 51820/udp",
        "port 51821/udp",
        "server 6443/tcp",
        "clock",
    ] {
        assert_eq!(check(r, name)["status"], "ok", "{name}: {r:#}");
    }
    assert_eq!(
        check(r, "ssh")["detail"],
        "connected; the host key matches known_hosts"
    );
    assert_eq!(
        check(r, "server 6443/tcp")["detail"],
        "the host reaches 127.0.0.1:6443 (the Kubernetes API and k3s supervisor)"
    );
    assert!(
        check(r, "clock")["detail"]
            .as_str()
            .unwrap()
            .contains("this host"),
        "{r:#}"
    );

    // No sudo: the root check fails with the fix; the other checks still ran.
    let r = &reports[1];
    assert_eq!(r["status"], "fail");
    let root = check(r, "root");
    assert_eq!(root["status"], "fail");
    assert_eq!(
        root["detail"],
        format!(
            "user \"{UNPRIVILEGED_USER}\" is not root and cannot run 'sudo -n' without a password"
        )
    );
    assert_eq!(check(r, "os")["status"], "ok");

    // An unknown host key: the SSH check fails with the ssh-keyscan fix and nothing else runs.
    let r = &reports[2];
    let [ssh] = r["checks"].as_array().unwrap().as_slice() else {
        panic!("{r:#}")
    };
    assert_eq!(ssh["status"], "fail");
    let detail = ssh["detail"].as_str().unwrap();
    assert!(
        detail.contains("is not in") && detail.contains("ssh-keyscan -p"),
        "{detail}"
    );

    // A port k3s needs, taken on the host; and as a server the API port (the stand-in) is taken
    // too, while etcd's ports on the "server" are not reachable.
    let squatter = std::net::UdpSocket::bind("127.0.0.1:51820").unwrap();
    let (_, reports, _) = doctor_json(&h, &["--server-ip", "127.0.0.1", &good]);
    assert_eq!(check(&reports[0], "port 51820/udp")["status"], "fail");
    drop(squatter);
    let (code, reports, _) =
        doctor_json(&h, &["--role", "server", "--server-ip", "127.0.0.1", &good]);
    assert_eq!(code, 1);
    let r = &reports[0];
    assert_eq!(r["role"], "server");
    assert_eq!(check(r, "port 6443/tcp")["status"], "fail");
    assert_eq!(check(r, "server 6443/tcp")["status"], "ok");
    let etcd = check(r, "server 2379/tcp");
    assert_eq!(etcd["status"], "fail");
    assert!(
        etcd["detail"]
            .as_str()
            .unwrap()
            .contains("cannot reach 127.0.0.1:2379"),
        "{etcd}"
    );
}

#[test]
fn doctor_refuses_bad_urls_before_connecting() {
    let h = Harness::new();
    for url in [
        "root@host",
        "ssh://root@host;rm -rf /",
        "ssh://root@host:99999",
    ] {
        h.fails(&["scheduler-k3s:doctor", url], "Invalid ssh target");
    }
}

#[test]
fn cluster_add_runs_the_preflight_and_skip_preflight_overrides_it() {
    let mut h = Harness::new();
    h.env.use_test_cluster();
    h.ok(&["scheduler-k3s:set", "--global", "token", TOKEN]);
    let hosts = hosts(&mut h);
    let url = hosts.known.url("root");
    let _ports = k3s_ports();
    let _api = listen_on(6443);
    let squatter = listen_on(10250);
    let add = [
        "scheduler-k3s:cluster:add",
        "--server-ip",
        "127.0.0.1",
        &url,
    ];
    let stderr = h.fails(
        &add,
        &format!("Preflight failed on {url}: port 10250/tcp: in use by another program"),
    );
    assert!(
        squash(&stderr).contains("fail port 10250/tcp in use by another program"),
        "{stderr}"
    );
    assert!(h.records("install").is_empty(), "the installer ran");

    // Skipping the preflight: the join goes ahead (the squatter does not stop the test installer).
    let mut skip = add.to_vec();
    skip.insert(1, "--skip-preflight");
    let (stdout, stderr) = h.ok(&skip);
    let node = stdout.trim().to_owned();
    let _cleanup = NodeCleanup(vec![node.clone()]);
    assert!(!stderr.contains("Preflight"), "{stderr}");
    assert_eq!(h.records("install").len(), 1);
    drop(squatter);
    drop(hosts);
}
