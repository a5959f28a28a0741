//! Wait, by watching, until an app's Deployments are rolled out, with a deadline.
//!
//! Deployments and their pods are watched together: Deployments decide completion (see
//! [`super::rollout`]), pods explain what is not ready yet (image pull error, crash loop,
//! unschedulable), shown per process type on stderr.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::{StreamExt, stream};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};

use super::progress::Progress;
use super::rollout::{self, Rollout};

/// A Deployment to wait for and the process type it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub deployment: String,
    pub process_type: String,
}

/// Why waiting ended without every Deployment rolled out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitFailure {
    /// True when the deadline passed; false when a Deployment failed outright.
    pub timed_out: bool,
    /// `(process type, what is missing)` for each Deployment not rolled out.
    pub pending: Vec<(String, String)>,
}

impl std::fmt::Display for WaitFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = self
            .pending
            .iter()
            .map(|(p, why)| format!("{p}: {why}"))
            .collect::<Vec<_>>()
            .join("; ");
        if self.timed_out {
            write!(f, "timed out waiting for the rollout ({what})")
        } else {
            write!(f, "rollout failed ({what})")
        }
    }
}

enum Seen {
    Deployment(watcher::Event<Deployment>),
    Pod(watcher::Event<Pod>),
}

/// Watch the Deployments in `targets` (and the pods matching `selector`) in `ns` until every
/// one is rolled out, a Deployment fails, or `timeout` passes.
pub async fn wait_rollout(
    client: &Client,
    ns: &str,
    selector: &str,
    targets: &[Target],
    timeout: Duration,
    progress: &mut Progress,
) -> Result<(), WaitFailure> {
    if targets.is_empty() {
        return Ok(());
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let cfg = watcher::Config::default().labels(selector);
    let events = stream::select(
        watcher(deployments, cfg.clone())
            .default_backoff()
            .map(|e| e.map(Seen::Deployment)),
        watcher(pods, cfg)
            .default_backoff()
            .map(|e| e.map(Seen::Pod)),
    );
    let mut events = std::pin::pin!(events);
    let mut live_deps: BTreeMap<String, Deployment> = BTreeMap::new();
    let mut live_pods: BTreeMap<String, Pod> = BTreeMap::new();
    let mut api_error: Option<String> = None;
    let deadline = tokio::time::sleep(timeout);
    let mut deadline = std::pin::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => {
                let pending = describe_pending(targets, &live_deps, &live_pods, api_error.as_deref());
                progress.close();
                return Err(WaitFailure { timed_out: true, pending });
            }
            ev = events.next() => {
                match ev {
                    None => {
                        return Err(WaitFailure {
                            timed_out: false,
                            pending: vec![("watch".into(), "the watch stream ended".into())],
                        });
                    }
                    Some(Err(e)) => api_error = Some(e.to_string()),
                    Some(Ok(seen)) => {
                        api_error = None;
                        apply_event(seen, &mut live_deps, &mut live_pods);
                    }
                }
            }
        }
        let mut all_done = true;
        let mut failed = Vec::new();
        for t in targets {
            let (state, text) = target_state(t, &live_deps, &live_pods);
            match state {
                Some(Rollout::Complete) => progress.finish(&t.process_type, &text),
                Some(Rollout::Failed(why)) => {
                    all_done = false;
                    failed.push((t.process_type.clone(), why));
                    progress.update(&t.process_type, &text);
                }
                Some(Rollout::InProgress(_)) => {
                    all_done = false;
                    progress.update(&t.process_type, &text);
                }
                // Not seen yet (the watch is still listing): nothing worth showing.
                None => all_done = false,
            }
        }
        if !failed.is_empty() {
            progress.close();
            return Err(WaitFailure {
                timed_out: false,
                pending: failed,
            });
        }
        if all_done {
            progress.close();
            return Ok(());
        }
    }
}

fn apply_event(
    seen: Seen,
    deps: &mut BTreeMap<String, Deployment>,
    pods: &mut BTreeMap<String, Pod>,
) {
    match seen {
        Seen::Deployment(ev) => apply_to(ev, deps),
        Seen::Pod(ev) => apply_to(ev, pods),
    }
}

fn apply_to<K: kube::Resource>(ev: watcher::Event<K>, map: &mut BTreeMap<String, K>) {
    match ev {
        watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
            map.insert(o.name_any(), o);
        }
        watcher::Event::Delete(o) => {
            map.remove(&o.name_any());
        }
        watcher::Event::Init => map.clear(),
        watcher::Event::InitDone => {}
    }
}

/// Rollout state of one target and the progress text for it.
fn target_state(
    t: &Target,
    deps: &BTreeMap<String, Deployment>,
    pods: &BTreeMap<String, Pod>,
) -> (Option<Rollout>, String) {
    let Some(d) = deps.get(&t.deployment) else {
        return (None, "waiting for the deployment to appear".into());
    };
    let state = rollout::rollout(d);
    let c = rollout::counts(d);
    let text = match &state {
        Rollout::Complete => format!("{}/{} ready", c.ready, c.desired),
        Rollout::InProgress(why) | Rollout::Failed(why) => {
            let mut text = format!("{}/{} ready, {why}", c.ready, c.desired);
            if let Some(reason) = pod_reason(d, pods) {
                text.push_str(&format!(" ({reason})"));
            }
            text
        }
    };
    (Some(state), text)
}

/// The reason the first unready pod of Deployment `d` gives, prefixed with its name.
fn pod_reason(d: &Deployment, pods: &BTreeMap<String, Pod>) -> Option<String> {
    let selector = d
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.clone())
        .unwrap_or_default();
    pods.values()
        .filter(|p| {
            let labels = p.labels();
            !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        })
        .find_map(|p| rollout::pod_not_ready_reason(p).map(|r| format!("{}: {r}", p.name_any())))
}

fn describe_pending(
    targets: &[Target],
    deps: &BTreeMap<String, Deployment>,
    pods: &BTreeMap<String, Pod>,
    api_error: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = targets
        .iter()
        .filter_map(|t| match target_state(t, deps, pods) {
            (Some(Rollout::Complete), _) => None,
            (_, text) => Some((t.process_type.clone(), text)),
        })
        .collect();
    if let Some(e) = api_error {
        out.push(("api".into(), e.to_owned()));
    }
    out
}
