//! Nodes through the Kubernetes API: what `cluster-list` shows (pure, from a `Node`), waiting for
//! a node to become Ready, labelling, and `cluster-remove`'s cordon → drain → delete.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, EvictParams, ListParams, Patch, PatchParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Client, ResourceExt};
use serde::Serialize;
use serde_json::json;

use crate::cluster::k3s::{ANNOTATION_REMOTE_HOST, LABEL_CONTROL_PLANE, NodeRole};

/// One row of `cluster-list`. The first five keys are Dokku's (Go field names), the rest berth's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Ready")]
    pub ready: bool,
    #[serde(rename = "Roles")]
    pub roles: Vec<String>,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "RemoteHost")]
    pub remote_host: String,
    #[serde(rename = "InternalIP")]
    pub internal_ip: String,
    #[serde(rename = "Taints")]
    pub taints: Vec<String>,
    #[serde(rename = "Schedulable")]
    pub schedulable: bool,
}

/// Roles from the node's labels: `kubernetes.io/role`, else every `node-role.kubernetes.io/<r>`
/// label with a non-empty value other than `false` (the original shows only `"true"` values, so
/// Dokku's own `…/worker=worker` label showed no role).
pub fn node_roles(node: &Node) -> Vec<String> {
    let labels = node.labels();
    if let Some(role) = labels.get("kubernetes.io/role").filter(|r| !r.is_empty()) {
        return vec![role.clone()];
    }
    let mut roles: Vec<String> = labels
        .iter()
        .filter(|(_, v)| !v.is_empty() && v.as_str() != "false")
        .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    roles.sort();
    roles
}

/// Whether the node runs the k3s control plane.
pub fn is_server(node: &Node) -> bool {
    node.labels()
        .get(LABEL_CONTROL_PLANE)
        .is_some_and(|v| v == "true")
}

/// The node's role in berth's terms.
pub fn node_role(node: &Node) -> NodeRole {
    if is_server(node) {
        NodeRole::Server
    } else {
        NodeRole::Worker
    }
}

/// Whether the node's `Ready` condition is `True`.
pub fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The `cluster-list` row of a node.
pub fn node_info(node: &Node) -> NodeInfo {
    let status = node.status.as_ref();
    let internal_ip = status
        .and_then(|s| s.addresses.as_ref())
        .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
        .map(|a| a.address.clone())
        .unwrap_or_default();
    let spec = node.spec.as_ref();
    let taints = spec
        .and_then(|s| s.taints.as_ref())
        .map(|ts| {
            ts.iter()
                .map(|t| match &t.value {
                    Some(v) if !v.is_empty() => format!("{}={v}:{}", t.key, t.effect),
                    _ => format!("{}:{}", t.key, t.effect),
                })
                .collect()
        })
        .unwrap_or_default();
    NodeInfo {
        name: node.name_any(),
        ready: is_ready(node),
        roles: node_roles(node),
        version: status
            .and_then(|s| s.node_info.as_ref())
            .map(|i| i.kubelet_version.clone())
            .unwrap_or_default(),
        remote_host: node
            .annotations()
            .get(ANNOTATION_REMOTE_HOST)
            .cloned()
            .unwrap_or_default(),
        internal_ip,
        taints,
        schedulable: !spec.and_then(|s| s.unschedulable).unwrap_or(false),
    }
}

/// Every node, sorted by name.
pub async fn list(client: &Client) -> Result<Vec<Node>> {
    let mut nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .context("cannot list the cluster's nodes")?
        .items;
    nodes.sort_by_key(|n| n.name_any());
    Ok(nodes)
}

/// Kubelet versions of the server nodes (what a joining node must not run ahead of).
pub fn server_versions(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| is_server(n))
        .filter_map(|n| n.status.as_ref()?.node_info.as_ref())
        .map(|i| i.kubelet_version.clone())
        .collect()
}

/// Watch until node `name` exists and is Ready, or fail after `timeout` saying what was seen.
pub async fn wait_ready(client: &Client, name: &str, timeout: Duration) -> Result<Node> {
    let api = Api::<Node>::all(client.clone());
    let ready = |n: Option<&Node>| n.is_some_and(is_ready);
    match tokio::time::timeout(timeout, await_condition(api.clone(), name, ready)).await {
        Ok(Ok(Some(node))) => Ok(node),
        Ok(Ok(None)) => bail!("node {name} disappeared while waiting for it to become Ready"),
        Ok(Err(e)) => Err(anyhow!("watching node {name} failed: {e}")),
        Err(_) => {
            let seen = match api.get_opt(name).await {
                Ok(Some(_)) => {
                    "it exists but is not Ready (check the k3s service on that host: journalctl -u k3s / k3s-agent)"
                }
                Ok(None) => {
                    "it never registered (check the installer output above and that the host reaches the server on port 6443)"
                }
                Err(_) => "the API server did not answer",
            };
            bail!(
                "node {name} was not Ready within {}s: {seen}",
                timeout.as_secs()
            )
        }
    }
}

/// Merge `labels` and `annotations` into the node's metadata.
pub async fn label(
    client: &Client,
    name: &str,
    labels: &BTreeMap<String, String>,
    annotations: &BTreeMap<String, String>,
) -> Result<()> {
    let patch = json!({"metadata": {"labels": labels, "annotations": annotations}});
    Api::<Node>::all(client.clone())
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("cannot label node {name}"))?;
    Ok(())
}

/// Mark the node unschedulable.
pub async fn cordon(client: &Client, name: &str) -> Result<()> {
    let patch = json!({"spec": {"unschedulable": true}});
    Api::<Node>::all(client.clone())
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .with_context(|| format!("cannot cordon node {name}"))?;
    Ok(())
}

/// Pods `kubectl drain` evicts: everything on the node except DaemonSet pods (they would come
/// straight back) and static/mirror pods (the kubelet owns them).
fn must_evict(pod: &Pod) -> bool {
    let daemonset = pod.owner_references().iter().any(|o| o.kind == "DaemonSet");
    let mirror = pod
        .annotations()
        .contains_key("kubernetes.io/config.mirror");
    !daemonset && !mirror
}

fn pod_key(pod: &Pod) -> String {
    format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any())
}

/// Evict every pod of node `name` through the Eviction API (so PodDisruptionBudgets are
/// respected: a blocked eviction is retried) and watch until they are gone, all within
/// `timeout`. `log` gets one line per step. `client` must not retry 429 answers itself
/// (`kube::client::connect_client_with_retry(.., false)`), or a blocked eviction outlives the deadline.
pub async fn drain(
    client: &Client,
    name: &str,
    timeout: Duration,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let all_pods = Api::<Pod>::all(client.clone());
    let on_node = ListParams::default().fields(&format!("spec.nodeName={name}"));
    let pods: Vec<Pod> = all_pods
        .list(&on_node)
        .await
        .with_context(|| format!("cannot list the pods of node {name}"))?
        .items
        .into_iter()
        .filter(must_evict)
        .collect();
    if pods.is_empty() {
        log(&format!("no pods to evict from {name}"));
        return Ok(());
    }
    log(&format!("evicting {} pod(s) from {name}", pods.len()));
    let mut pending: Vec<Pod> = pods;
    let mut blocked_reason: BTreeMap<String, String> = BTreeMap::new();
    let mut evicted: Vec<Pod> = Vec::new();
    while !pending.is_empty() {
        let mut still_blocked = Vec::new();
        for pod in pending {
            let api = Api::<Pod>::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
            match api.evict(&pod.name_any(), &EvictParams::default()).await {
                Ok(_) => {
                    log(&format!("evicted {}", pod_key(&pod)));
                    blocked_reason.remove(&pod_key(&pod));
                    evicted.push(pod);
                }
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(kube::Error::Api(s)) if s.code == 429 => {
                    if !blocked_reason.contains_key(&pod_key(&pod)) {
                        log(&format!(
                            "{}: eviction blocked by a PodDisruptionBudget, retrying ({})",
                            pod_key(&pod),
                            s.message
                        ));
                    }
                    blocked_reason.insert(pod_key(&pod), s.message.clone());
                    still_blocked.push(pod);
                }
                Err(e) => {
                    return Err(anyhow!("cannot evict {}: {e}", pod_key(&pod)));
                }
            }
        }
        pending = still_blocked;
        if pending.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            let names: Vec<String> = pending.iter().map(pod_key).collect();
            bail!(
                "draining node {name} timed out after {}s: {} still blocked by a PodDisruptionBudget ({}); the node stays cordoned — relax the budget or scale the app, then run cluster-remove again",
                timeout.as_secs(),
                names.join(", "),
                blocked_reason.values().next().cloned().unwrap_or_default()
            );
        }
        // The disruption budget changes only when other pods become Ready elsewhere; retry the
        // blocked evictions at the pace kubectl drain uses.
        tokio::time::sleep(Duration::from_secs(5).min(deadline - Instant::now())).await;
    }
    log(&format!(
        "waiting for {} evicted pod(s) to terminate",
        evicted.len()
    ));
    let waits = evicted.iter().map(|pod| {
        let api = Api::<Pod>::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
        let uid = pod.uid().unwrap_or_default();
        let name = pod.name_any();
        async move { await_condition(api, &name, conditions::is_deleted(&uid)).await }
    });
    let remaining = deadline.saturating_duration_since(Instant::now());
    let gone = tokio::time::timeout(
        remaining,
        futures::stream::iter(waits)
            .buffer_unordered(16)
            .collect::<Vec<_>>(),
    )
    .await;
    match gone {
        Ok(results) => {
            for r in results {
                r.map_err(|e| anyhow!("watching evicted pods failed: {e}"))?;
            }
            Ok(())
        }
        Err(_) => {
            let left: Vec<String> = all_pods
                .list(&on_node)
                .await
                .map(|l| {
                    l.items
                        .iter()
                        .filter(|p| must_evict(p))
                        .map(pod_key)
                        .collect()
                })
                .unwrap_or_default();
            bail!(
                "draining node {name} timed out after {}s: pods still terminating: {}; the node stays cordoned",
                timeout.as_secs(),
                left.join(", ")
            )
        }
    }
}

/// Delete the Node object.
pub async fn delete(client: &Client, name: &str) -> Result<()> {
    match Api::<Node>::all(client.clone())
        .delete(name, &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(anyhow!("cannot delete node {name}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(yaml: &str) -> Node {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn rows_show_roles_taints_and_remote_host() {
        let n = node(
            r#"
metadata:
  name: ip-10-0-0-2-abc
  labels:
    node-role.kubernetes.io/control-plane: "true"
    node-role.kubernetes.io/etcd: "true"
    node-role.kubernetes.io/master: "false"
  annotations:
    dokku.com/remote-host: ssh://root@10.0.0.2
spec:
  unschedulable: true
  taints:
  - {key: CriticalAddonsOnly, value: "true", effect: NoSchedule}
  - {key: node.kubernetes.io/unschedulable, effect: NoSchedule}
status:
  addresses: [{type: InternalIP, address: 10.0.0.2}]
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: v1.31.4+k3s1, architecture: amd64, bootID: "", containerRuntimeVersion: "", kernelVersion: "", kubeProxyVersion: "", machineID: "", operatingSystem: linux, osImage: "", systemUUID: ""}
"#,
        );
        let info = node_info(&n);
        assert_eq!(info.roles, vec!["control-plane", "etcd"]);
        assert!(info.ready && !info.schedulable);
        assert_eq!(
            info.taints,
            vec![
                "CriticalAddonsOnly=true:NoSchedule",
                "node.kubernetes.io/unschedulable:NoSchedule"
            ]
        );
        assert_eq!(info.remote_host, "ssh://root@10.0.0.2");
        assert_eq!(info.version, "v1.31.4+k3s1");
        assert_eq!(node_role(&n), NodeRole::Server);
        let worker = node(
            "metadata: {name: w, labels: {node-role.kubernetes.io/worker: worker}}\nstatus: {conditions: [{type: Ready, status: \"False\"}]}\n",
        );
        assert_eq!(node_info(&worker).roles, vec!["worker"]);
        assert!(!node_info(&worker).ready);
        assert_eq!(node_role(&worker), NodeRole::Worker);
    }
}
