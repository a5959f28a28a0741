//! The label selectors that find what render labelled: every object of an app, one process
//! type's pods, the one-off runs, a Job's pods. Other modules take selectors from here instead
//! of spelling label keys again.

use super::meta::{NAME, PART_OF};

/// The label Kubernetes' Job controller puts on a Job's pods.
const JOB_NAME: &str = "batch.kubernetes.io/job-name";

/// Every object of `app`.
pub fn app(app: &str) -> String {
    format!("{PART_OF}={app}")
}

/// The objects (pods, Deployments) of `app`'s process type `process`.
pub fn process(app: &str, process: &str) -> String {
    format!("{PART_OF}={app},{NAME}={process}")
}

/// `app`'s one-off runs (`berth run`): the process type `run`.
pub fn runs(app: &str) -> String {
    self::process(app, "run")
}

/// The node sysctl DaemonSets (render::node_sysctls).
pub fn node_sysctls() -> String {
    format!("{PART_OF}={}", super::node_sysctls::NODE_SYSCTLS_PART_OF)
}

/// The pods of Job `job`.
pub fn job_pods(job: &str) -> String {
    format!("{JOB_NAME}={job}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn selectors_use_render_labels() {
        assert_eq!(super::app("a"), "app.kubernetes.io/part-of=a");
        assert_eq!(
            super::process("a", "web"),
            "app.kubernetes.io/part-of=a,app.kubernetes.io/name=web"
        );
        assert_eq!(
            super::runs("a"),
            "app.kubernetes.io/part-of=a,app.kubernetes.io/name=run"
        );
        assert_eq!(super::job_pods("j"), "batch.kubernetes.io/job-name=j");
    }
}
