//! Deployment tasks as Jobs (app.json `scripts.dokku.predeploy`, Procfile `release`,
//! `scripts.dokku.postdeploy`, Heroku's `scripts.postdeploy`). The original runs them with Docker on
//! the Dokku host; berth has no Docker, so they run in the cluster with the new image and the app's
//! config: the deploy engine runs the first two before the rollout and the postdeploy ones after
//! it, as the `dokku.com/task-runs` annotation says. The name
//! carries the deployment id because a Job's pod template is immutable.

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::meta::{self, fixed_labels, layer, object_meta, template_meta, workload_annotations};
use super::naming::{LABEL_MAX, fit};
use super::pod;
use crate::model::release::{Release, ReleaseTask};

/// Seconds a release task may run (the `run` default, 24h); the deploy timeout bounds the wait.
const ACTIVE_DEADLINE_SECONDS: i64 = 86_400;
/// Keep finished tasks an hour so their logs can be read after a failed deploy.
const TTL_SECONDS_AFTER_FINISHED: i32 = 3_600;

/// The annotation saying when a task Job runs: `before-rollout`, `after-rollout`,
/// `after-first-rollout`.
pub const TASK_RUNS: &str = "dokku.com/task-runs";

pub fn name(r: &Release, t: &ReleaseTask) -> String {
    fit(
        &format!("{}-{}-{}", r.app.object_name(), t.name, r.deployment_id),
        LABEL_MAX,
    )
}

fn render_one(r: &Release, t: &ReleaseTask) -> Job {
    let app = r.app.object_name();
    let name = name(r, t);
    let container_name = fit(&format!("{app}-{}", t.name), LABEL_MAX);
    let instance = container_name.clone();
    let fixed = fixed_labels(&instance, &t.name, app);
    let mut annotations = workload_annotations(r, &container_name);
    annotations.insert("dokku.com/job-suffix".into(), r.deployment_id.clone());
    // When the deploy engine runs it (and what --dry-run shows).
    annotations.insert(TASK_RUNS.into(), t.runs.as_str().into());
    // One map for job and pod, as the original does for one-off jobs.
    let user = {
        let mut m = meta::user_annotations(r, Some(&t.name), "job");
        m.extend(meta::user_annotations(r, Some(&t.name), "pod"));
        m
    };
    let annotations = layer(annotations, user);
    // The script runs through a shell, as `docker run <image> /bin/sh -c <script>` would.
    let args = vec!["/bin/sh".to_owned(), "-c".to_owned(), t.command.clone()];
    let container = pod::container(r, &container_name, &args, true, &t.resources);
    Job {
        metadata: object_meta(
            r,
            &name,
            Some(&r.namespace),
            app,
            Some(&t.name),
            fixed.clone(),
            annotations.clone(),
        ),
        spec: Some(JobSpec {
            active_deadline_seconds: Some(ACTIVE_DEADLINE_SECONDS),
            backoff_limit: Some(0),
            ttl_seconds_after_finished: Some(TTL_SECONDS_AFTER_FINISHED),
            template: PodTemplateSpec {
                metadata: Some(template_meta(fixed, annotations)),
                spec: Some(pod::pod_spec(r, container, true)),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

pub fn render(r: &Release) -> Vec<Job> {
    r.release_tasks.iter().map(|t| render_one(r, t)).collect()
}
