//! Process management on a deployed app: scale, restart and start write a new revision derived
//! from the deployed one (so history, `helm` and rollback stay true); stop scales to zero through
//! the scale subresource and suspends cron jobs, the way Dokku's `scheduler-stop` does.

use anyhow::{Context, Result, anyhow};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt};
use serde::Serialize;
use serde_json::json;

use super::deploy::app_selector;
use super::errors::describe;
use super::helm_release::HelmRelease;
use super::history;
use super::rollout;

/// The deployed revision of `app`, or an error saying the app is not deployed.
pub async fn deployed_release(client: &Client, ns: &str, app: &str) -> Result<HelmRelease> {
    let past = history::list(client, ns, app).await?;
    history::deployed(&past)
        .cloned()
        .ok_or_else(|| anyhow!("App {app} is not deployed (no deployed release in namespace {ns})"))
}

/// Scale every Deployment of `app` to zero and suspend its CronJobs. Returns the process types
/// stopped.
pub async fn stop(client: &Client, ns: &str, app: &str) -> Result<Vec<String>> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let list = deployments
        .list(&ListParams::default().labels(&app_selector(app)))
        .await
        .map_err(describe)?;
    let mut stopped = Vec::new();
    for d in list {
        let name = d.name_any();
        let process = d
            .labels()
            .get("app.kubernetes.io/name")
            .cloned()
            .ok_or_else(|| anyhow!("Deployment {name} does not have a process type label"))?;
        deployments
            .patch_scale(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 0}})),
            )
            .await
            .map_err(describe)
            .with_context(|| format!("scaling {name} to 0"))?;
        stopped.push(process);
    }
    let crons: Api<CronJob> = Api::namespaced(client.clone(), ns);
    for c in crons
        .list(&ListParams::default().labels(&app_selector(app)))
        .await
        .map_err(describe)?
    {
        crons
            .patch(
                &c.name_any(),
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"suspend": true}})),
            )
            .await
            .map_err(describe)?;
    }
    Ok(stopped)
}

/// Live state of one process type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessState {
    pub process_type: String,
    pub deployment: String,
    pub desired: i32,
    pub ready: i32,
    pub available: i32,
    pub image: String,
    pub pods: Vec<PodState>,
}

/// Live state of one pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodState {
    pub name: String,
    pub phase: String,
    pub ready: bool,
    pub restarts: i32,
    pub node: String,
    /// Why it is not ready, when it is not.
    pub reason: Option<String>,
}

/// Live state of every process type of `app`, sorted by process type.
pub async fn live_state(client: &Client, ns: &str, app: &str) -> Result<Vec<ProcessState>> {
    let selector = app_selector(app);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let deps = deployments
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(describe)?;
    let all_pods = pods
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(describe)?;
    let mut out = Vec::new();
    for d in deps {
        let counts = rollout::counts(&d);
        let process_type = d
            .labels()
            .get("app.kubernetes.io/name")
            .cloned()
            .unwrap_or_else(|| d.name_any());
        let match_labels = d
            .spec
            .as_ref()
            .and_then(|s| s.selector.match_labels.clone())
            .unwrap_or_default();
        let image = d
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        let mut pod_states: Vec<PodState> = all_pods
            .iter()
            .filter(|p| {
                !match_labels.is_empty()
                    && match_labels
                        .iter()
                        .all(|(k, v)| p.labels().get(k) == Some(v))
            })
            .map(pod_state)
            .collect();
        pod_states.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(ProcessState {
            process_type,
            deployment: d.name_any(),
            desired: counts.desired,
            ready: counts.ready,
            available: counts.available,
            image,
            pods: pod_states,
        });
    }
    out.sort_by(|a, b| a.process_type.cmp(&b.process_type));
    Ok(out)
}

fn pod_state(p: &Pod) -> PodState {
    let status = p.status.as_ref();
    let reason = rollout::pod_not_ready_reason(p);
    PodState {
        name: p.name_any(),
        phase: status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Pending".into()),
        ready: reason.is_none(),
        restarts: status
            .and_then(|s| s.container_statuses.as_ref())
            .map(|cs| cs.iter().map(|c| c.restart_count).sum())
            .unwrap_or(0),
        node: p
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default(),
        reason,
    }
}

/// Dokku's app status summary: `true` (everything available), `false` (nothing), `mixed`.
pub fn running_summary(states: &[ProcessState]) -> &'static str {
    let desired: i32 = states.iter().map(|s| s.desired).sum();
    let available: i32 = states.iter().map(|s| s.available).sum();
    if desired == 0 || available == 0 {
        "false"
    } else if available >= desired {
        "true"
    } else {
        "mixed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary() {
        let s = |desired, available| ProcessState {
            process_type: "web".into(),
            deployment: "a-web".into(),
            desired,
            ready: available,
            available,
            image: String::new(),
            pods: vec![],
        };
        assert_eq!(running_summary(&[s(2, 2)]), "true");
        assert_eq!(running_summary(&[s(2, 1)]), "mixed");
        assert_eq!(running_summary(&[s(0, 0)]), "false");
    }
}
