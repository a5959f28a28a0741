//! `logs`: stream the logs of an app's pods, merged, each line prefixed with its pod.

use anyhow::{Result, anyhow};
use futures::io::AsyncBufReadExt;
use futures::stream::{self, BoxStream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};
use kube::{Client, ResourceExt};

use super::errors::describe;

/// Which pods and how much of their logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsRequest {
    pub app: String,
    pub namespace: String,
    /// Only pods of this process type (`app.kubernetes.io/name`).
    pub process_type: Option<String>,
    /// Only the N-th pod (1-based, pods sorted by name) — Dokku's `P.N`.
    pub index: Option<usize>,
    /// Keep streaming new lines.
    pub follow: bool,
    /// Only the last N lines of each pod (0 = all).
    pub lines: i64,
    /// No pod prefix, no colour.
    pub quiet: bool,
    pub color: bool,
}

/// Label selector for the pods of `app` (optionally one process type).
pub fn pod_selector(app: &str, process_type: Option<&str>) -> String {
    match process_type {
        Some(p) => crate::render::selectors::process(app, p),
        None => crate::render::selectors::app(app),
    }
}

const COLORS: &[&str] = &["36", "33", "32", "35", "34", "31", "96", "93", "92", "95"];

/// The prefix Dokku puts before each line: `app[<pod>]: `, coloured by pod index.
pub fn prefix(app: &str, pod: &str, index: usize, color: bool) -> String {
    if color {
        format!(
            "\x1b[{}m{app}[{pod}]:\x1b[0m ",
            COLORS[index % COLORS.len()]
        )
    } else {
        format!("{app}[{pod}]: ")
    }
}

/// The pods `req` selects, sorted by name; errors when there are none.
pub async fn select_pods(client: &Client, req: &LogsRequest) -> Result<Vec<Pod>> {
    let api: Api<Pod> = Api::namespaced(client.clone(), &req.namespace);
    let selector = pod_selector(&req.app, req.process_type.as_deref());
    let mut pods: Vec<Pod> = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(describe)?
        .items
        .into_iter()
        // One-off run pods are not part of the app's logs.
        .filter(|p| {
            p.labels()
                .get("app.kubernetes.io/name")
                .is_none_or(|n| n != "run")
        })
        .collect();
    pods.sort_by_key(|p| p.name_any());
    if pods.is_empty() {
        return Err(anyhow!(
            "No pods found for app {}{} in namespace {}",
            req.app,
            req.process_type
                .as_deref()
                .map(|p| format!(" process type {p}"))
                .unwrap_or_default(),
            req.namespace
        ));
    }
    if let Some(n) = req.index {
        if n == 0 || n > pods.len() {
            return Err(anyhow!(
                "pod index {n} is out of range: {} has {} pod(s) (use 1-{})",
                req.app,
                pods.len(),
                pods.len()
            ));
        }
        pods = vec![pods.swap_remove(n - 1)];
    }
    Ok(pods)
}

/// A merged stream of prefixed log lines of every selected pod. Ends when every pod's stream
/// ends (never, with `follow`, until the caller stops reading).
pub async fn stream_logs(
    client: &Client,
    req: &LogsRequest,
) -> Result<BoxStream<'static, Result<String>>> {
    let pods = select_pods(client, req).await?;
    let api: Api<Pod> = Api::namespaced(client.clone(), &req.namespace);
    let mut streams = Vec::new();
    for (i, pod) in pods.iter().enumerate() {
        let name = pod.name_any();
        let container = pod
            .annotations()
            .get("kubectl.kubernetes.io/default-container")
            .cloned();
        let params = LogParams {
            follow: req.follow,
            tail_lines: (req.lines > 0).then_some(req.lines),
            container,
            ..LogParams::default()
        };
        let reader = api.log_stream(&name, &params).await.map_err(describe)?;
        // A pod being deleted (an old release in its grace period) is marked, so its lines are
        // not read as the live app's.
        let shown = if pod.metadata.deletion_timestamp.is_some() {
            format!("{name} terminating")
        } else {
            name.clone()
        };
        let pre = if req.quiet {
            String::new()
        } else {
            prefix(&req.app, &shown, i, req.color)
        };
        let lines = reader
            .lines()
            .map(move |l| l.map(|l| format!("{pre}{l}")).map_err(|e| anyhow!(e)));
        streams.push(lines.boxed());
    }
    Ok(stream::select_all(streams).boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_prefixes() {
        assert_eq!(pod_selector("a", None), "app.kubernetes.io/part-of=a");
        assert_eq!(
            pod_selector("a", Some("web")),
            "app.kubernetes.io/part-of=a,app.kubernetes.io/name=web"
        );
        assert_eq!(prefix("a", "a-web-1", 0, false), "a[a-web-1]: ");
        assert!(prefix("a", "p", 1, true).starts_with("\x1b[33m"));
    }
}
