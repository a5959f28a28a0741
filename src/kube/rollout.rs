//! When is a Deployment rolled out? Pure functions over the objects a watch delivers.
//!
//! `kube::runtime::conditions::is_deployment_completed` only looks at the `Progressing` condition,
//! which straight after an apply still describes the *previous* rollout. This follows
//! `kubectl rollout status` instead: the controller must have observed the current generation,
//! every replica must be updated and available, and no old replica may be left.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

/// Where one Deployment's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollout {
    /// Every desired replica runs the current template and is available.
    Complete,
    /// Still rolling; the text says what is missing (kubectl's wording).
    InProgress(String),
    /// The controller gave up (`ProgressDeadlineExceeded`).
    Failed(String),
}

/// Replica counts shown in the progress line of a process type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub desired: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
}

/// Replica counts of a Deployment (desired from spec, the rest from status).
pub fn counts(d: &Deployment) -> Counts {
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = d.status.as_ref();
    Counts {
        desired,
        updated: st.and_then(|s| s.updated_replicas).unwrap_or(0),
        ready: st.and_then(|s| s.ready_replicas).unwrap_or(0),
        available: st.and_then(|s| s.available_replicas).unwrap_or(0),
    }
}

/// The rollout state of a Deployment, as `kubectl rollout status` decides it.
pub fn rollout(d: &Deployment) -> Rollout {
    let name = d.metadata.name.as_deref().unwrap_or("deployment");
    let generation = d.metadata.generation.unwrap_or(0);
    let Some(status) = d.status.as_ref() else {
        return Rollout::InProgress(format!(
            "waiting for deployment {name:?} spec update to be observed"
        ));
    };
    if status.observed_generation.unwrap_or(0) < generation {
        return Rollout::InProgress(format!(
            "waiting for deployment {name:?} spec update to be observed"
        ));
    }
    if let Some(cond) = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Progressing")
        && cond.reason.as_deref() == Some("ProgressDeadlineExceeded")
    {
        return Rollout::Failed(format!(
            "deployment {name:?} exceeded its progress deadline"
        ));
    }
    let c = counts(d);
    let total = status.replicas.unwrap_or(0);
    if c.updated < c.desired {
        return Rollout::InProgress(format!(
            "{} out of {} new replicas have been updated",
            c.updated, c.desired
        ));
    }
    if total > c.updated {
        return Rollout::InProgress(format!(
            "{} old replicas are pending termination",
            total - c.updated
        ));
    }
    if c.available < c.updated {
        return Rollout::InProgress(format!(
            "{} of {} updated replicas are available",
            c.available, c.updated
        ));
    }
    Rollout::Complete
}

/// Why a pod is not ready, in a few words a user can act on; `None` when it is ready.
///
/// Order matters: a container's waiting reason (image pull error, crash loop) is more useful
/// than the pod's generic `Ready=False`, and an unschedulable pod has no containers yet.
pub fn pod_not_ready_reason(pod: &Pod) -> Option<String> {
    // A pod being deleted is not live, even while it is still Ready in its grace period.
    if pod.metadata.deletion_timestamp.is_some() {
        return Some("terminating".into());
    }
    let status = pod.status.as_ref()?;
    let conditions = status.conditions.as_deref().unwrap_or_default();
    let ready = conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    if ready {
        return None;
    }
    for cs in status.container_statuses.iter().flatten() {
        if let Some(w) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            let reason = w.reason.clone().unwrap_or_else(|| "waiting".into());
            return Some(match &w.message {
                Some(m) if !m.is_empty() => format!("{reason}: {m}"),
                _ => reason,
            });
        }
        if let Some(t) = cs.state.as_ref().and_then(|s| s.terminated.as_ref()) {
            return Some(format!(
                "container exited with code {} ({})",
                t.exit_code,
                t.reason.clone().unwrap_or_default()
            ));
        }
    }
    if let Some(c) = conditions
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False")
    {
        return Some(format!(
            "{}: {}",
            c.reason.clone().unwrap_or_else(|| "Unschedulable".into()),
            c.message.clone().unwrap_or_default()
        ));
    }
    if let Some(c) = conditions
        .iter()
        .find(|c| c.type_ == "Ready" && c.status != "True")
    {
        let reason = c.reason.clone().unwrap_or_else(|| "NotReady".into());
        return Some(match &c.message {
            Some(m) if !m.is_empty() => format!("{reason}: {m}"),
            _ => reason,
        });
    }
    Some(format!(
        "pod is {}",
        status.phase.clone().unwrap_or_else(|| "Pending".into())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dep(v: serde_json::Value) -> Deployment {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn stale_complete_condition_is_not_done() {
        // Just applied: generation moved on, status still describes the previous rollout.
        let d = dep(json!({
            "metadata": {"name": "a-web", "generation": 3},
            "spec": {"replicas": 2, "selector": {}, "template": {}},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
                       "readyReplicas": 2, "availableReplicas": 2,
                       "conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
        }));
        assert!(matches!(rollout(&d), Rollout::InProgress(m) if m.contains("observed")));
    }

    #[test]
    fn counts_decide() {
        let base = |updated: i32, total: i32, available: i32| {
            dep(json!({
                "metadata": {"name": "a-web", "generation": 3},
                "spec": {"replicas": 2, "selector": {}, "template": {}},
                "status": {"observedGeneration": 3, "replicas": total, "updatedReplicas": updated,
                           "readyReplicas": available, "availableReplicas": available}
            }))
        };
        assert!(
            matches!(rollout(&base(1, 2, 2)), Rollout::InProgress(m) if m.contains("1 out of 2 new"))
        );
        assert!(
            matches!(rollout(&base(2, 3, 2)), Rollout::InProgress(m) if m.contains("1 old replicas"))
        );
        assert!(
            matches!(rollout(&base(2, 2, 1)), Rollout::InProgress(m) if m.contains("1 of 2 updated"))
        );
        assert_eq!(rollout(&base(2, 2, 2)), Rollout::Complete);
        assert_eq!(
            counts(&base(2, 2, 1)),
            Counts {
                desired: 2,
                updated: 2,
                ready: 1,
                available: 1
            }
        );
    }

    #[test]
    fn scaled_to_zero_is_complete() {
        let d = dep(json!({
            "metadata": {"name": "a-worker", "generation": 1},
            "spec": {"replicas": 0, "selector": {}, "template": {}},
            "status": {"observedGeneration": 1}
        }));
        assert_eq!(rollout(&d), Rollout::Complete);
    }

    #[test]
    fn deadline_exceeded_fails() {
        let d = dep(json!({
            "metadata": {"name": "a-web", "generation": 1},
            "spec": {"replicas": 1, "selector": {}, "template": {}},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                       "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}
        }));
        assert!(matches!(rollout(&d), Rollout::Failed(_)));
    }

    #[test]
    fn pod_reasons() {
        let pod = |status: serde_json::Value| -> Pod {
            serde_json::from_value(json!({"metadata": {"name": "p"}, "status": status})).unwrap()
        };
        assert_eq!(
            pod_not_ready_reason(&pod(
                json!({"conditions": [{"type": "Ready", "status": "True"}]})
            )),
            None
        );
        let crash = pod(json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": false, "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}}}]}));
        assert_eq!(
            pod_not_ready_reason(&crash).unwrap(),
            "CrashLoopBackOff: back-off 40s"
        );
        let unsched = pod(json!({"phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/1 nodes are available"}]}));
        assert_eq!(
            pod_not_ready_reason(&unsched).unwrap(),
            "Unschedulable: 0/1 nodes are available"
        );
        let not_ready = pod(json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady", "message": "containers with unready status: [c]"}]}));
        assert!(
            pod_not_ready_reason(&not_ready)
                .unwrap()
                .starts_with("ContainersNotReady")
        );
    }
}
