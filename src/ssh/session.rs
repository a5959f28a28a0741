//! One connection to a remote host through the system OpenSSH client (the `openssh` crate, one
//! multiplexed master per host). Host keys are checked strictly against known_hosts unless the
//! caller opts out; commands are argv (each argument shell-escaped by the crate); output streams
//! back line by line, prefixed with the host.

use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::time::Duration;

use openssh::{KnownHosts, Session, SessionBuilder, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};

use super::target::SshTarget;

/// How to treat a host key that is not (or differently) recorded in known_hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// Refuse unknown and changed host keys (OpenSSH `StrictHostKeyChecking=yes`).
    Strict,
    /// `--insecure-allow-unknown-hosts`: accept any host key and record nothing.
    AcceptAny,
}

/// Where the key and known_hosts live and how long to wait; see [`SshOptions::from_env`].
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// Private key to offer (only this one, `IdentitiesOnly=yes`); `None` = OpenSSH's defaults.
    pub key_file: Option<PathBuf>,
    /// known_hosts file to check against; `None` = OpenSSH's default (`~/.ssh/known_hosts`).
    pub known_hosts_file: Option<PathBuf>,
    pub host_key_policy: HostKeyPolicy,
    /// TCP connect plus SSH handshake deadline.
    pub connect_timeout: Duration,
    /// Directory for the control socket; must be short (Unix socket paths are ~108 bytes).
    pub control_dir: PathBuf,
}

/// Environment variable naming the private key berth offers (default `~/.ssh/id_ed25519`, then `~/.ssh/id_rsa`).
pub const ENV_SSH_KEY: &str = "BERTH_SSH_KEY";
/// Environment variable naming the known_hosts file (default: OpenSSH's `~/.ssh/known_hosts`).
pub const ENV_SSH_KNOWN_HOSTS: &str = "BERTH_SSH_KNOWN_HOSTS";
/// Environment variable with the connect timeout in seconds (default 15).
pub const ENV_SSH_CONNECT_TIMEOUT: &str = "BERTH_SSH_CONNECT_TIMEOUT";

impl SshOptions {
    /// Options from `BERTH_SSH_KEY`, `BERTH_SSH_KNOWN_HOSTS`, `BERTH_SSH_CONNECT_TIMEOUT` and the
    /// Dokku key locations (`~/.ssh/id_ed25519`, else `~/.ssh/id_rsa`).
    pub fn from_env(policy: HostKeyPolicy) -> SshOptions {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let key_file = std::env::var_os(ENV_SSH_KEY)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                let home = home.as_ref()?;
                ["id_ed25519", "id_rsa"]
                    .iter()
                    .map(|k| home.join(".ssh").join(k))
                    .find(|p| p.exists())
            });
        let known_hosts_file = std::env::var_os(ENV_SSH_KNOWN_HOSTS)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let connect_timeout = std::env::var(ENV_SSH_CONNECT_TIMEOUT)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(15));
        SshOptions {
            key_file,
            known_hosts_file,
            host_key_policy: policy,
            connect_timeout,
            control_dir: PathBuf::from("/tmp"),
        }
    }
}

/// Everything that can go wrong talking to a remote host; each message is one actionable line.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error(
        "host key of {target} is not in {known_hosts}: check the key and add it (ssh-keyscan -p {port} {host} >> {known_hosts}), or pass --insecure-allow-unknown-hosts"
    )]
    UnknownHostKey {
        target: String,
        host: String,
        port: u16,
        known_hosts: String,
    },
    #[error(
        "host key of {target} does not match the one recorded in {known_hosts} (possible man-in-the-middle); if the host was reinstalled, remove the old key with: ssh-keygen -f {known_hosts} -R '{entry}'"
    )]
    HostKeyChanged {
        target: String,
        entry: String,
        known_hosts: String,
    },
    #[error(
        "cannot reach {target}: no SSH answer within {secs}s (check the address, the port and firewalls; BERTH_SSH_CONNECT_TIMEOUT changes the limit)"
    )]
    Timeout { target: String, secs: u64 },
    #[error(
        "cannot log in to {target}: {detail} (authorize berth's public key for that user; BERTH_SSH_KEY picks the key)"
    )]
    AuthFailed { target: String, detail: String },
    #[error("cannot connect to {target}: {detail}")]
    Connect { target: String, detail: String },
    #[error(
        "user {user:?} on {target} is not root and cannot run 'sudo -n' without a password: connect as root (ssh://root@…) or grant {user} passwordless sudo"
    )]
    NotRoot { target: String, user: String },
    #[error("{command:?} failed on {target} with exit code {code}{}", tail_suffix(.stderr_tail))]
    RemoteFailed {
        target: String,
        command: String,
        code: i32,
        stderr_tail: String,
    },
    #[error("lost the SSH connection to {target} while running {command:?}: {detail}")]
    Disconnected {
        target: String,
        command: String,
        detail: String,
    },
}

fn tail_suffix(tail: &str) -> String {
    if tail.is_empty() {
        String::new()
    } else {
        format!(": {tail}")
    }
}

/// Receives remote output lines, already prefixed with the host.
pub type OutputSink = Arc<dyn Fn(&str) + Send + Sync>;

/// An output sink printing to berth's stderr (stdout stays clean for data such as `--format json`).
pub fn stderr_sink() -> OutputSink {
    Arc::new(|line: &str| eprintln!("{line}"))
}

/// A command to run remotely: a program and its arguments (never a shell string), optional stdin
/// bytes, and whether it needs root.
#[derive(Debug, Clone)]
pub struct RemoteCommand {
    pub program: String,
    pub args: Vec<String>,
    pub stdin: Option<Vec<u8>>,
    pub as_root: bool,
}

impl RemoteCommand {
    pub fn new<I, S>(program: &str, args: I) -> RemoteCommand
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RemoteCommand {
            program: program.to_owned(),
            args: args.into_iter().map(Into::into).collect(),
            stdin: None,
            as_root: false,
        }
    }

    pub fn as_root(mut self) -> Self {
        self.as_root = true;
        self
    }

    pub fn stdin(mut self, bytes: Vec<u8>) -> Self {
        self.stdin = Some(bytes);
        self
    }

    /// Human-readable form for messages (never contains stdin, where secrets travel).
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How commands that need root are run on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    /// Logged in as root: run directly.
    Root,
    /// Passwordless sudo: prefix `sudo -n --`.
    Sudo,
}

/// An open, authenticated connection to one host.
pub struct RemoteHost {
    session: Session,
    target: SshTarget,
    privilege: Option<Privilege>,
    sink: OutputSink,
}

impl RemoteHost {
    /// Connect to `target`, checking its host key according to `opts.host_key_policy`.
    pub async fn connect(
        target: &SshTarget,
        opts: &SshOptions,
        sink: OutputSink,
    ) -> Result<RemoteHost, SshError> {
        let mut b = SessionBuilder::default();
        b.port(target.port)
            .connect_timeout(opts.connect_timeout)
            .server_alive_interval(Duration::from_secs(15))
            .control_directory(&opts.control_dir);
        if let Some(user) = &target.user {
            b.user(user.clone());
        }
        if let Some(key) = &opts.key_file {
            b.keyfile(key);
        }
        match opts.host_key_policy {
            HostKeyPolicy::Strict => {
                // The builder's default is accept-new; berth never trusts a key silently.
                b.known_hosts_check(KnownHosts::Strict);
                if let Some(kh) = &opts.known_hosts_file {
                    b.user_known_hosts_file(kh);
                }
            }
            HostKeyPolicy::AcceptAny => {
                // Without /dev/null a changed key in the user's file would still be refused.
                b.known_hosts_check(KnownHosts::Accept)
                    .user_known_hosts_file("/dev/null");
            }
        }
        // Belt and braces: ConnectTimeout covers connect + handshake; this also covers a stuck ssh.
        let deadline = opts.connect_timeout + Duration::from_secs(5);
        let connected = tokio::time::timeout(deadline, b.connect(target.host.as_str())).await;
        let session = match connected {
            Err(_) => {
                return Err(SshError::Timeout {
                    target: target.to_string(),
                    secs: opts.connect_timeout.as_secs(),
                });
            }
            Ok(Err(e)) => return Err(classify_connect_error(target, opts, &e)),
            Ok(Ok(s)) => s,
        };
        Ok(RemoteHost {
            session,
            target: target.clone(),
            privilege: None,
            sink,
        })
    }

    pub fn target(&self) -> &SshTarget {
        &self.target
    }

    /// Find out how to get root: root login, or passwordless `sudo -n`; anything else is refused.
    pub async fn ensure_root(&mut self) -> Result<Privilege, SshError> {
        if let Some(p) = self.privilege {
            return Ok(p);
        }
        let uid = self.capture(&RemoteCommand::new("id", ["-u"])).await?;
        let privilege = if uid.trim() == "0" {
            Privilege::Root
        } else {
            let probe = RemoteCommand::new("sudo", ["-n", "true"]);
            match self.capture(&probe).await {
                Ok(_) => Privilege::Sudo,
                Err(SshError::RemoteFailed { .. }) => {
                    let user = self
                        .capture(&RemoteCommand::new("id", ["-un"]))
                        .await
                        .map(|s| s.trim().to_owned())
                        .unwrap_or_else(|_| uid.trim().to_owned());
                    return Err(SshError::NotRoot {
                        target: self.target.to_string(),
                        user,
                    });
                }
                Err(e) => return Err(e),
            }
        };
        self.privilege = Some(privilege);
        Ok(privilege)
    }

    /// Run `cmd`, streaming stdout and stderr lines to the sink (prefixed with the host).
    pub async fn run(&mut self, cmd: &RemoteCommand) -> Result<(), SshError> {
        self.exec(cmd, true).await.map(|_| ())
    }

    /// Run `cmd` quietly and return its stdout (stderr is kept for the error message).
    pub async fn capture(&mut self, cmd: &RemoteCommand) -> Result<String, SshError> {
        self.exec(cmd, false).await
    }

    async fn exec(&mut self, cmd: &RemoteCommand, stream: bool) -> Result<String, SshError> {
        let (program, args): (&str, Vec<&str>) = if cmd.as_root {
            match self.ensure_root_boxed().await? {
                Privilege::Root => (
                    cmd.program.as_str(),
                    cmd.args.iter().map(|s| s.as_str()).collect(),
                ),
                Privilege::Sudo => {
                    let mut a = vec!["-n", "--", cmd.program.as_str()];
                    a.extend(cmd.args.iter().map(|s| s.as_str()));
                    ("sudo", a)
                }
            }
        } else {
            (
                cmd.program.as_str(),
                cmd.args.iter().map(|s| s.as_str()).collect(),
            )
        };
        let target = self.target.to_string();
        let disconnected = |detail: String| SshError::Disconnected {
            target: target.clone(),
            command: cmd.display(),
            detail,
        };
        let mut command = self.session.command(program);
        command
            .args(args)
            .stdin(if cmd.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .await
            .map_err(|e| disconnected(e.to_string()))?;
        let stdin_task = match (child.stdin().take(), cmd.stdin.clone()) {
            (Some(mut w), Some(bytes)) => Some(tokio::spawn(async move {
                // A remote that exits early closes its stdin; that is reported by the exit code.
                let _ = w.write_all(&bytes).await;
                let _ = w.shutdown().await;
            })),
            _ => None,
        };
        let prefix = format!("{}: ", self.target.host_for_url());
        let out = child.stdout().take();
        let err = child.stderr().take();
        let sink = self.sink.clone();
        let (stdout, stderr) = tokio::join!(
            read_lines(out, stream.then(|| (sink.clone(), prefix.clone()))),
            read_lines(err, stream.then(|| (sink.clone(), prefix.clone()))),
        );
        if let Some(t) = stdin_task {
            let _ = t.await;
        }
        let tail = stderr
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .cloned()
            .unwrap_or_default();
        let code = match child.wait().await {
            Ok(status) if status.success() => return Ok(stdout.join("\n")),
            Ok(status) => status.code().unwrap_or(-1),
            // The crate reports exit code 127 as an error of its own.
            Err(openssh::Error::Remote(_)) => 127,
            // Exit code 255 is either the remote command or ssh itself; ask the master.
            Err(openssh::Error::RemoteProcessTerminated) if self.session.check().await.is_ok() => {
                255
            }
            Err(e) => return Err(disconnected(e.to_string())),
        };
        Err(SshError::RemoteFailed {
            target,
            command: cmd.display(),
            code,
            stderr_tail: tail,
        })
    }

    // `ensure_root` calls `capture`, which calls `exec`; boxing breaks the async recursion.
    fn ensure_root_boxed(
        &mut self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Privilege, SshError>> + Send + '_>>
    {
        Box::pin(self.ensure_root())
    }

    /// Close the master connection.
    pub async fn close(self) {
        let _ = self.session.close().await;
    }
}

async fn read_lines<R: AsyncRead + Unpin>(
    reader: Option<R>,
    stream_to: Option<(OutputSink, String)>,
) -> Vec<String> {
    let mut lines_out = Vec::new();
    let Some(reader) = reader else {
        return lines_out;
    };
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some((sink, prefix)) = &stream_to {
            sink(&format!("{prefix}{line}"));
        }
        lines_out.push(line);
    }
    lines_out
}

fn classify_connect_error(target: &SshTarget, opts: &SshOptions, e: &openssh::Error) -> SshError {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    let known_hosts = opts
        .known_hosts_file
        .as_deref()
        .map(Path::display)
        .map(|d| d.to_string())
        .unwrap_or_else(|| "~/.ssh/known_hosts".into());
    let t = target.to_string();
    let entry = if target.port == 22 {
        target.host.clone()
    } else {
        format!("[{}]:{}", target.host, target.port)
    };
    if detail.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || detail.contains("Host key for") && detail.contains("has changed")
    {
        SshError::HostKeyChanged {
            target: t,
            entry,
            known_hosts,
        }
    } else if detail.contains("host key is known")
        || detail.contains("Host key verification failed")
    {
        SshError::UnknownHostKey {
            target: t,
            host: target.host.clone(),
            port: target.port,
            known_hosts,
        }
    } else if detail.contains("timed out") || detail.contains("Connection timed out") {
        SshError::Timeout {
            target: t,
            secs: opts.connect_timeout.as_secs(),
        }
    } else if detail.contains("Permission denied") {
        SshError::AuthFailed {
            target: t,
            detail: last_line(&detail),
        }
    } else {
        SshError::Connect {
            target: t,
            detail: last_line(&detail),
        }
    }
}

fn last_line(s: &str) -> String {
    s.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_owned()
}
