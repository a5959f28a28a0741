//! Pure conditions on watched objects, in the shape of kube-runtime's [`Condition`]: each is a
//! small predicate on `Option<&K>` (absent object: not met), and they compose with `.and()`,
//! `.or()` and `.not()`. The one watch wait ([`super::watch::first_matching`]) takes any of them;
//! the caller owns the deadline.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
pub use kube::runtime::wait::Condition;

/// Phase of a pod, `Pending` when unknown.
pub fn pod_phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// The pod has finished: `Succeeded` or `Failed`.
pub fn is_finished(pod: &Pod) -> bool {
    matches!(pod_phase(pod), "Succeeded" | "Failed")
}

/// Condition: the pod has finished.
pub fn pod_finished() -> impl Condition<Pod> {
    |pod: Option<&Pod>| pod.is_some_and(is_finished)
}

/// Condition: the pod is running.
pub fn pod_running() -> impl Condition<Pod> {
    |pod: Option<&Pod>| pod.is_some_and(|p| pod_phase(p) == "Running")
}

/// Condition: the pod has started — running, or already finished (a short task can finish
/// between two watch events).
pub fn pod_started() -> impl Condition<Pod> {
    pod_running().or(pod_finished())
}

/// Where a Job is: `succeeded`, `failed`, `running` or `pending` (the words `run:list` shows).
pub fn job_state(job: &Job) -> &'static str {
    let st = job.status.as_ref();
    if st.and_then(|s| s.succeeded).unwrap_or(0) > 0 {
        "succeeded"
    } else if st.and_then(|s| s.failed).unwrap_or(0) > 0 {
        "failed"
    } else if st.and_then(|s| s.active).unwrap_or(0) > 0 {
        "running"
    } else {
        "pending"
    }
}

/// Condition: the Job succeeded.
pub fn job_succeeded() -> impl Condition<Job> {
    |job: Option<&Job>| job.is_some_and(|j| job_state(j) == "succeeded")
}

/// Condition: the Job failed.
pub fn job_failed() -> impl Condition<Job> {
    |job: Option<&Job>| job.is_some_and(|j| job_state(j) == "failed")
}

/// Condition: the Job has finished, either way.
pub fn job_finished() -> impl Condition<Job> {
    job_succeeded().or(job_failed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::batch::v1::JobStatus;
    use k8s_openapi::api::core::v1::PodStatus;

    fn pod(phase: &str) -> Pod {
        Pod {
            status: Some(PodStatus {
                phase: Some(phase.into()),
                ..PodStatus::default()
            }),
            ..Pod::default()
        }
    }

    fn job(active: i32, succeeded: i32, failed: i32) -> Job {
        Job {
            status: Some(JobStatus {
                active: Some(active),
                succeeded: Some(succeeded),
                failed: Some(failed),
                ..JobStatus::default()
            }),
            ..Job::default()
        }
    }

    #[test]
    fn pod_conditions() {
        let started = pod_started();
        let finished = pod_finished();
        for (phase, is_started, is_done) in [
            ("Pending", false, false),
            ("Running", true, false),
            ("Succeeded", true, true),
            ("Failed", true, true),
            ("Unknown", false, false),
        ] {
            let p = pod(phase);
            assert_eq!(started.matches_object(Some(&p)), is_started, "{phase}");
            assert_eq!(finished.matches_object(Some(&p)), is_done, "{phase}");
        }
        assert_eq!(pod_phase(&Pod::default()), "Pending");
        assert!(
            !started.matches_object(None),
            "an absent pod has not started"
        );
        assert!(finished.not().matches_object(Some(&pod("Running"))));
    }

    #[test]
    fn job_conditions() {
        let finished = job_finished();
        assert!(!finished.matches_object(Some(&job(1, 0, 0))));
        assert!(!finished.matches_object(Some(&Job::default())));
        assert!(finished.matches_object(Some(&job(0, 1, 0))));
        assert!(finished.matches_object(Some(&job(0, 0, 1))));
        assert!(!finished.matches_object(None));
        assert!(
            job_succeeded().matches_object(Some(&job(0, 1, 1))),
            "a retry succeeded"
        );
        assert_eq!(job_state(&job(1, 0, 0)), "running");
        assert_eq!(job_state(&Job::default()), "pending");
    }
}
