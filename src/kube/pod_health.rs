//! Is a real pod healthy, or is it going to be? Pure functions over the pods a watch delivers,
//! used by the rollout wait (see `super::wait`).
//!
//! kwok's pods are Ready at once and stay so; a real kubelet's are not: a container that exits at
//! once is Ready for a few milliseconds, and old pods stay Ready while they terminate. So a
//! rollout counts only the pods of the Deployment's *current* template, each Ready for a
//! stability window with no container waiting or exited, and fails early when one of them
//! keeps crashing.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

/// How long every new pod must stay Ready, with no container restart, before a rollout counts
/// as done when the Deployment sets no `minReadySeconds` (app.json `uptime` sets it): long
/// enough for the kubelet to report a container that exits right after starting.
pub const DEFAULT_STABLE_WINDOW: Duration = Duration::from_secs(3);

/// Restarts of one container of a new pod after which the rollout fails without waiting for
/// `deploy-timeout`.
pub const MAX_RESTARTS: i32 = 2;

/// The stability window for Deployment `d`: its `minReadySeconds` when set, the default otherwise.
pub fn stable_window(d: &Deployment) -> Duration {
    match d.spec.as_ref().and_then(|s| s.min_ready_seconds) {
        Some(s) if s > 0 => Duration::from_secs(u64::try_from(s).unwrap_or(0)),
        _ => DEFAULT_STABLE_WINDOW,
    }
}

/// True when `pod` belongs to Deployment `d` (its selector) and runs `d`'s current template:
/// not terminating, every template annotation (berth stamps the deployment id and restarts
/// there) equal on the pod, and the same container images.
pub fn runs_current_template(d: &Deployment, pod: &Pod) -> bool {
    if pod.metadata.deletion_timestamp.is_some() {
        return false;
    }
    let Some(spec) = d.spec.as_ref() else {
        return false;
    };
    let selector = spec.selector.match_labels.clone().unwrap_or_default();
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    if selector.is_empty() || !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    let template = &spec.template;
    let want = template
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.clone())
        .unwrap_or_default();
    let have = pod.metadata.annotations.clone().unwrap_or_default();
    if !want.iter().all(|(k, v)| have.get(k) == Some(v)) {
        return false;
    }
    let images = |containers: &[k8s_openapi::api::core::v1::Container]| -> Vec<Option<String>> {
        containers.iter().map(|c| c.image.clone()).collect()
    };
    let template_images = images(
        template
            .spec
            .as_ref()
            .map(|s| s.containers.as_slice())
            .unwrap_or_default(),
    );
    let pod_images = images(
        pod.spec
            .as_ref()
            .map(|s| s.containers.as_slice())
            .unwrap_or_default(),
    );
    template_images == pod_images
}

/// A container of a new pod that keeps crashing, as the kubelet reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash {
    pub pod: String,
    pub container: String,
    pub restarts: i32,
    /// e.g. `exit code 1 (Error)`, `exit code 137 (OOMKilled), signal 9`.
    pub last_exit: String,
}

impl std::fmt::Display for Crash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let times = if self.restarts == 1 { "time" } else { "times" };
        write!(
            f,
            "{}: container {} keeps crashing (restarted {} {times}, last {})",
            self.pod, self.container, self.restarts, self.last_exit
        )
    }
}

/// The first container of `pod` that is in CrashLoopBackOff or has restarted
/// [`MAX_RESTARTS`] times.
pub fn crash(pod: &Pod) -> Option<Crash> {
    let status = pod.status.as_ref()?;
    status.container_statuses.iter().flatten().find_map(|cs| {
        let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
        let backoff = waiting.and_then(|w| w.reason.as_deref()) == Some("CrashLoopBackOff");
        if !backoff && cs.restart_count < MAX_RESTARTS {
            return None;
        }
        let last = cs
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .or_else(|| cs.state.as_ref().and_then(|s| s.terminated.as_ref()));
        let last_exit = match last {
            Some(t) => {
                let mut text = format!("exit code {}", t.exit_code);
                if let Some(r) = t.reason.as_deref().filter(|r| !r.is_empty()) {
                    text.push_str(&format!(" ({r})"));
                }
                if let Some(sig) = t.signal.filter(|s| *s != 0) {
                    text.push_str(&format!(", signal {sig}"));
                }
                text
            }
            None => "exit unknown".to_owned(),
        };
        Some(Crash {
            pod: pod.metadata.name.clone().unwrap_or_default(),
            container: cs.name.clone(),
            restarts: cs.restart_count,
            last_exit,
        })
    })
}

/// When `pod` became Ready, if it is Ready now with every container running.
pub fn ready_since(pod: &Pod) -> Option<Timestamp> {
    let status = pod.status.as_ref()?;
    let running = status
        .container_statuses
        .iter()
        .flatten()
        .all(|cs| cs.ready && cs.state.as_ref().is_some_and(|s| s.running.is_some()));
    if !running {
        return None;
    }
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Ready" && c.status == "True")
        .and_then(|c| c.last_transition_time.as_ref())
        .map(|t| t.0)
}

/// How much longer the rollout of `d` must wait until every new pod in `pods` has been Ready for
/// the stability window at `now`; `None` when it has (or nothing is known to wait for).
pub fn unstable_for<'a>(
    d: &Deployment,
    pods: impl IntoIterator<Item = &'a Pod>,
    now: Timestamp,
) -> Option<Duration> {
    let window = stable_window(d);
    let mut longest: Option<Duration> = None;
    for pod in pods.into_iter().filter(|p| runs_current_template(d, p)) {
        // Not Ready (yet, or any more): the Deployment's counts already say so; wait for events.
        let Some(since) = ready_since(pod) else {
            return Some(window);
        };
        let stable_at = since + window;
        if stable_at > now {
            // Ready times have second precision: round up so the recheck lands after it.
            let left = Duration::try_from(stable_at.duration_since(now)).unwrap_or(window)
                + Duration::from_millis(50);
            longest = Some(longest.map_or(left, |l| l.max(left)));
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "app-web", "generation": 2},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}, "annotations": {"app.kubernetes.io/version": "2"}},
                    "spec": {"containers": [{"name": "web", "image": "img:2"}]}
                }
            }
        }))
        .unwrap()
    }

    fn pod(version: &str, image: &str, status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": format!("app-web-{version}"), "labels": {"app": "web"},
                         "annotations": {"app.kubernetes.io/version": version}},
            "spec": {"containers": [{"name": "web", "image": image}]},
            "status": status
        }))
        .unwrap()
    }

    fn ready_at(t: &str) -> serde_json::Value {
        json!({
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": t}],
            "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0, "image": "img:2",
                                   "imageID": "", "state": {"running": {}}}]
        })
    }

    #[test]
    fn only_pods_of_the_current_template_count() {
        let d = deployment();
        assert!(runs_current_template(&d, &pod("2", "img:2", json!({}))));
        assert!(
            !runs_current_template(&d, &pod("1", "img:2", json!({}))),
            "old deployment id"
        );
        assert!(
            !runs_current_template(&d, &pod("2", "img:1", json!({}))),
            "old image"
        );
    }

    #[test]
    fn a_new_pod_must_stay_ready_for_the_window() {
        let d = deployment();
        let now: Timestamp = "2026-01-01T00:00:10Z".parse().unwrap();
        let fresh = pod("2", "img:2", ready_at("2026-01-01T00:00:09Z"));
        let left = unstable_for(&d, [&fresh], now).expect("ready 1 s ago is not stable yet");
        assert!(
            left > Duration::from_secs(1) && left <= Duration::from_secs(3),
            "{left:?}"
        );
        let settled = pod("2", "img:2", ready_at("2026-01-01T00:00:01Z"));
        assert_eq!(unstable_for(&d, [&settled], now), None);
        let old = pod("1", "img:1", ready_at("2026-01-01T00:00:09Z"));
        assert_eq!(
            unstable_for(&d, [&settled, &old], now),
            None,
            "old pods do not count"
        );
    }

    #[test]
    fn crash_loops_are_reported_with_the_exit() {
        let looping = pod(
            "2",
            "img:2",
            json!({
                "containerStatuses": [{"name": "web", "ready": false, "restartCount": 1, "image": "img:2", "imageID": "",
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}},
                    "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]
            }),
        );
        let c = crash(&looping).expect("CrashLoopBackOff is a crash");
        assert_eq!(c.last_exit, "exit code 1 (Error)");
        assert_eq!(
            c.to_string(),
            "app-web-2: container web keeps crashing (restarted 1 time, last exit code 1 (Error))"
        );
        let killed = pod(
            "2",
            "img:2",
            json!({
                "containerStatuses": [{"name": "web", "ready": false, "restartCount": 2, "image": "img:2", "imageID": "",
                    "state": {"running": {}},
                    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "signal": 9}}}]
            }),
        );
        assert_eq!(
            crash(&killed).unwrap().last_exit,
            "exit code 137 (OOMKilled), signal 9"
        );
        assert_eq!(
            crash(&pod("2", "img:2", ready_at("2026-01-01T00:00:01Z"))),
            None
        );
    }
}
