//! One-off Jobs (`run`, `run:detached`, `cron:run`): the Job object, and what a run needs from
//! the app's deployed release.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvFromSource, EnvVar, LocalObjectReference, PodSpec, PodTemplateSpec,
    ResourceRequirements, SecretEnvSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use super::meta::NAME;
use super::recorded;

/// What a one-off container inherits from the app's deployed release.
#[derive(Debug, Clone, PartialEq)]
pub struct RunBase {
    pub app: String,
    pub namespace: String,
    pub image: String,
    /// `herokuish`, `dockerfile` or `pack` (annotation `dokku.com/builder-type`).
    pub builder_type: String,
    /// Annotation `app.kubernetes.io/version` of the release.
    pub deployment_id: String,
    pub working_dir: Option<String>,
    pub image_pull_secrets: Vec<String>,
    pub service_account: Option<String>,
    /// The `envFrom` of the app's containers (the config Secret).
    pub env_from: Vec<EnvFromSource>,
    /// The app's `/dev/shm` volume (`shm-size`) and its mount, when it has one: one-off runs get
    /// the same shared memory as the process they run as.
    pub shm: Option<(Volume, VolumeMount)>,
}

impl RunBase {
    /// Read the run base from the objects of app `name`'s deployed release in `namespace`: its
    /// first Deployment (the `web` one when there is one) or, for an app with only cron tasks,
    /// its first CronJob.
    pub fn from_objects(name: &str, namespace: &str, objects: &[Value]) -> Result<RunBase> {
        let deployments: Vec<Deployment> = recorded::all(objects);
        let pick = deployments
            .iter()
            .find(|d| label_of(&d.metadata, NAME) == Some("web"))
            .or_else(|| deployments.first());
        let cron_jobs: Vec<CronJob> = recorded::all(objects);
        let (meta, pod_spec) = if let Some(d) = pick {
            let spec = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
            (&d.metadata, spec)
        } else if let Some(c) = cron_jobs.first() {
            let spec = c
                .spec
                .job_template
                .spec
                .as_ref()
                .and_then(|s| s.template.spec.as_ref());
            (&c.metadata, spec)
        } else {
            return Err(anyhow!(
                "App {} is not deployed (its release has no Deployment or CronJob)",
                name
            ));
        };
        let pod_spec = pod_spec.cloned().unwrap_or_default();
        let container = pod_spec.containers.first().cloned().unwrap_or_default();
        let image = container
            .image
            .clone()
            .ok_or_else(|| anyhow!("the deployed release of {} has no image", name))?;
        let annotation = |k: &str| {
            meta.annotations
                .as_ref()
                .and_then(|a| a.get(k))
                .map(String::to_owned)
        };
        Ok(RunBase {
            app: name.to_owned(),
            namespace: namespace.to_owned(),
            image,
            builder_type: annotation("dokku.com/builder-type")
                .unwrap_or_else(|| "dockerfile".into()),
            deployment_id: annotation("app.kubernetes.io/version").unwrap_or_default(),
            working_dir: container.working_dir.clone(),
            image_pull_secrets: pod_spec
                .image_pull_secrets
                .iter()
                .flatten()
                .map(|s| s.name.clone())
                .collect(),
            service_account: pod_spec.service_account_name.clone(),
            shm: shm_of(&pod_spec, &container),
            env_from: container.env_from.clone().unwrap_or_else(|| {
                vec![EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: format!("config-{}", name),
                        optional: Some(true),
                    }),
                    ..EnvFromSource::default()
                }]
            }),
        })
    }

    /// The entrypoint Dokku puts before a one-off command: `/exec` for herokuish images,
    /// `launcher` for Cloud Native Buildpacks images, none otherwise.
    pub fn entrypoint(&self) -> Option<&'static str> {
        match self.builder_type.as_str() {
            "herokuish" => Some("/exec"),
            "pack" => Some("launcher"),
            _ => None,
        }
    }
}

/// The `shm` volume of a recorded pod spec and the container's mount of it.
fn shm_of(pod_spec: &PodSpec, container: &Container) -> Option<(Volume, VolumeMount)> {
    let volume = pod_spec
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == "shm")?;
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.name == "shm")?;
    Some((volume.clone(), mount.clone()))
}

fn label_of<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.labels.as_ref()?.get(key).map(String::as_str)
}

/// A one-off command to run as a Job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunRequest {
    /// `run` or `cron`.
    pub process_type: String,
    pub command: Vec<String>,
    pub env: Vec<(String, String)>,
    /// User labels/annotations for the Job's pod (scheduler-k3s:labels/annotations, `pod` and
    /// `job` resource types).
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Delete the Job 60 s after it finishes.
    pub remove: bool,
    /// `activeDeadlineSeconds` (Dokku's DOKKU_RUN_TTL_SECONDS, default 86400).
    pub deadline_seconds: i64,
    pub tty: bool,
    /// Keep the container's stdin open for one attach (piped input), without a TTY.
    pub stdin: bool,
    pub resources: Option<ResourceRequirements>,
}

/// The Job `<app>-<process>-<suffix>` for `req` (pure).
pub fn job_manifest(base: &RunBase, req: &RunRequest, suffix: &str) -> Job {
    let container_name = format!("{}-{}", base.app, req.process_type);
    let mut labels = BTreeMap::from([
        (
            "app.kubernetes.io/instance".to_string(),
            container_name.clone(),
        ),
        (
            "app.kubernetes.io/name".to_string(),
            req.process_type.clone(),
        ),
        ("app.kubernetes.io/part-of".to_string(), base.app.clone()),
    ]);
    labels.extend(req.labels.clone());
    let mut annotations = BTreeMap::from([
        (
            "app.kubernetes.io/version".to_string(),
            base.deployment_id.clone(),
        ),
        (
            "dokku.com/builder-type".to_string(),
            base.builder_type.clone(),
        ),
        ("dokku.com/managed".to_string(), "true".to_string()),
        ("dokku.com/job-suffix".to_string(), suffix.to_string()),
        (
            "kubectl.kubernetes.io/default-container".to_string(),
            container_name.clone(),
        ),
        ("dokku.com/run-command".to_string(), req.command.join(" ")),
    ]);
    annotations.extend(req.annotations.clone());
    let meta = ObjectMeta {
        name: Some(format!("{}-{}-{suffix}", base.app, req.process_type)),
        namespace: Some(base.namespace.clone()),
        labels: Some(labels.clone()),
        annotations: Some(annotations.clone()),
        ..ObjectMeta::default()
    };
    let container = Container {
        name: container_name,
        image: Some(base.image.clone()),
        image_pull_policy: Some("Always".into()),
        args: Some(req.command.clone()),
        command: base.entrypoint().map(|e| vec![e.to_string()]),
        env: (!req.env.is_empty()).then(|| {
            req.env
                .iter()
                .map(|(k, v)| EnvVar {
                    name: k.clone(),
                    value: Some(v.clone()),
                    ..EnvVar::default()
                })
                .collect()
        }),
        env_from: Some(base.env_from.clone()),
        working_dir: base.working_dir.clone(),
        resources: req.resources.clone(),
        volume_mounts: base.shm.as_ref().map(|(_, m)| vec![m.clone()]),
        stdin: (req.tty || req.stdin).then_some(true),
        stdin_once: (req.tty || req.stdin).then_some(true),
        tty: req.tty.then_some(true),
        ..Container::default()
    };
    Job {
        metadata: meta,
        spec: Some(JobSpec {
            active_deadline_seconds: Some(req.deadline_seconds),
            backoff_limit: Some(0),
            ttl_seconds_after_finished: req.remove.then_some(60),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    annotations: Some(annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    restart_policy: Some("Never".into()),
                    volumes: base.shm.as_ref().map(|(v, _)| vec![v.clone()]),
                    service_account_name: base.service_account.clone(),
                    image_pull_secrets: (!base.image_pull_secrets.is_empty()).then(|| {
                        base.image_pull_secrets
                            .iter()
                            .map(|n| LocalObjectReference { name: n.clone() })
                            .collect()
                    }),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        status: None,
    }
}

/// A Job from a CronJob's template, named `<app>-cron-<suffix>` (like
/// `kubectl create job --from=cronjob/...`).
pub fn job_from_cronjob(cron: &CronJob, app: &str, suffix: &str) -> Result<Job> {
    let template = cron.spec.job_template.clone();
    let mut meta = template.metadata.unwrap_or_default();
    meta.name = Some(format!("{app}-cron-{suffix}"));
    meta.namespace = cron.metadata.namespace.clone();
    let annotations = meta.annotations.get_or_insert_with(BTreeMap::new);
    annotations.insert("cronjob.kubernetes.io/instantiate".into(), "manual".into());
    annotations.insert("dokku.com/job-suffix".into(), suffix.into());
    let labels = meta.labels.get_or_insert_with(BTreeMap::new);
    labels
        .entry("app.kubernetes.io/part-of".into())
        .or_insert_with(|| app.to_owned());
    Ok(Job {
        metadata: meta,
        spec: template.spec,
        status: None,
    })
}

/// The cron id of a CronJob (annotation `dokku.com/cron-id`).
pub fn cron_id(cron: &CronJob) -> Option<&str> {
    cron.metadata
        .annotations
        .as_ref()?
        .get("dokku.com/cron-id")
        .map(String::as_str)
}

/// The command of a CronJob's first container, joined by spaces.
pub fn cron_command(cron: &CronJob) -> String {
    cron.spec
        .job_template
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.containers.first())
        .map(|c| {
            c.command
                .iter()
                .flatten()
                .chain(c.args.iter().flatten())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}
