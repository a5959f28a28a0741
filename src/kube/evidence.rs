//! The kubelet's own evidence for a pod that is not becoming ready: its Warning events (probe
//! failures, pull errors, back-off) and the last log lines of its containers (`--previous` when
//! a container restarted). Attached to a failed rollout so the user sees why without a second
//! command.

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, LogParams};
use kube::{Client, ResourceExt};

/// Log lines shown per container.
const LOG_LINES: i64 = 5;
/// Distinct Warning event messages shown per pod.
const EVENTS: usize = 3;

/// One line per piece of evidence about `pod`, newest events first, then log tails. Errors
/// reading either are left out: the evidence only adds to a failure already decided.
pub async fn pod_evidence(client: &Client, pod: &Pod) -> Vec<String> {
    let ns = pod.namespace().unwrap_or_default();
    let name = pod.name_any();
    let mut out = Vec::new();
    let events: Api<Event> = Api::namespaced(client.clone(), &ns);
    if let Ok(list) = events
        .list(&ListParams::default().fields(&format!("involvedObject.name={name},type=Warning")))
        .await
    {
        let mut items = list.items;
        items.sort_by_key(|e| {
            std::cmp::Reverse(
                e.last_timestamp
                    .as_ref()
                    .map(|t| t.0)
                    .or(e.event_time.as_ref().map(|t| t.0)),
            )
        });
        let mut seen: Vec<String> = Vec::new();
        for e in items {
            let text = format!(
                "{}: {}",
                e.reason.unwrap_or_default(),
                e.message.unwrap_or_default().trim()
            );
            if !seen.contains(&text) {
                seen.push(text);
            }
            if seen.len() == EVENTS {
                break;
            }
        }
        out.extend(seen.into_iter().map(|t| format!("{name} event {t}")));
    }
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    for cs in pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.clone())
        .unwrap_or_default()
    {
        let previous = cs.restart_count > 0;
        let params = LogParams {
            container: Some(cs.name.clone()),
            previous,
            tail_lines: Some(LOG_LINES),
            ..LogParams::default()
        };
        let Ok(text) = pods.logs(&name, &params).await else {
            continue;
        };
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if !lines.is_empty() {
            let which = if previous { "previous " } else { "" };
            out.push(format!(
                "last log lines of {name} ({which}container {}): {}",
                cs.name,
                lines.join(" | ")
            ));
        }
    }
    out
}
