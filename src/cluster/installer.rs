//! This host's side of installing k3s: fetching the installer (official URL or a local file, see
//! [`super::k3s::ENV_INSTALLER`]), running an installer or uninstaller script with streamed output,
//! the root check, and the server address of a network interface.

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result, anyhow, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Whether berth runs as root (installing or removing k3s on this host needs it).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The installer script: downloaded with curl (argv, never a shell) when `location` is an
/// http(s) URL, read from disk otherwise (`file://` prefix optional). Must not be empty.
pub async fn fetch(location: &str) -> Result<Vec<u8>> {
    let bytes = if location.starts_with("https://") || location.starts_with("http://") {
        let out = Command::new("curl")
            .args([
                "--fail",
                "--silent",
                "--show-error",
                "--location",
                "--max-time",
                "120",
                "--",
                location,
            ])
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| anyhow!("cannot run curl to download the k3s installer: {e}"))?;
        if !out.status.success() {
            bail!(
                "cannot download the k3s installer from {location}: {} (set {} to a local copy of the installer to install without network access)",
                String::from_utf8_lossy(&out.stderr).trim(),
                super::k3s::ENV_INSTALLER
            );
        }
        out.stdout
    } else {
        let path = location.strip_prefix("file://").unwrap_or(location);
        crate::input::read_bytes(std::path::Path::new(path), crate::input::INSTALLER).map_err(
            |e| {
                anyhow!(
                    "{e} ({} names it; unset it for the official installer)",
                    super::k3s::ENV_INSTALLER
                )
            },
        )?
    };
    if bytes.is_empty() {
        bail!("the k3s installer from {location} is empty");
    }
    Ok(bytes)
}

/// Run `sh <script> <args>` on this host with `env` added to berth's environment, streaming every
/// output line to `log`. The script is written to a private temp file first.
pub async fn run_script(
    script: &[u8],
    args: &[String],
    env: &[(&str, &str)],
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<()> {
    let mut file = tempfile::Builder::new()
        .prefix("berth-k3s-installer-")
        .suffix(".sh")
        .tempfile()
        .context("cannot create a temp file for the k3s installer")?;
    file.write_all(script)
        .and_then(|()| file.flush())
        .context("cannot write the k3s installer to a temp file")?;
    run_file(file.path(), args, env, log).await
}

/// Run `sh <path> <args>` (an installed uninstall script, say) with streamed output.
pub async fn run_file(
    path: &Path,
    args: &[String],
    env: &[(&str, &str)],
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<()> {
    let mut cmd = Command::new("sh");
    cmd.arg(path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow!("cannot run {}: {e}", path.display()))?;
    let out = child.stdout.take();
    let err = child.stderr.take();
    let (_, stderr_lines) = tokio::join!(stream_lines(out, log), stream_lines(err, log));
    let status = child
        .wait()
        .await
        .map_err(|e| anyhow!("waiting for {} failed: {e}", path.display()))?;
    if !status.success() {
        let last = stderr_lines
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| format!(": {}", l.trim()))
            .unwrap_or_default();
        bail!(
            "{} failed with exit code {}{last}",
            path.display(),
            status.code().unwrap_or(-1)
        );
    }
    Ok(())
}

async fn stream_lines<R: tokio::io::AsyncRead + Unpin>(
    reader: Option<R>,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Vec<String> {
    let mut seen = Vec::new();
    let Some(reader) = reader else {
        return seen;
    };
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        log(&line);
        seen.push(line);
    }
    seen
}

/// The (last, as Dokku picks it) IPv4 address of network interface `name`.
pub fn interface_ipv4(name: &str) -> Result<IpAddr> {
    let addrs = if_addrs::get_if_addrs().context("cannot list this host's network interfaces")?;
    let known: Vec<String> = {
        let mut n: Vec<String> = addrs.iter().map(|i| i.name.clone()).collect();
        n.sort();
        n.dedup();
        n
    };
    addrs
        .iter()
        .filter(|i| i.name == name)
        .map(if_addrs::Interface::ip)
        .rfind(IpAddr::is_ipv4)
        .ok_or_else(|| {
            anyhow!(
                "Unable to determine server ip address from network-interface {name} (interfaces with an address here: {}); pass --server-ip or set it with: berth scheduler-k3s:set --global network-interface <name>",
                known.join(", ")
            )
        })
}

/// The network interface of this host that holds `ip`, if any.
pub fn interface_holding(ip: IpAddr) -> Option<String> {
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find(|i| i.ip() == ip)
        .map(|i| i.name)
}
