//! One-off Jobs on the cluster: what a run needs from the deployed release record, the Job's
//! random suffix, and the app's CronJobs. The Job objects themselves are built in
//! `render::run_job`.

use anyhow::{Result, anyhow};
use k8s_openapi::api::batch::v1::CronJob;

use super::helm_release::{self, HelmRelease};
pub use crate::render::run_job::{
    RunBase, RunRequest, cron_command, cron_id, job_from_cronjob, job_manifest,
};

/// The run base of a deployed release record (see [`RunBase::from_objects`]).
pub fn run_base(release: &HelmRelease) -> Result<RunBase> {
    let objects = helm_release::manifest_objects(&release.manifest).map_err(|e| anyhow!(e))?;
    RunBase::from_objects(&release.name, &release.namespace, &objects)
}

/// 5 random bytes as lowercase hex, Dokku's suffix for job and cron names.
pub fn random_suffix() -> String {
    let bytes: [u8; 5] = rand::random();
    hex::encode(bytes)
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
        let base = run_base(&release()).unwrap();
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
        let base = run_base(&r).unwrap();
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
        let plain = job_manifest(&run_base(&release()).unwrap(), &RunRequest::default(), "x");
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
        let err = run_base(&r).unwrap_err();
        assert!(err.to_string().contains("not deployed"), "{err}");
    }
}
