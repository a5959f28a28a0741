//! `scripts/test-cluster up` then `down` leaves no process, no listening port and no files behind,
//! and `up` refuses to start on a port that is already taken. Each test starts its own control
//! plane on its own port base (BERTH_UPDOWN_PORT_BASE, default 23000, and that + 1000) in a
//! temporary work dir, so the shared dev instance is never touched. Needs the binaries from
//! `scripts/test-cluster build`.

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Port offsets from the base, as in scripts/test-cluster: kwok, controller-manager, scheduler,
/// etcd client, etcd peer, kube-apiserver.
const PORT_OFFSETS: [u16; 6] = [250, 257, 259, 379, 380, 443];

fn port_base(extra: u16) -> u16 {
    let base = match std::env::var("BERTH_UPDOWN_PORT_BASE") {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("BERTH_UPDOWN_PORT_BASE={value:?} is not a port number")),
        Err(_) => 23000,
    };
    base + extra
}

fn test_cluster(base: u16, work: &Path, args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-cluster");
    Command::new(script)
        .args(args)
        .env("BERTH_CLUSTER_PORT_BASE", base.to_string())
        .env("BERTH_CLUSTER_WORKDIR", work)
        .output()
        .expect("running scripts/test-cluster")
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// TCP ports in LISTEN state on this host (IPv4 and IPv6), from /proc/net/tcp{,6}.
fn listening_ports() -> HashSet<u16> {
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() > 3
                && fields[3] == "0A"
                && let Some(port) = fields[1]
                    .rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            {
                ports.insert(port);
            }
        }
    }
    ports
}

/// Alive means: /proc/<pid> exists and the process is not a zombie waiting to be reaped.
fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn temp_work_dir() -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::Builder::new()
        .prefix("berth-updown-")
        .tempdir()
        .expect("temp dir");
    let work = parent.path().join("cluster");
    (parent, work)
}

#[test]
fn up_then_down_leaves_no_process_port_or_file_behind() {
    let base = port_base(0);
    let ports: Vec<u16> = PORT_OFFSETS.iter().map(|offset| base + offset).collect();
    let busy: Vec<u16> = ports
        .iter()
        .copied()
        .filter(|p| listening_ports().contains(p))
        .collect();
    assert!(
        busy.is_empty(),
        "ports {busy:?} are already in use; set BERTH_UPDOWN_PORT_BASE to a free base"
    );
    let (_parent, work) = temp_work_dir();

    // --self-check also proves `kubectl logs` and `kubectl exec` against kwok's simulated pods.
    let up = test_cluster(base, &work, &["up", "--no-crds", "--self-check"]);
    let recorded = std::fs::read_to_string(work.join("pids")).unwrap_or_default();
    let exec_dir = std::fs::read_to_string(work.join("exec-dir")).unwrap_or_default();
    if !up.status.success() {
        test_cluster(base, &work, &["down"]);
    }
    assert_success("up", &up);
    let summary = String::from_utf8_lossy(&up.stdout);
    assert!(
        summary.contains(&format!("https://127.0.0.1:{}", base + 443)),
        "summary: {summary}"
    );

    let pids: Vec<(String, u32)> = recorded
        .lines()
        .map(|line| {
            let mut fields = line.split_whitespace();
            let name = fields.next().expect("name").to_string();
            let pid = fields.next().and_then(|p| p.parse().ok()).expect("pid");
            (name, pid)
        })
        .collect();
    let names: Vec<&str> = pids.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kwok"
        ]
    );
    assert!(
        pids.iter().all(|(_, pid)| is_alive(*pid)),
        "every recorded process runs after up"
    );
    let listening = listening_ports();
    assert!(
        ports.iter().all(|p| listening.contains(p)),
        "all of {ports:?} listen after up"
    );

    let env_file = test_cluster(base, &work, &["env-file"]);
    assert_success("env-file", &env_file);
    assert_eq!(
        String::from_utf8_lossy(&env_file.stdout).trim(),
        work.join("env").display().to_string()
    );
    let env = test_cluster(base, &work, &["env"]);
    assert_success("env", &env);
    let kubeconfig = work.join("admin.kubeconfig");
    let expected = format!(
        "KUBECONFIG={0}\nBERTH_TEST_KUBECONFIG={0}\n",
        kubeconfig.display()
    );
    let env_text = String::from_utf8_lossy(&env.stdout);
    assert!(env_text.starts_with(&expected), "{env_text}");
    let helm_line = env_text.lines().nth(2).unwrap_or_default();
    assert!(
        helm_line.starts_with("BERTH_TEST_HELM=/") && helm_line.ends_with("/helm"),
        "{env_text}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&kubeconfig)
        .expect("kubeconfig")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the kubeconfig holds the admin key");
    assert_success("status", &test_cluster(base, &work, &["status"]));

    assert_success("down", &test_cluster(base, &work, &["down"]));

    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|(_, pid)| is_alive(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let survivors: Vec<&(String, u32)> = pids.iter().filter(|(_, pid)| is_alive(*pid)).collect();
    assert!(
        survivors.is_empty(),
        "still running after down: {survivors:?}"
    );
    let listening = listening_ports();
    let still: Vec<&u16> = ports.iter().filter(|p| listening.contains(p)).collect();
    assert!(still.is_empty(), "still listening after down: {still:?}");
    assert!(!work.exists(), "down removes the work dir");
    assert!(
        !exec_dir.trim().is_empty() && !Path::new(exec_dir.trim()).exists(),
        "down removes the exec scratch dir {exec_dir:?}"
    );
    let status = test_cluster(base, &work, &["status"]);
    assert!(
        !status.status.success(),
        "status after down reports not running"
    );
}

#[test]
fn up_refuses_a_port_that_is_in_use() {
    let base = port_base(1000);
    let apiserver_port = base + 443;
    let _squatter = TcpListener::bind(("127.0.0.1", apiserver_port))
        .unwrap_or_else(|e| panic!("binding 127.0.0.1:{apiserver_port} for the test: {e}"));
    let (_parent, work) = temp_work_dir();

    let up = test_cluster(base, &work, &["up", "--no-crds"]);
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(
        !up.status.success(),
        "up started although port {apiserver_port} was taken"
    );
    assert!(
        stderr.contains(&format!("port {apiserver_port}")),
        "error names the port: {stderr}"
    );
    assert!(!work.exists(), "a refused up creates nothing");
}
