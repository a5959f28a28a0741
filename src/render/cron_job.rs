//! CronJob `<app>-cron-<suffix>` per app.json cron task (reference §5.10).

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::meta::{
    self, fixed_labels, layer, map, object_meta, template_meta, workload_annotations,
};
use super::naming::{CRONJOB_MAX, LABEL_MAX, fit};
use super::pod;
use crate::model::release::{CronTask, Release};

/// Default `activeDeadlineSeconds` of a cron run (the cron plugin's 86400).
const ACTIVE_DEADLINE_SECONDS: i64 = 86_400;

pub fn name(r: &Release, c: &CronTask) -> String {
    fit(
        &format!("{}-cron-{}", r.app.object_name(), c.suffix),
        CRONJOB_MAX,
    )
}

pub fn render(r: &Release, c: &CronTask) -> CronJob {
    let app = r.app.object_name();
    let name = name(r, c);
    let container_name = fit(&format!("{app}-cron"), LABEL_MAX);
    let scope = Some(c.id.as_str());
    let mut fixed = fixed_labels(&name, "cron", app);
    fixed.insert("dokku.com/cron-hash".into(), c.hash.clone());
    let mut fixed_annotations = workload_annotations(r, &container_name);
    fixed_annotations.extend(map([
        ("dokku.com/cron-hash", c.hash.as_str()),
        ("dokku.com/cron-id", c.id.as_str()),
        ("dokku.com/job-suffix", c.suffix.as_str()),
    ]));
    let with = |kind: &str| {
        (
            layer(fixed.clone(), meta::user_labels(r, scope, kind)),
            layer(
                fixed_annotations.clone(),
                meta::user_annotations(r, scope, kind),
            ),
        )
    };
    let (labels, annotations) = with("cronjob");
    let (job_labels, job_annotations) = with("job");
    let (pod_labels, pod_annotations) = with("pod");
    // Pack images always run cron commands through `launcher`.
    let container = pod::container(r, &container_name, &c.args, true, &c.resources);

    CronJob {
        metadata: object_meta(
            r,
            &name,
            Some(&r.namespace),
            app,
            Some("cron"),
            labels,
            annotations,
        ),
        spec: CronJobSpec {
            concurrency_policy: Some(c.concurrency_policy.as_k8s().into()),
            failed_jobs_history_limit: Some(10),
            successful_jobs_history_limit: Some(10),
            schedule: c.schedule.clone(),
            starting_deadline_seconds: Some(60),
            suspend: Some(c.suspend),
            time_zone: Some("Etc/UTC".into()),
            job_template: JobTemplateSpec {
                metadata: Some(template_meta(job_labels, job_annotations)),
                spec: Some(JobSpec {
                    active_deadline_seconds: Some(ACTIVE_DEADLINE_SECONDS),
                    backoff_limit: Some(0),
                    pod_replacement_policy: Some("Failed".into()),
                    ttl_seconds_after_finished: Some(60),
                    template: PodTemplateSpec {
                        metadata: Some(template_meta(pod_labels, pod_annotations)),
                        spec: Some(pod::pod_spec(r, container, true)),
                    },
                    ..JobSpec::default()
                }),
            },
        },
        ..CronJob::default()
    }
}
