//! `enter`: run a command in an app's container, with a TTY when the terminal is one.

use std::io::IsTerminal;

use anyhow::{Context, Result, anyhow};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams};
use kube::{Client, ResourceExt};
use tokio::io::AsyncWriteExt;

use super::errors::describe;
use super::logs::{LogsRequest, select_pods};

/// Which pod of `app` to enter and what to run there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnterRequest {
    pub app: String,
    pub namespace: String,
    pub process_type: Option<String>,
    /// 1-based index among the process type's pods (Dokku's `P.N`).
    pub index: Option<usize>,
    /// Exact pod name (`--container-id`).
    pub pod: Option<String>,
    pub command: Vec<String>,
    /// Allocate a TTY and attach stdin.
    pub tty: bool,
}

/// The pod `req` selects: by name, else by index, else the first Ready one of the process type.
/// Pods being deleted are never chosen (after a restart the old pod may still be Ready for its
/// grace period, running the old config).
pub async fn select_pod(client: &Client, req: &EnterRequest) -> Result<Pod> {
    let mut pods = select_pods(
        client,
        &LogsRequest {
            app: req.app.clone(),
            namespace: req.namespace.clone(),
            process_type: req.process_type.clone(),
            ..LogsRequest::default()
        },
    )
    .await?;
    if req.pod.is_none() {
        pods.retain(|p| p.metadata.deletion_timestamp.is_none());
        if let Some(n) = req.index {
            if n == 0 || n > pods.len() {
                return Err(anyhow!(
                    "pod index {n} is out of range: {} has {} running pod(s) (use 1-{})",
                    req.app,
                    pods.len(),
                    pods.len()
                ));
            }
            pods = vec![pods.swap_remove(n - 1)];
        }
        // Ready pods first, keeping the name order otherwise.
        pods.sort_by_key(|p| super::rollout::pod_not_ready_reason(p).is_some());
    }
    match &req.pod {
        Some(name) => pods
            .into_iter()
            .find(|p| &p.name_any() == name)
            .ok_or_else(|| anyhow!("pod {name} is not a pod of app {}", req.app)),
        None => pods.into_iter().next().ok_or_else(|| {
            anyhow!(
                "No running pods found for app {} (only pods being deleted)",
                req.app
            )
        }),
    }
}

/// The pod's default container: the `kubectl.kubernetes.io/default-container` annotation, else
/// its only container.
pub fn default_container(pod: &Pod) -> Option<String> {
    if let Some(c) = pod
        .annotations()
        .get("kubectl.kubernetes.io/default-container")
    {
        return Some(c.clone());
    }
    match pod.spec.as_ref().map(|s| s.containers.as_slice()) {
        Some([only]) => Some(only.name.clone()),
        _ => None,
    }
}

/// The command as Dokku runs it: herokuish images get the `/exec` entrypoint.
pub fn command_for(pod: &Pod, command: &[String]) -> Vec<String> {
    let herokuish = pod
        .annotations()
        .get("dokku.com/builder-type")
        .is_some_and(|b| b == "herokuish");
    let mut out = Vec::new();
    if herokuish {
        out.push("/exec".to_string());
    }
    out.extend(command.iter().cloned());
    out
}

/// Run `req.command` in the selected pod's default container; returns the command's exit code.
pub async fn enter(client: &Client, req: &EnterRequest) -> Result<i32> {
    let pod = select_pod(client, req).await?;
    let name = pod.name_any();
    let container = default_container(&pod).ok_or_else(|| {
        anyhow!("No container specified and no default container found on pod {name}")
    })?;
    let command = command_for(&pod, &req.command);
    let api: Api<Pod> = Api::namespaced(client.clone(), &req.namespace);
    let tty = req.tty && std::io::stdin().is_terminal();
    let params = AttachParams {
        container: Some(container.clone()),
        stdin: tty,
        stdout: true,
        stderr: !tty,
        tty,
        ..AttachParams::default()
    };
    let proc = api
        .exec(&name, command.clone(), &params)
        .await
        .map_err(describe)
        .with_context(|| format!("exec {command:?} in pod {name} container {container}"))?;
    pump(proc, tty).await
}

/// Connect a local terminal (or plain stdout/stderr) to an exec'd or attached process until it
/// ends; returns the exit code the API server reports (0 when it reports none).
pub async fn pump(proc: kube::api::AttachedProcess, tty: bool) -> Result<i32> {
    pump_counting(proc, tty, tty).await.map(|(code, _)| code)
}

/// [`pump`], also returning how many bytes of output arrived (an attach that came after the
/// process finished gets none). `forward_stdin` copies this process's stdin to the remote one
/// and closes it at EOF.
pub async fn pump_counting(
    mut proc: kube::api::AttachedProcess,
    tty: bool,
    forward_stdin: bool,
) -> Result<(i32, u64)> {
    let _raw = if tty { RawTerminal::enable() } else { None };
    let status = proc.take_status();
    let mut stdout = proc.stdout();
    let mut stderr = proc.stderr();
    let stdin_task = if forward_stdin {
        proc.stdin().map(|mut w| {
            tokio::spawn(async move {
                let mut input = tokio::io::stdin();
                let _ = tokio::io::copy(&mut input, &mut w).await;
                // End of input: the remote process reads EOF.
                let _ = w.shutdown().await;
            })
        })
    } else {
        None
    };
    let out_copy = async {
        let mut n = 0;
        if let Some(r) = stdout.as_mut() {
            let mut out = tokio::io::stdout();
            n = tokio::io::copy(r, &mut out).await?;
            out.flush().await?;
        }
        Ok::<u64, std::io::Error>(n)
    };
    let err_copy = async {
        let mut n = 0;
        if let Some(r) = stderr.as_mut() {
            let mut err = tokio::io::stderr();
            n = tokio::io::copy(r, &mut err).await?;
        }
        Ok::<u64, std::io::Error>(n)
    };
    let (o, e) = tokio::join!(out_copy, err_copy);
    let bytes = o.context("copying the command's output")?
        + e.context("copying the command's error output")?;
    let code = match status {
        Some(s) => exit_code_of(s.await),
        None => 0,
    };
    if let Some(t) = stdin_task {
        t.abort();
    }
    let _ = proc.join().await;
    Ok((code, bytes))
}

/// Exit code from the exec status the API server sends at the end.
fn exit_code_of(status: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>) -> i32 {
    let Some(s) = status else { return 0 };
    if s.status.as_deref() == Some("Success") {
        return 0;
    }
    let from_cause = s
        .details
        .and_then(|d| d.causes)
        .into_iter()
        .flatten()
        .find(|c| c.reason.as_deref() == Some("ExitCode"))
        .and_then(|c| c.message)
        .and_then(|m| m.parse().ok());
    // Some runtimes (kwok's local exec) only say "... exit status N" in the message.
    from_cause
        .or_else(|| s.message.as_deref().and_then(trailing_exit_status))
        .unwrap_or(1)
}

/// `N` from a message ending in `exit status N` / `exit code N`.
fn trailing_exit_status(message: &str) -> Option<i32> {
    let lower = message.to_ascii_lowercase();
    let at = lower
        .rfind("exit status ")
        .map(|i| i + 12)
        .or_else(|| lower.rfind("exit code ").map(|i| i + 10))?;
    let digits: String = lower[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Puts the local terminal in raw mode for an interactive session; restores it on drop.
struct RawTerminal {
    saved: libc::termios,
}

impl RawTerminal {
    fn enable() -> Option<RawTerminal> {
        // SAFETY: tcgetattr/tcsetattr on stdin with a properly sized, initialised termios.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut t) != 0 {
                return None;
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t) != 0 {
                return None;
            }
            Some(RawTerminal { saved })
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // SAFETY: restores the attributes read in `enable`.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_from_message() {
        assert_eq!(
            trailing_exit_status("error executing command: sh -c exit 3: exit status 3"),
            Some(3)
        );
        assert_eq!(
            trailing_exit_status("command terminated with exit code 42"),
            Some(42)
        );
        assert_eq!(trailing_exit_status("boom"), None);
    }
}
