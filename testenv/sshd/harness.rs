//! Test harness: a real OpenSSH `sshd` on 127.0.0.1 with a generated host key, a generated client
//! key in `authorized_keys`, and `SetEnv` variables that describe the simulated host to the test
//! k3s installer. Included by tests with `#[path = "../testenv/sshd/harness.rs"] mod sshd;`.
//!
//! Needs root (sshd must switch users) and Debian's `openssh-server` (`.ci/run` installs it).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A non-root login that exists on the test machine and has no sudo rights.
pub const UNPRIVILEGED_USER: &str = "berth-nosudo";

/// A running sshd; killed (by its own pid) when dropped.
pub struct TestSshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// The client private key authorized for every user on this sshd.
    pub client_key: PathBuf,
    /// The server's public host key line (`ssh-ed25519 AAAA...`).
    pub host_key_pub: String,
    child: Child,
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "berth-test", "-f"])
        .arg(path));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// Create [`UNPRIVILEGED_USER`] if missing (login shell, unlocked for key auth, no sudo).
pub fn ensure_unprivileged_user() {
    let exists = Command::new("id")
        .arg(UNPRIVILEGED_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !exists {
        // Parallel tests may race; a second useradd failing because the user now exists is fine.
        let _ = Command::new("useradd")
            .args(["-m", "-s", "/bin/sh", UNPRIVILEGED_USER])
            .status();
    }
    // sshd (UsePAM no) refuses accounts whose password field starts with '!' (locked).
    run(Command::new("usermod").args(["-p", "*", UNPRIVILEGED_USER]));
}

impl TestSshd {
    /// Start sshd with `env` exported to every session (`SetEnv`).
    pub fn start(env: &[(&str, &str)]) -> TestSshd {
        assert!(
            Path::new("/usr/sbin/sshd").exists(),
            "/usr/sbin/sshd is missing: apt-get install -y openssh-server (.ci/run does this)"
        );
        std::fs::create_dir_all("/run/sshd").expect("create /run/sshd");
        let dir = tempfile::Builder::new()
            .prefix("berth-sshd-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        // sshd reads authorized_keys as the target user: the directory must be traversable.
        set_mode(dir.path(), 0o755);
        let host_key = dir.path().join("host_ed25519");
        keygen(&host_key);
        let client_key = dir.path().join("client_ed25519");
        keygen(&client_key);
        let client_pub = std::fs::read_to_string(client_key.with_extension("pub")).unwrap();
        let authorized = dir.path().join("authorized_keys");
        std::fs::write(&authorized, client_pub).unwrap();
        set_mode(&authorized, 0o644);
        let host_key_pub = std::fs::read_to_string(host_key.with_extension("pub"))
            .unwrap()
            .trim()
            .to_owned();

        for _attempt in 0..5 {
            let port = free_port();
            let mut config = format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile none\nUsePAM no\n\
                 StrictModes no\nAuthorizedKeysFile {}\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n\
                 LogLevel VERBOSE\n",
                host_key.display(),
                authorized.display()
            );
            if !env.is_empty() {
                config.push_str("SetEnv");
                for (k, v) in env {
                    assert!(
                        !v.contains(char::is_whitespace),
                        "SetEnv value with spaces: {v}"
                    );
                    config.push_str(&format!(" {k}={v}"));
                }
                config.push('\n');
            }
            let config_path = dir.path().join("sshd_config");
            std::fs::write(&config_path, config).unwrap();
            let mut child = Command::new("/usr/sbin/sshd")
                .args(["-D", "-e", "-f"])
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn sshd");
            // sshd logs "Server listening on ..." once the socket is bound.
            let stderr = child.stderr.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            let log_path = dir.path().join("sshd.log");
            std::thread::spawn(move || {
                let mut log = std::fs::File::create(log_path).ok();
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if line.contains("Server listening") {
                        let _ = tx.send(true);
                    }
                    if let Some(f) = log.as_mut() {
                        use std::io::Write;
                        let _ = writeln!(f, "{line}");
                    }
                }
                let _ = tx.send(false);
            });
            let deadline = Instant::now() + Duration::from_secs(10);
            let listening = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or(false);
            if listening && TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return TestSshd {
                    dir,
                    port,
                    client_key,
                    host_key_pub,
                    child,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("sshd did not start; see its log under /tmp/berth-sshd-*");
    }

    /// `ssh://user@127.0.0.1:port`.
    pub fn url(&self, user: &str) -> String {
        format!("ssh://{user}@127.0.0.1:{}", self.port)
    }

    /// The known_hosts line that trusts this server.
    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}", self.port, self.host_key_pub)
    }

    /// Write a known_hosts file trusting this server and return its path.
    pub fn trusting_known_hosts(&self) -> PathBuf {
        let p = self.dir.path().join("known_hosts");
        std::fs::write(&p, format!("{}\n", self.known_hosts_line())).unwrap();
        p
    }

    /// Write a known_hosts file that records a *different* key for this server.
    pub fn wrong_known_hosts(&self) -> PathBuf {
        let other = self.dir.path().join("other_host_ed25519");
        keygen(&other);
        let key = std::fs::read_to_string(other.with_extension("pub")).unwrap();
        let p = self.dir.path().join("known_hosts_wrong");
        std::fs::write(&p, format!("[127.0.0.1]:{} {}", self.port, key.trim())).unwrap();
        p
    }

    /// An empty known_hosts file (the server is unknown).
    pub fn empty_known_hosts(&self) -> PathBuf {
        let p = self.dir.path().join("known_hosts_empty");
        std::fs::write(&p, "").unwrap();
        p
    }

    /// sshd's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for TestSshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A TCP listener that accepts connections and never says anything: an SSH host that does not
/// answer. Kept open as long as the value lives.
pub struct SilentHost {
    pub port: u16,
    _listener: TcpListener,
}

impl SilentHost {
    pub fn start() -> SilentHost {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        SilentHost {
            port,
            _listener: listener,
        }
    }
}
