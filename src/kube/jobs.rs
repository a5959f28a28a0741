//! One-off Jobs (`run`, `run:detached`, `cron:run`): the Job object (pure) and what a run needs
//! from the app's deployed release.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvFromSource, EnvVar, LocalObjectReference, PodSpec, PodTemplateSpec,
    ResourceRequirements, SecretEnvSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use super::helm_release::{self, HelmRelease};

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
    /// Read the run base from a deployed release: its first Deployment (the `web` one when there
    /// is one) or, for an app with only cron tasks, its first CronJob.
    pub fn from_release(release: &HelmRelease) -> Result<RunBase> {
        let objects = helm_release::manifest_objects(&release.manifest).map_err(|e| anyhow!(e))?;
        let deployments: Vec<&Value> = objects
            .iter()
            .filter(|o| o["kind"] == "Deployment")
            .collect();
        let pick = deployments
            .iter()
            .find(|o| o["metadata"]["labels"]["app.kubernetes.io/name"] == "web")
            .or_else(|| deployments.first())
            .copied();
        let (meta, pod_spec) = if let Some(d) = pick {
            (&d["metadata"], &d["spec"]["template"]["spec"])
        } else if let Some(c) = objects.iter().find(|o| o["kind"] == "CronJob") {
            (
                &c["metadata"],
                &c["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            )
        } else {
            return Err(anyhow!(
                "App {} is not deployed (its release has no Deployment or CronJob)",
                release.name
            ));
        };
        let container = &pod_spec["containers"][0];
        let image = container["image"]
            .as_str()
            .ok_or_else(|| anyhow!("the deployed release of {} has no image", release.name))?
            .to_owned();
        let annotation = |k: &str| meta["annotations"][k].as_str().map(str::to_owned);
        Ok(RunBase {
            app: release.name.clone(),
            namespace: release.namespace.clone(),
            image,
            builder_type: annotation("dokku.com/builder-type")
                .unwrap_or_else(|| "dockerfile".into()),
            deployment_id: annotation("app.kubernetes.io/version").unwrap_or_default(),
            working_dir: container["workingDir"].as_str().map(str::to_owned),
            image_pull_secrets: pod_spec["imagePullSecrets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["name"].as_str().map(str::to_owned))
                .collect(),
            service_account: pod_spec["serviceAccountName"].as_str().map(str::to_owned),
            shm: shm_of(pod_spec, container),
            env_from: serde_json::from_value(container["envFrom"].clone()).unwrap_or_else(|_| {
                vec![EnvFromSource {
                    secret_ref: Some(SecretEnvSource {
                        name: format!("config-{}", release.name),
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
fn shm_of(pod_spec: &Value, container: &Value) -> Option<(Volume, VolumeMount)> {
    let find = |list: &Value| {
        list.as_array()
            .into_iter()
            .flatten()
            .find(|v| v["name"] == "shm")
            .cloned()
    };
    let volume = serde_json::from_value(find(&pod_spec["volumes"])?).ok()?;
    let mount = serde_json::from_value(find(&container["volumeMounts"])?).ok()?;
    Some((volume, mount))
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

/// 5 random bytes as lowercase hex, Dokku's suffix for job and cron names.
pub fn random_suffix() -> String {
    let bytes: [u8; 5] = rand::random();
    hex::encode(bytes)
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

/// The app's deployed CronJobs, by cron id.
pub async fn list_cronjobs(
    client: &kube::Client,
    ns: &str,
    app: &str,
) -> anyhow::Result<Vec<CronJob>> {
    let api: kube::Api<CronJob> = kube::Api::namespaced(client.clone(), ns);
    let mut list = api
        .list(&kube::api::ListParams::default().labels(&crate::kube::deploy::app_selector(app)))
        .await
        .map_err(crate::kube::errors::describe)?
        .items;
    list.sort_by(|a, b| cron_id(a).cmp(&cron_id(b)));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::helm_release::{Chart, Info, Status};
    use serde_json::json;

    fn release() -> HelmRelease {
        let objects = vec![json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "a-web", "labels": {"app.kubernetes.io/name": "web"},
                         "annotations": {"dokku.com/builder-type": "herokuish", "app.kubernetes.io/version": "17"}},
            "spec": {"template": {"spec": {"serviceAccountName": "a",
                "imagePullSecrets": [{"name": "pull-secret-a"}],
                "containers": [{"name": "a-web", "image": "reg/a:1", "workingDir": "/app",
                                "envFrom": [{"secretRef": {"name": "config-a", "optional": true}}]}]}}}
        })];
        HelmRelease {
            name: "a".into(),
            namespace: "ns".into(),
            version: 1,
            info: Info {
                first_deployed: String::new(),
                last_deployed: String::new(),
                deleted: String::new(),
                description: String::new(),
                status: Status::Deployed,
                notes: String::new(),
                extra: Default::default(),
            },
            chart: Some(Chart::new("a", "0.0.17", "1.0.0")),
            config: Default::default(),
            manifest: helm_release::objects_to_manifest("a", &objects).unwrap(),
            hooks: vec![],
            extra: Default::default(),
        }
    }

    #[test]
    fn run_base_and_job() {
        let base = RunBase::from_release(&release()).unwrap();
        assert_eq!(base.image, "reg/a:1");
        assert_eq!(base.entrypoint(), Some("/exec"));
        assert_eq!(base.deployment_id, "17");
        let req = RunRequest {
            process_type: "run".into(),
            command: vec!["ls".into(), "-la".into()],
            env: vec![("K".into(), "V".into())],
            remove: true,
            deadline_seconds: 86400,
            ..RunRequest::default()
        };
        let job = job_manifest(&base, &req, "0123456789");
        assert_eq!(job.metadata.name.as_deref(), Some("a-run-0123456789"));
        let spec = job.spec.unwrap();
        assert_eq!(spec.backoff_limit, Some(0));
        assert_eq!(spec.ttl_seconds_after_finished, Some(60));
        let pod = spec.template.spec.unwrap();
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
        assert_eq!(pod.service_account_name.as_deref(), Some("a"));
        let c = &pod.containers[0];
        assert_eq!(c.name, "a-run");
        assert_eq!(c.command, Some(vec!["/exec".to_string()]));
        assert_eq!(c.args.as_ref().unwrap(), &["ls", "-la"]);
        assert_eq!(
            c.env_from.as_ref().unwrap()[0]
                .secret_ref
                .as_ref()
                .unwrap()
                .name,
            "config-a"
        );
        let labels = spec.template.metadata.unwrap().labels.unwrap();
        assert_eq!(labels["app.kubernetes.io/part-of"], "a");
        assert_eq!(labels["app.kubernetes.io/name"], "run");
    }

    #[test]
    fn runs_get_the_apps_shm_volume() {
        let mut r = release();
        let mut objects = helm_release::manifest_objects(&r.manifest).unwrap();
        objects[0]["spec"]["template"]["spec"]["volumes"] =
            json!([{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}]);
        objects[0]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] =
            json!([{"name": "shm", "mountPath": "/dev/shm"}]);
        r.manifest = helm_release::objects_to_manifest("a", &objects).unwrap();
        let base = RunBase::from_release(&r).unwrap();
        let job = job_manifest(&base, &RunRequest::default(), "0123456789");
        let pod = job.spec.unwrap().template.spec.unwrap();
        let volume = &pod.volumes.unwrap()[0];
        assert_eq!(volume.name, "shm");
        assert_eq!(
            volume
                .empty_dir
                .as_ref()
                .unwrap()
                .size_limit
                .as_ref()
                .unwrap()
                .0,
            "64Mi"
        );
        assert_eq!(
            pod.containers[0].volume_mounts.as_ref().unwrap()[0].mount_path,
            "/dev/shm"
        );
        // Without shm-size: no volume.
        let plain = job_manifest(
            &RunBase::from_release(&release()).unwrap(),
            &RunRequest::default(),
            "x",
        );
        assert!(plain.spec.unwrap().template.spec.unwrap().volumes.is_none());
    }

    #[test]
    fn suffix_shape() {
        let s = random_suffix();
        assert_eq!(s.len(), 10);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }

    #[test]
    fn undeployed_release_is_an_error() {
        let mut r = release();
        r.manifest = String::new();
        let err = RunBase::from_release(&r).unwrap_err();
        assert!(err.to_string().contains("not deployed"), "{err}");
    }
}
