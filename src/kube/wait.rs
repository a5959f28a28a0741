//! Wait, by watching, until an app's Deployments are rolled out, with a deadline.
//!
//! Deployments and their pods are watched together: Deployments decide completion (see
//! [`super::rollout`]), pods explain what is not ready yet (image pull error, crash loop,
//! unschedulable), shown per process type on stderr. A rollout is done only once every pod of the
//! new template has stayed Ready for the stability window, and fails at once when one of them keeps
//! crashing ([`super::pod_health`]); a failure carries the kubelet's evidence ([`super::evidence`]).

use std::collections::BTreeMap;
use std::time::Duration;

use super::watch::{self, Either, Live};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};

use super::evidence;
use super::pod_health;
use super::rollout::{self, Rollout};
use crate::progress::{Reporter, RolloutPhase, RolloutProgress};

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

/// How often a waiting rollout's lines are redone (with the time taken so far).
const TICK: Duration = Duration::from_secs(10);

/// `[20s of 5m]`: the time taken, in whole 10 s steps, and the deadline.
fn elapsed_of(elapsed: Duration, timeout: Duration) -> String {
    let steps = elapsed.as_secs() / TICK.as_secs() * TICK.as_secs();
    format!("[{} of {}]", short(steps), short(timeout.as_secs()))
}

/// `90` → `1m30s`, `300` → `5m`, `45` → `45s`.
fn short(secs: u64) -> String {
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// Watch the Deployments in `targets` (and the pods matching `selector`) in `ns` until every
/// one is rolled out, a Deployment fails, or `timeout` passes.
pub async fn wait_rollout(
    client: &Client,
    ns: &str,
    selector: &str,
    targets: &[Target],
    timeout: Duration,
    progress: &dyn Reporter,
) -> Result<(), WaitFailure> {
    if targets.is_empty() {
        return Ok(());
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let cfg = watcher::Config::default().labels(selector);
    let events = watch::pair((deployments, cfg.clone()), (pods, cfg));
    let mut events = std::pin::pin!(events);
    let mut live_deps: Live<Deployment> = Live::default();
    let mut live_pods: Live<Pod> = Live::default();
    let mut api_error: Option<String> = None;
    let deadline = tokio::time::sleep(timeout);
    let mut deadline = std::pin::pin!(deadline);
    // Set while new pods are Ready but not yet for the stability window: no event may come.
    let mut recheck: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    // The lines say how long this has taken, in 10 s steps, so a log without a terminal gets a
    // line at least every 10 s while a rollout waits.
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval_at(started + TICK, TICK);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut deadline => {
                let mut pending = describe_pending(targets, live_deps.map(), live_pods.map(), api_error.as_deref());
                progress.close();
                with_evidence(client, targets, live_deps.map(), live_pods.map(), &mut pending).await;
                return Err(WaitFailure { timed_out: true, pending });
            }
            _ = async { recheck.as_mut().expect("guarded").await }, if recheck.is_some() => {
                recheck = None;
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
                        match seen {
                            Either::First(ev) => live_deps.apply(*ev),
                            Either::Second(ev) => live_pods.apply(*ev),
                        }
                    }
                }
            }
        }
        let mut all_done = true;
        let mut failed = Vec::new();
        let mut wait_more: Option<Duration> = None;
        let clock = elapsed_of(started.elapsed(), timeout);
        for t in targets {
            let seen = target_state(t, live_deps.map(), live_pods.map());
            if let Some(left) = seen.left {
                wait_more = Some(wait_more.map_or(left, |w| w.max(left)));
            }
            let phase = match &seen.state {
                Some(Rollout::Complete) => RolloutPhase::Ready,
                Some(Rollout::Failed(why)) => {
                    failed.push((t.process_type.clone(), why.clone()));
                    RolloutPhase::Failed
                }
                Some(Rollout::InProgress(_)) => RolloutPhase::Rolling,
                // Not seen yet (the watch is still listing): nothing worth showing.
                None => {
                    all_done = false;
                    continue;
                }
            };
            all_done &= phase == RolloutPhase::Ready;
            let text = if phase == RolloutPhase::Ready {
                seen.text
            } else {
                format!("{} {clock}", seen.text)
            };
            progress.rollout(&RolloutProgress {
                item: t.process_type.clone(),
                object: format!("Deployment/{}", t.deployment),
                phase,
                ready: seen.counts.ready.min(seen.counts.desired),
                desired: seen.counts.desired,
                updated: seen.counts.updated,
                reason: seen.reason,
                elapsed: started.elapsed(),
                deadline: timeout,
                text,
            });
        }
        if !failed.is_empty() {
            progress.close();
            with_evidence(
                client,
                targets,
                live_deps.map(),
                live_pods.map(),
                &mut failed,
            )
            .await;
            return Err(WaitFailure {
                timed_out: false,
                pending: failed,
            });
        }
        if recheck.is_none()
            && let Some(left) = wait_more
        {
            recheck = Some(Box::pin(tokio::time::sleep(left)));
        }
        if all_done {
            progress.close();
            return Ok(());
        }
    }
}

/// Rollout state of one target, the progress text for it, and how long to wait (without any
/// event) before its new pods have been Ready for the stability window.
/// What the wait knows of one target after an event.
struct TargetState {
    /// `None` until the Deployment is seen.
    state: Option<Rollout>,
    text: String,
    /// How much longer the new pods must stay ready.
    left: Option<Duration>,
    counts: rollout::Counts,
    reason: Option<String>,
}

fn target_state(
    t: &Target,
    deps: &BTreeMap<String, Deployment>,
    pods: &BTreeMap<String, Pod>,
) -> TargetState {
    let Some(d) = deps.get(&t.deployment) else {
        return TargetState {
            state: None,
            text: "waiting for the deployment to appear".into(),
            left: None,
            counts: rollout::Counts::default(),
            reason: None,
        };
    };
    let new_pods: Vec<&Pod> = pods
        .values()
        .filter(|p| pod_health::runs_current_template(d, p))
        .collect();
    let c = rollout::counts(d);
    if let Some(crash) = new_pods.iter().find_map(|p| pod_health::crash(p)) {
        let text = format!("{}/{} ready, {crash}", c.ready.min(c.desired), c.desired);
        return TargetState {
            state: Some(Rollout::Failed(crash.to_string())),
            text,
            left: None,
            counts: c,
            reason: Some(crash.to_string()),
        };
    }
    let mut state = rollout::rollout(d);
    let mut left = None;
    if state == Rollout::Complete
        && let Some(wait) =
            pod_health::unstable_for(d, new_pods.iter().copied(), jiff::Timestamp::now())
    {
        left = Some(wait);
        state = Rollout::InProgress(format!(
            "waiting for the new pods to stay ready for {}s",
            pod_health::stable_window(d).as_secs()
        ));
    }
    // Old pods still Ready while terminating are counted by the Deployment: never show more
    // ready than desired.
    let ready = c.ready.min(c.desired);
    let (text, reason) = match &state {
        Rollout::Complete => (format!("{ready}/{} ready", c.desired), None),
        Rollout::InProgress(why) | Rollout::Failed(why) => {
            let mut reason = why.clone();
            if let Some(pod) = pod_reason(d, pods) {
                reason.push_str(&format!(" ({pod})"));
            }
            (
                format!("{ready}/{} ready, {reason}", c.desired),
                Some(reason),
            )
        }
    };
    TargetState {
        state: Some(state),
        text,
        left,
        counts: c,
        reason,
    }
}

/// [`add_evidence`], bounded: a failure is already decided, so an API server that stopped
/// answering must not hold it back (what was read by then is kept).
async fn with_evidence(
    client: &Client,
    targets: &[Target],
    deps: &BTreeMap<String, Deployment>,
    pods: &BTreeMap<String, Pod>,
    pending: &mut [(String, String)],
) {
    let gather = add_evidence(client, targets, deps, pods, pending);
    let _ = tokio::time::timeout(EVIDENCE_TIMEOUT, gather).await;
}

/// How long a failed rollout may spend reading events and logs for its message.
const EVIDENCE_TIMEOUT: Duration = Duration::from_secs(10);

/// Appends to each failed process type's text the evidence of (at most two of) its new pods that
/// are not ready: Warning events and last log lines.
async fn add_evidence(
    client: &Client,
    targets: &[Target],
    deps: &BTreeMap<String, Deployment>,
    pods: &BTreeMap<String, Pod>,
    pending: &mut [(String, String)],
) {
    for (process_type, text) in pending.iter_mut() {
        let Some(d) = targets
            .iter()
            .find(|t| &t.process_type == process_type)
            .and_then(|t| deps.get(&t.deployment))
        else {
            continue;
        };
        let failing = pods
            .values()
            .filter(|p| pod_health::runs_current_template(d, p))
            .filter(|p| pod_health::ready_since(p).is_none())
            .take(2);
        for pod in failing {
            for line in evidence::pod_evidence(client, pod).await {
                text.push_str("; ");
                text.push_str(&line);
            }
        }
    }
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
            TargetState {
                state: Some(Rollout::Complete),
                ..
            } => None,
            TargetState { text, .. } => Some((t.process_type.clone(), text)),
        })
        .collect();
    if let Some(e) = api_error {
        out.push(("api".into(), e.to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_in_ten_second_steps() {
        let t = |e: u64, d: u64| elapsed_of(Duration::from_secs(e), Duration::from_secs(d));
        assert_eq!(t(19, 300), "[10s of 5m]");
        assert_eq!(t(95, 90), "[1m30s of 1m30s]");
        assert_eq!(t(0, 60), "[0s of 1m]");
    }
}
