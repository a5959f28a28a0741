//! Run one-off Jobs and follow them: attached (logs streamed, exit code propagated), detached
//! (the pod name is printed), plus listing and reading past runs.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use futures::StreamExt;
use futures::io::AsyncBufReadExt;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use tokio::io::AsyncWriteExt;

use super::conditions;
use super::errors::describe;
use super::watch::{Watched, first_matching};
use crate::progress::Reporter;

/// Label selecting the pods of Job `job`.
pub fn job_pod_selector(job: &str) -> String {
    crate::render::selectors::job_pods(job)
}

/// Create `job` in `ns`.
pub async fn create_job(client: &Client, ns: &str, job: &Job) -> Result<Job> {
    let api: Api<Job> = Api::namespaced(client.clone(), ns);
    api.create(&PostParams::default(), job)
        .await
        .map_err(describe)
        .with_context(|| format!("creating job {}", job.name_any()))
}

/// Watch the pods of `job` until one is Running or finished; returns it.
pub async fn wait_for_job_pod(
    client: &Client,
    ns: &str,
    job: &str,
    timeout: Duration,
) -> Result<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let cfg = watcher::Config::default().labels(&job_pod_selector(job));
    match first_matching(api, cfg, Some(timeout), conditions::pod_started()).await {
        Ok(Watched::Found(pod)) => Ok(pod),
        Err(e) => Err(anyhow!("watching the pod of job {job}: {e}")),
        Ok(Watched::Ended) => Err(anyhow!("the pod watch of job {job} ended")),
        Ok(Watched::TimedOut) => Err(anyhow!(
            "the pod of job {job} did not start within {}s (kubectl -n {ns} describe job {job})",
            timeout.as_secs()
        )),
    }
}

/// Watch pod `name` until it has finished; returns the final object.
pub async fn wait_for_pod_exit(client: &Client, ns: &str, name: &str) -> Result<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    match first_matching(api, cfg, None, conditions::pod_finished()).await {
        Ok(Watched::Found(pod)) => Ok(pod),
        Err(e) => Err(anyhow!("watching pod {name}: {e}")),
        Ok(Watched::Ended | Watched::TimedOut) => Err(anyhow!("the watch of pod {name} ended")),
    }
}

/// Exit code of a finished pod: the first terminated container's code, 1 for a failed pod
/// without one, 0 for a succeeded pod.
pub fn exit_code(pod: &Pod) -> i32 {
    let from_container = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| {
            cs.iter().find_map(|c| {
                c.state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .map(|t| t.exit_code)
            })
        });
    match (conditions::pod_phase(pod), from_container) {
        (_, Some(code)) => code,
        ("Failed", None) => 1,
        _ => 0,
    }
}

/// Copy the logs of `pod` to stdout. With `follow`, stream until the pod finishes (the watch on
/// the pod ends the stream, so a log server that keeps a finished pod's stream open cannot hang
/// berth).
pub async fn copy_logs(client: &Client, ns: &str, pod: &str, follow: bool) -> Result<()> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let params = LogParams {
        follow,
        ..LogParams::default()
    };
    let reader = api.log_stream(pod, &params).await.map_err(describe)?;
    let mut lines = reader.lines();
    let mut out = tokio::io::stdout();
    let copy = async {
        while let Some(line) = lines.next().await {
            let line = line?;
            out.write_all(line.as_bytes()).await?;
            out.write_all(b"\n").await?;
            out.flush().await?;
        }
        Ok::<(), std::io::Error>(())
    };
    if follow {
        let exited = async {
            let r = wait_for_pod_exit(client, ns, pod).await;
            // Let lines written just before exit arrive.
            tokio::time::sleep(Duration::from_millis(500)).await;
            r
        };
        tokio::select! {
            r = copy => r.context("reading logs")?,
            r = exited => { r?; }
        }
    } else {
        copy.await.context("reading logs")?;
    }
    Ok(())
}

/// Run `job` attached: create it, wait for its pod, stream the logs, return the exit code.
/// The Job is deleted afterwards when `remove` is set.
pub async fn run_attached(
    client: &Client,
    ns: &str,
    job: &Job,
    start_timeout: Duration,
    remove: bool,
) -> Result<i32> {
    let created = create_job(client, ns, job).await?;
    let name = created.name_any();
    let result = async {
        let pod = wait_for_job_pod(client, ns, &name, start_timeout).await?;
        let pod_name = pod.name_any();
        copy_logs(client, ns, &pod_name, !conditions::is_finished(&pod)).await?;
        let done = if conditions::is_finished(&pod) {
            pod
        } else {
            wait_for_pod_exit(client, ns, &pod_name).await?
        };
        Ok::<i32, anyhow::Error>(exit_code(&done))
    }
    .await;
    if remove {
        delete_job(client, ns, &name).await?;
    }
    result
}

/// Watch Job `name` until it succeeds (`true`) or fails (`false`), within `timeout`.
pub async fn wait_job_finished(
    client: &Client,
    ns: &str,
    name: &str,
    timeout: Duration,
) -> Result<bool> {
    let api: Api<Job> = Api::namespaced(client.clone(), ns);
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    match first_matching(api, cfg, Some(timeout), conditions::job_finished()).await {
        Ok(Watched::Found(job)) => Ok(conditions::job_state(&job) == "succeeded"),
        Err(e) => Err(anyhow!("watching job {name}: {e}")),
        Ok(Watched::Ended) => Err(anyhow!("the watch of job {name} ended")),
        Ok(Watched::TimedOut) => Err(anyhow!(
            "job {name} did not finish within {}s",
            timeout.as_secs()
        )),
    }
}

/// The last `lines` lines of a pod's logs.
pub async fn tail_logs(client: &Client, ns: &str, pod: &str, lines: i64) -> Result<String> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    api.logs(
        pod,
        &LogParams {
            tail_lines: Some(lines),
            ..LogParams::default()
        },
    )
    .await
    .map_err(describe)
}

/// How a one-off run is connected to this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// A TTY with this terminal's stdin (job built with `tty`): `berth run` on a terminal.
    Terminal,
    /// Piped stdin sent and closed at EOF, output on stdout/stderr (job built with `stdin`).
    PipedStdin,
}

/// Run `job` attached as `mode` says: create it, wait until its container runs, attach, then
/// return its exit code. A short command can finish between "running" and the attach; the
/// attach then fails (container not found) or gets nothing, and the container's logs are shown
/// instead. The Job is deleted afterwards when `remove` is set.
pub async fn run_connected(
    client: &Client,
    ns: &str,
    job: &Job,
    start_timeout: Duration,
    remove: bool,
    mode: Attach,
) -> Result<i32> {
    let created = create_job(client, ns, job).await?;
    let name = created.name_any();
    let result = async {
        let pod = wait_for_job_pod(client, ns, &name, start_timeout).await?;
        let pod_name = pod.name_any();
        let mut received = 0;
        if !conditions::is_finished(&pod) {
            let api: Api<Pod> = Api::namespaced(client.clone(), ns);
            let container = super::exec::default_container(&pod);
            let tty = mode == Attach::Terminal;
            let params = kube::api::AttachParams {
                container,
                stdin: true,
                stdout: true,
                stderr: !tty,
                tty,
                ..kube::api::AttachParams::default()
            };
            match api.attach(&pod_name, &params).await {
                Ok(attached) => {
                    // The attach stream normally ends when the container exits; the pod watch
                    // ends it anyway, so an attach server that keeps streaming cannot hang berth.
                    let pump = super::exec::pump_counting(attached, tty, true);
                    tokio::pin!(pump);
                    // An attach the kubelet refuses once the stream is open ("container … is
                    // not available": it exited between the pod watch and the attach) showed
                    // nothing, so the logs below show the output instead.
                    let streamed = |r: Result<(i32, u64)>| match r {
                        Ok((_, n)) => n,
                        Err(e) => {
                            tracing::debug!("attach to {pod_name} ended with {e:#}; showing its logs");
                            0
                        }
                    };
                    tokio::select! {
                        r = &mut pump => received = streamed(r),
                        r = wait_for_pod_exit(client, ns, &pod_name) => {
                            r?;
                            // Let the stream deliver what it still has (bounded).
                            if let Ok(r) = tokio::time::timeout(Duration::from_secs(5), &mut pump).await {
                                received = streamed(r);
                            }
                        }
                    }
                }
                Err(e) => tracing::debug!("attach to {pod_name} failed ({e}); showing its logs"),
            }
        }
        let done = wait_for_pod_exit(client, ns, &pod_name).await?;
        if received == 0 {
            copy_logs(client, ns, &pod_name, false).await?;
        }
        Ok::<i32, anyhow::Error>(exit_code(&done))
    }
    .await;
    if remove {
        delete_job(client, ns, &name).await?;
    }
    result
}

/// Run `job` detached: create it, wait for its pod to exist, return the pod name.
pub async fn run_detached(
    client: &Client,
    ns: &str,
    job: &Job,
    start_timeout: Duration,
) -> Result<String> {
    let created = create_job(client, ns, job).await?;
    let pod = wait_for_job_pod(client, ns, &created.name_any(), start_timeout).await?;
    Ok(pod.name_any())
}

/// Delete a Job and its pods.
pub async fn delete_job(client: &Client, ns: &str, name: &str) -> Result<()> {
    let api: Api<Job> = Api::namespaced(client.clone(), ns);
    match api.delete(name, &DeleteParams::foreground()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(describe(e)).with_context(|| format!("deleting job {name}")),
    }
}

/// Delete every Job of `app` (one-off runs, cron runs, release tasks) and wait until they and
/// their pods are gone.
pub async fn delete_app_jobs(
    client: &Client,
    ns: &str,
    app: &str,
    timeout: Duration,
    progress: &dyn Reporter,
) -> Result<Vec<String>> {
    let api: Api<Job> = Api::namespaced(client.clone(), ns);
    let jobs = api
        .list(&ListParams::default().labels(&crate::render::selectors::app(app)))
        .await
        .map_err(describe)?;
    let mut waits = Vec::new();
    for job in &jobs {
        let name = job.name_any();
        delete_job(client, ns, &name).await?;
        waits.push((name, job.metadata.uid.clone().unwrap_or_default()));
    }
    let names: Vec<String> = waits
        .iter()
        .map(|(name, _)| format!("Job/{name}"))
        .collect();
    crate::kube::apply::await_deleted(
        "deleting jobs",
        waits.into_iter().map(|(name, uid)| {
            let api = api.clone();
            async move {
                kube::runtime::wait::await_condition(
                    api,
                    &name,
                    kube::runtime::wait::conditions::is_deleted(&uid),
                )
                .await
                .map(|_| format!("Job/{name}"))
                .map_err(|e| anyhow!("waiting for job {name} to be deleted: {e}"))
            }
        }),
        names.clone(),
        timeout,
        progress,
    )
    .await?;
    Ok(names)
}

/// One-off runs of `app` (Jobs labelled `app.kubernetes.io/name=run`), oldest first.
pub async fn list_runs(client: &Client, ns: &str, app: &str) -> Result<Vec<Job>> {
    let api: Api<Job> = Api::namespaced(client.clone(), ns);
    let mut jobs = api
        .list(&ListParams::default().labels(&crate::render::selectors::runs(app)))
        .await
        .map_err(describe)?
        .items;
    // Removed attached runs linger while their pods are deleted (foreground deletion).
    jobs.retain(|j| j.metadata.deletion_timestamp.is_none());
    jobs.sort_by_key(|j| j.metadata.creation_timestamp.clone().map(|t| t.0));
    Ok(jobs)
}

/// The newest pod of Job `job`.
pub async fn job_pod(client: &Client, ns: &str, job: &str) -> Result<Pod> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    // `run:detached` prints the pod name (as Dokku does): accept it as well as the Job name.
    if let Some(pod) = api.get_opt(job).await.map_err(describe)?
        && pod.labels().contains_key("job-name")
    {
        return Ok(pod);
    }
    let mut pods = api
        .list(&ListParams::default().labels(&job_pod_selector(job)))
        .await
        .map_err(describe)?
        .items;
    pods.sort_by_key(|p| p.metadata.creation_timestamp.clone().map(|t| t.0));
    pods.pop()
        .ok_or_else(|| anyhow!("job {job} has no pod (it may have been cleaned up)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exit_codes() {
        let pod = |v| serde_json::from_value::<Pod>(v).unwrap();
        assert_eq!(
            exit_code(&pod(json!({"status": {"phase": "Succeeded"}}))),
            0
        );
        assert_eq!(exit_code(&pod(json!({"status": {"phase": "Failed"}}))), 1);
        let p = pod(json!({"status": {"phase": "Failed", "containerStatuses": [
            {"name": "c", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
             "state": {"terminated": {"exitCode": 42}}}]}}));
        assert_eq!(exit_code(&p), 42);
    }
}
