//! The k3s lifecycle harness of the cluster tests (`cluster_lifecycle`, `cluster_preflight`): a
//! berth home wired to the test k3s installer (`testenv/k3s/install.sh`, which records its runs
//! and registers a simulated Node), real OpenSSH servers standing in for the hosts, and helpers
//! to read the installer's records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, MutexGuard};

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::DeleteParams;

use super::BerthEnv;
#[allow(unused_imports)]
pub use super::sshd::{self, SilentHost, TestSshd, UNPRIVILEGED_USER};

pub const TOKEN: &str = "berth-test-token-0123456789";

pub fn testenv(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testenv/k3s")
        .join(file)
}

pub fn kubectl() -> String {
    std::env::var("BERTH_TEST_KUBECTL").unwrap_or_else(|_| {
        panic!(
            "BERTH_TEST_KUBECTL is not set: load the control plane's env file (scripts/test does)"
        )
    })
}

/// A berth home plus the test installer's settings and record directory.
pub struct Harness {
    pub env: BerthEnv,
    pub dir: tempfile::TempDir,
    pub ssh_key: Option<PathBuf>,
    pub known_hosts: Option<PathBuf>,
}

impl Harness {
    pub fn new() -> Harness {
        let dir = tempfile::Builder::new()
            .prefix("berth-k3s-test-")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::create_dir(dir.path().join("rec")).unwrap();
        Harness {
            env: BerthEnv::new(),
            dir,
            ssh_key: None,
            known_hosts: None,
        }
    }

    pub fn record_dir(&self) -> PathBuf {
        self.dir.path().join("rec")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("etc-rancher-k3s")
    }

    /// `registries.yaml` written for the global registry logins: its text and file mode.
    pub fn registries(&self) -> (String, u32) {
        use std::os::unix::fs::PermissionsExt;
        let p = self.config_dir().join("registries.yaml");
        let mode = std::fs::metadata(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode();
        (std::fs::read_to_string(&p).unwrap(), mode & 0o777)
    }

    pub fn k3s_bin(&self) -> PathBuf {
        self.dir.path().join("k3s")
    }

    pub fn cmd(&self) -> std::process::Command {
        let mut c = self.env.std_cmd();
        c.env("BERTH_K3S_INSTALLER", testenv("install.sh"))
            .env("BERTH_K3S_UNINSTALLER", testenv("k3s-uninstall.sh"))
            .env(
                "BERTH_K3S_AGENT_UNINSTALLER",
                testenv("k3s-agent-uninstall.sh"),
            )
            .env("BERTH_K3S_BIN", self.k3s_bin())
            .env("BERTH_K3S_CONFIG_DIR", self.config_dir())
            .env("BERTH_TEST_K3S_RECORD_DIR", self.record_dir())
            .env("BERTH_TEST_KUBECTL", kubectl())
            .env("BERTH_SSH_CONNECT_TIMEOUT", "3");
        if let Some(k) = &self.ssh_key {
            c.env("BERTH_SSH_KEY", k);
        }
        if let Some(k) = &self.known_hosts {
            c.env("BERTH_SSH_KNOWN_HOSTS", k);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run berth")
    }

    pub fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "berth {args:?} failed:\n{stderr}\n{stdout}"
        );
        (stdout, stderr)
    }

    /// Run `args`, expect exit 1 with a one-line error containing `needle`; return stderr.
    pub fn fails(&self, args: &[&str], needle: &str) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "berth {args:?}: {stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(" !     ") && last.contains(needle),
            "berth {args:?}: expected an error containing {needle:?}, got:\n{stderr}"
        );
        stderr
    }

    /// Every recorded run of `kind` (`install` / `uninstall`), oldest first, as lines.
    pub fn records(&self, kind: &str) -> Vec<Vec<String>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.record_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{kind}-"))
            })
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                std::fs::read_to_string(f)
                    .unwrap()
                    .lines()
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    pub fn setup_cluster(&self) {
        self.env.use_test_cluster();
        self.ok(&["scheduler-k3s:set", "--global", "token", TOKEN]);
    }

    pub fn sshd(&self) -> TestSshd {
        let kubeconfig = super::kubeconfig_path();
        let record = self.record_dir();
        let kubectl = kubectl();
        TestSshd::start(&[
            ("BERTH_TEST_KUBECONFIG", kubeconfig.to_str().unwrap()),
            ("BERTH_TEST_KUBECTL", &kubectl),
            ("BERTH_TEST_K3S_RECORD_DIR", record.to_str().unwrap()),
        ])
    }
}

pub fn args_of(record: &[String]) -> Vec<String> {
    record
        .iter()
        .filter_map(|l| l.strip_prefix("ARG "))
        .map(str::to_owned)
        .collect()
}

pub fn env_of(record: &[String]) -> BTreeMap<String, String> {
    record
        .iter()
        .filter_map(|l| l.strip_prefix("ENV "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `--flag value` pairs present in `args`.
pub fn has_pair(args: &[String], flag: &str, value: &str) -> bool {
    args.windows(2).any(|w| w[0] == flag && w[1] == value)
}

/// Deletes simulated nodes a test created, even when it fails half-way.
pub struct NodeCleanup(pub Vec<String>);

impl Drop for NodeCleanup {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.0);
        super::cleanup_blocking(|client| async move {
            let api: Api<Node> = Api::all(client);
            for n in names {
                let _ = api.delete(&n, &DeleteParams::default()).await;
            }
            Ok::<(), kube::Error>(())
        });
    }
}

/// The ports k3s needs are this machine's: tests that take one (a stand-in API server on 6443, a
/// squatter on 10250) or need them free (initialize's preflight) hold this guard, so the tests of
/// one binary never see each other's listeners.
pub fn k3s_ports() -> MutexGuard<'static, ()> {
    static PORTS: Mutex<()> = Mutex::new(());
    PORTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A TCP listener on 127.0.0.1:`port` standing in for a k3s server port (the preflight checks
/// that a joining host can connect to it) or squatting on a port k3s needs. Hold
/// [`k3s_ports`] while it lives.
pub fn listen_on(port: u16) -> std::net::TcpListener {
    std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
        panic!("cannot listen on 127.0.0.1:{port} (something else uses it?): {e}")
    })
}

/// `text` with every run of spaces made one, so check lines compare whatever the column width.
pub fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(
            &line
                .split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    out
}
