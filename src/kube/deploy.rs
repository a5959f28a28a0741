//! One deploy against the cluster: record a pending revision, apply, prune, wait, then mark the
//! revision deployed — or failed, and with rollback-on-failure re-apply the previous revision.
//! Rollbacks (`scheduler-k3s:rollback`) go through the same steps with an old manifest.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Result, anyhow};
use kube::Client;
use serde_json::{Map, Value};

use super::apply::{self, ObjectKey, Resolver};
use super::deadline::{Deadline, WAIT_SLACK, within_grace};
use super::helm_release::{self, Chart, HelmRelease, Info, Status};
use super::history;
use super::interrupt;
use super::run;
use super::wait::{self, Target};
use crate::progress::{Reporter, timed};
use crate::render::recorded;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;

/// Everything a deploy needs; built by the caller from the store and render.
#[derive(Debug, Clone)]
pub struct DeployRequest {
    /// The app, as messages name it.
    pub app: String,
    /// The release (and object-name base): [`AppName::object_name`](crate::model::names::AppName::object_name).
    pub release: String,
    /// What the step line says is happening: `Deploying`, `Scaling`, `Restarting`, …
    pub action: &'static str,
    pub namespace: String,
    /// Rendered objects in apply order (JSON of typed manifests).
    pub objects: Vec<Value>,
    /// The release's values, stored in the record (`helm get values`).
    pub values: Map<String, Value>,
    /// Chart version, `0.0.<deployment id>` like Dokku's generated chart.
    pub chart_version: String,
    pub timeout: Duration,
    pub rollback_on_failure: bool,
    /// The API server's URL, named when it does not answer before the deadline.
    pub server: String,
}

/// A finished deploy or rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub revision: u32,
    pub pruned: Vec<ObjectKey>,
    /// Names of the task Jobs this deploy started (predeploy, release, postdeploy, …).
    pub tasks: Vec<String>,
}

/// A deploy that did not finish; the message says what failed and what was done about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DeployFailed {
    pub message: String,
    /// What to run next (shown after the message).
    pub hint: Option<String>,
    /// The failed revision.
    pub revision: u32,
    /// The revision written by the automatic rollback, when one ran and succeeded.
    pub rolled_back: Option<u32>,
    /// Names of the task Jobs the failed deploy started.
    pub tasks: Vec<String>,
}

/// Label selector for every object of `app`.
pub fn app_selector(app: &str) -> String {
    crate::render::selectors::app(app)
}

/// Deploy `req`: see the module documentation. Progress and step lines go to stderr.
pub async fn deploy(
    client: &Client,
    req: DeployRequest,
    progress: &dyn Reporter,
) -> Result<Deployed> {
    let resolver = Resolver::new(client.clone());
    let ns = req.namespace.as_str();
    let deadline = Deadline::after(req.timeout, &req.server);
    timed(
        progress,
        "namespace",
        deadline.bound(
            "creating the namespace",
            apply::ensure_namespace(client, ns),
        ),
    )
    .await?;
    let mut past = timed(
        progress,
        "history read",
        deadline.bound(
            "reading the release history",
            history::list(client, ns, &req.release),
        ),
    )
    .await?;
    timed(
        progress,
        "history repair",
        repair_interrupted(client, &mut past, &deadline, progress),
    )
    .await?;
    let previous = history::deployed(&past).cloned();
    let revision = past.last().map_or(1, |r| r.version + 1);
    let upgrading = !past.is_empty();

    let mut objects = req.objects.clone();
    for obj in &mut objects {
        apply::mark_helm_owned(obj, &req.release, ns);
    }
    let now = helm_release::now_rfc3339();
    let mut record = HelmRelease {
        name: req.release.clone(),
        namespace: ns.to_owned(),
        version: revision,
        info: Info {
            first_deployed: past
                .first()
                .map_or(now.clone(), |r| r.info.first_deployed.clone()),
            last_deployed: now,
            deleted: String::new(),
            description: if upgrading {
                "Preparing upgrade".into()
            } else {
                "Initial install underway".into()
            },
            status: if upgrading {
                Status::PendingUpgrade
            } else {
                Status::PendingInstall
            },
            notes: String::new(),
            extra: Map::new(),
        },
        chart: Some(Chart::new(&req.release, &req.chart_version, "1.0.0")),
        config: req.values.clone(),
        // One-off release-task Jobs are not part of the release (a rollback must not re-run them).
        manifest: helm_release::objects_to_manifest(
            &req.release,
            &objects
                .iter()
                .filter(|o| !recorded::head(o).is::<Job>())
                .cloned()
                .collect::<Vec<_>>(),
        )
        .map_err(|e| anyhow!(e))?,
        hooks: Vec::new(),
        extra: Map::new(),
    };
    timed(
        progress,
        "pending record",
        deadline.bound(
            "recording the new revision",
            history::create(client, &record),
        ),
    )
    .await?;

    progress.line(&format!(
        "=====> {} {} (revision {revision})",
        req.action, req.app
    ));
    let mut tasks = Vec::new();
    let outcome = tokio::select! {
        r = deadline.bound_with_slack("rolling out", WAIT_SLACK, roll_out(&resolver, ns, &req.release, &objects, &deadline, &mut tasks, progress)) => r,
        signal = interrupt::interrupted() => {
            // Leave no revision pending: record the cancellation, then stop.
            progress.close();
            let msg = format!("Deployment of {} has been cancelled ({signal})", req.app);
            return Err(match mark(client, &req.server, &mut record, Status::Failed, &msg).await {
                Ok(()) => anyhow!(msg),
                Err(e) => anyhow!("{msg}; {}", super::errors::with_hint(&e)),
            });
        }
    };
    match outcome {
        Ok(pruned) => {
            let done = if upgrading {
                "Upgrade complete"
            } else {
                "Install complete"
            };
            let recorded = std::time::Instant::now();
            mark(client, &req.server, &mut record, Status::Deployed, done).await?;
            if let Some(mut prev) = previous {
                mark(
                    client,
                    &req.server,
                    &mut prev,
                    Status::Superseded,
                    "Superseded",
                )
                .await?;
            }
            history::trim(client, ns, &req.release).await?;
            progress.timing("final record", recorded.elapsed());
            Ok(Deployed {
                revision,
                pruned,
                tasks,
            })
        }
        Err(err) => {
            let why = super::errors::with_hint(&err);
            // The cause comes first; a failure to record it is added, never put in its place.
            let mut message = format!("deploy of {} failed: {why}", req.app);
            let marked = mark(
                client,
                &req.server,
                &mut record,
                Status::Failed,
                &format!("Upgrade \"{}\" failed: {why}", req.release),
            )
            .await;
            if let Err(e) = marked {
                let e = super::errors::with_hint(&e);
                message.push_str(&format!(
                    "; {e} (the next berth command on {} marks it failed); not rolling back while the API server does not answer; re-run the deploy when it is back",
                    req.app
                ));
                return Err(DeployFailed {
                    message,
                    hint: None,
                    revision,
                    rolled_back: None,
                    tasks,
                }
                .into());
            }
            let mut rolled_back = None;
            match (&previous, req.rollback_on_failure) {
                (Some(prev), true) => {
                    progress.line(&format!(
                        " !     Deploy failed; rolling back {} to revision {}",
                        req.app, prev.version
                    ));
                    match rollback_to(
                        client,
                        ns,
                        &req.app,
                        &req.release,
                        prev.version,
                        req.timeout,
                        &req.server,
                        progress,
                    )
                    .await
                    {
                        Ok(done) => {
                            message.push_str(&format!(
                                "; rolled back to revision {} (now revision {})",
                                prev.version, done.revision
                            ));
                            rolled_back = Some(done.revision);
                        }
                        Err(e) => {
                            let e = super::errors::with_hint(&e);
                            message.push_str(&format!("; rollback also failed: {e}"));
                        }
                    }
                }
                (None, true) => message.push_str("; nothing to roll back to (first deploy)"),
                (_, false) => message.push_str(
                    "; the new revision stays in place (set rollback-on-failure to true to roll back automatically)",
                ),
            }
            Err(DeployFailed {
                message,
                // What to run next: the pods' live state, then their logs.
                hint: Some(format!(
                    "next: `berth ps:inspect {app}`, `berth logs {app}`",
                    app = req.app
                )),
                revision,
                rolled_back,
                tasks,
            }
            .into())
        }
    }
}

/// Apply `objects`, prune what they no longer contain, and wait for the Deployments among them.
#[allow(clippy::too_many_arguments)]
async fn roll_out(
    resolver: &Resolver,
    ns: &str,
    app: &str,
    objects: &[Value],
    deadline: &Deadline,
    tasks: &mut Vec<String>,
    progress: &dyn Reporter,
) -> Result<Vec<ObjectKey>> {
    // Tasks marked to run after the rollout wait for it; the others (Jobs) run to completion, in
    // order, before anything after them is applied.
    let (after, objects): (Vec<&Value>, Vec<&Value>) = objects.iter().partition(|o| {
        let head = recorded::head(o);
        head.is::<Job>()
            && head
                .annotation(crate::render::TASK_RUNS)
                .is_some_and(|r| r.starts_with("after-"))
    });
    let mut applied = Vec::new();
    let mut batch: Vec<Value> = Vec::new();
    for obj in &objects {
        if recorded::head(obj).is::<Job>() {
            applied.extend(apply_timed(resolver, ns, &batch, progress).await?);
            batch.clear();
            tasks.push(job_name(obj));
            run_task_timed(resolver, ns, obj, deadline, progress).await?;
        } else {
            batch.push((*obj).clone());
        }
    }
    applied.extend(apply_timed(resolver, ns, &batch, progress).await?);
    let keep: BTreeSet<ObjectKey> = applied.iter().cloned().collect();
    let kinds: Vec<_> = applied.iter().map(ObjectKey::gvk).collect();
    let pruned = timed(
        progress,
        "prune",
        Box::pin(apply::prune(
            resolver,
            ns,
            &app_selector(app),
            app,
            &keep,
            &kinds,
        )),
    )
    .await?;
    for key in &pruned {
        progress.line(&format!("       Removed {key}"));
    }
    let targets = deployment_targets(&objects.iter().map(|o| (*o).clone()).collect::<Vec<_>>());
    timed(
        progress,
        "wait",
        Box::pin(wait::wait_rollout(
            resolver.client(),
            ns,
            &app_selector(app),
            &targets,
            // What is left of the deploy's time: the wait's own message (which pods, why) then
            // comes just before the deadline's.
            deadline.remaining(),
            progress,
        )),
    )
    .await
    .map_err(|f| anyhow!(f.to_string()))?;
    // Postdeploy tasks run in the new image once its processes are up; a failure fails the deploy.
    for job in after {
        tasks.push(job_name(job));
        run_task_timed(resolver, ns, job, deadline, progress).await?;
    }
    Ok(pruned)
}

/// One batch of objects applied, counted as `apply` (boxed: the rollout future stays small).
async fn apply_timed(
    resolver: &Resolver,
    ns: &str,
    batch: &[Value],
    progress: &dyn Reporter,
) -> Result<Vec<ObjectKey>> {
    let apply = Box::pin(apply::apply_objects(resolver, ns, batch));
    timed(progress, "apply", apply).await
}

/// A release task within what is left of the deploy's time, counted as `release tasks`.
async fn run_task_timed(
    resolver: &Resolver,
    ns: &str,
    job: &Value,
    deadline: &Deadline,
    progress: &dyn Reporter,
) -> Result<()> {
    let task = Box::pin(run_release_task(
        resolver,
        ns,
        job,
        deadline.remaining(),
        progress,
    ));
    timed(progress, "release tasks", task).await
}

fn job_name(job: &Value) -> String {
    let head = recorded::head(job);
    match head.name() {
        "" => "job".to_owned(),
        name => name.to_owned(),
    }
}

/// Create a release-task Job and wait for it; a failed task fails the deploy with its logs.
async fn run_release_task(
    resolver: &Resolver,
    ns: &str,
    job: &Value,
    timeout: Duration,
    progress: &dyn Reporter,
) -> Result<()> {
    let name = job_name(job);
    let task = recorded::head(job)
        .process_type()
        .unwrap_or("release")
        .to_owned();
    progress.line(&format!("-----> Running {task} task ({name})"));
    apply::apply_objects(resolver, ns, std::slice::from_ref(job)).await?;
    let client = resolver.client();
    match run::wait_job_finished(client, ns, &name, timeout).await? {
        true => Ok(()),
        false => {
            let logs = run::job_pod(client, ns, &name)
                .await
                .ok()
                .map(|pod| pod.metadata.name.unwrap_or_default());
            let tail = match logs {
                Some(pod) => run::tail_logs(client, ns, &pod, 20)
                    .await
                    .unwrap_or_default(),
                None => String::new(),
            };
            for line in tail.lines() {
                progress.line(&format!("       {line}"));
            }
            Err(anyhow!(
                "the {task} task failed (job {name}; kubectl -n {ns} logs job/{name})"
            ))
        }
    }
}

/// The Deployments among `objects`, with the process type each runs
/// (label `app.kubernetes.io/name`, else the object name).
pub fn deployment_targets(objects: &[Value]) -> Vec<Target> {
    objects
        .iter()
        .map(recorded::head)
        .filter(|h| h.is::<Deployment>() && !h.name().is_empty())
        .map(|h| Target {
            deployment: h.name().to_owned(),
            process_type: h.process_type().unwrap_or(h.name()).to_owned(),
        })
        .collect()
}

/// Re-apply revision `target` of `app` (release `release`) as a new revision ("Rollback to N"), prune, wait.
#[allow(clippy::too_many_arguments)]
pub async fn rollback_to(
    client: &Client,
    ns: &str,
    app: &str,
    release: &str,
    target: u32,
    timeout: Duration,
    server: &str,
    progress: &dyn Reporter,
) -> Result<Deployed> {
    let resolver = Resolver::new(client.clone());
    let deadline = Deadline::after(timeout, server);
    let mut past = deadline
        .bound(
            "reading the release history",
            history::list(client, ns, release),
        )
        .await?;
    repair_interrupted(client, &mut past, &deadline, progress).await?;
    let Some(source) = past.iter().find(|r| r.version == target).cloned() else {
        let known = past
            .iter()
            .map(|r| r.version.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(anyhow!(
            "{app} has no revision {target} in namespace {ns} (revisions: {})",
            if known.is_empty() { "none" } else { &known }
        ));
    };
    let previous = history::deployed(&past).cloned();
    let revision = past.last().map_or(1, |r| r.version + 1);
    let objects = helm_release::manifest_objects(&source.manifest).map_err(|e| anyhow!(e))?;
    let mut record = source.clone();
    record.version = revision;
    record.info.status = Status::PendingRollback;
    record.info.description = format!("Rollback to {target}");
    record.info.last_deployed = helm_release::now_rfc3339();
    record.info.deleted = String::new();
    deadline
        .bound(
            "recording the rollback revision",
            history::create(client, &record),
        )
        .await?;
    progress.line(&format!(
        "=====> Rolling back {app} to revision {target} (revision {revision})"
    ));
    // A rollback re-applies recorded objects only: task Jobs are never part of them.
    let mut rollback_tasks = Vec::new();
    let outcome = tokio::select! {
        r = deadline.bound_with_slack("rolling back", WAIT_SLACK, roll_out(&resolver, ns, release, &objects, &deadline, &mut rollback_tasks, progress)) => r,
        signal = interrupt::interrupted() => {
            progress.close();
            let msg = format!("Rollback of {app} to revision {target} has been cancelled ({signal})");
            return Err(match mark(client, server, &mut record, Status::Failed, &msg).await {
                Ok(()) => anyhow!(msg),
                Err(e) => anyhow!("{msg}; {}", super::errors::with_hint(&e)),
            });
        }
    };
    match outcome {
        Ok(pruned) => {
            let done = format!("Rollback to {target}");
            mark(client, server, &mut record, Status::Deployed, &done).await?;
            if let Some(mut prev) = previous {
                mark(client, server, &mut prev, Status::Superseded, "Superseded").await?;
            }
            history::trim(client, ns, release).await?;
            Ok(Deployed {
                revision,
                pruned,
                tasks: Vec::new(),
            })
        }
        Err(err) => {
            let why = super::errors::with_hint(&err);
            let marked = mark(
                client,
                server,
                &mut record,
                Status::Failed,
                &format!("Rollback \"{release}\" failed: {why}"),
            )
            .await;
            let mut message = format!("rollback of {app} to revision {target} failed: {why}");
            if let Err(e) = marked {
                let e = super::errors::with_hint(&e);
                message.push_str(&format!(
                    "; {e} (the next berth command on {app} marks it failed)"
                ));
            }
            Err(anyhow!(message))
        }
    }
}

/// Set `record`'s status, within [`RECORD_GRACE`](super::deadline::RECORD_GRACE): this runs after
/// the step that failed, possibly at the deadline, so it must not wait for a silent server.
async fn mark(
    client: &Client,
    server: &str,
    record: &mut HelmRelease,
    status: Status,
    description: &str,
) -> Result<()> {
    let what = format!(
        "revision {} of {} could not be marked {status}",
        record.version, record.name
    );
    within_grace(
        server,
        &what,
        history::set_status(client, record, status, description),
    )
    .await
    .map_err(|e| {
        if e.to_string().starts_with(&what) {
            e
        } else {
            e.context(what.clone())
        }
    })
}

/// Mark failed every revision in `past` still `pending-*`: the caller holds the app lock, so the
/// berth that wrote it is gone (killed, or its API server died mid-apply). History and reports
/// then tell the truth, and the interrupted revision no longer looks like a running deploy.
pub async fn repair_interrupted(
    client: &Client,
    past: &mut [HelmRelease],
    deadline: &Deadline,
    progress: &dyn Reporter,
) -> Result<Vec<u32>> {
    let mut repaired = Vec::new();
    for record in past.iter_mut().filter(|r| r.info.status.is_pending()) {
        let was = record.info.status;
        let description = format!(
            "Interrupted: the berth command that wrote this revision stopped while it was {was} (marked failed by the next command on {})",
            record.name
        );
        let (version, name) = (record.version, record.name.clone());
        deadline
            .bound(
                "marking an interrupted revision failed",
                history::set_status(client, record, Status::Failed, &description),
            )
            .await?;
        progress.warn(&format!(
            "revision {version} of {name} was left {was} by an interrupted berth; marked it failed"
        ));
        repaired.push(version);
    }
    Ok(repaired)
}

/// Remove everything release `app` owns in `ns`: the objects of its latest manifest, anything
/// else labelled for the app and annotated with the release, and every revision record. Waits
/// (up to `timeout`) until the objects and their dependents are gone.
pub async fn uninstall(
    client: &Client,
    ns: &str,
    app: &str,
    timeout: Duration,
    progress: &dyn Reporter,
) -> Result<Vec<ObjectKey>> {
    let resolver = Resolver::new(client.clone());
    let past = history::list(client, ns, app).await?;
    let mut keys: Vec<ObjectKey> = Vec::new();
    if let Some(latest) = past.last() {
        for obj in helm_release::manifest_objects(&latest.manifest).map_err(|e| anyhow!(e))? {
            keys.push(ObjectKey::of(&obj)?);
        }
    }
    let kinds: Vec<_> = keys.iter().map(ObjectKey::gvk).collect();
    for key in apply::list_release_objects(&resolver, ns, &app_selector(app), app, &kinds).await? {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let deleted = apply::delete_objects(&resolver, ns, &keys, timeout, progress).await;
    // Every deletion was requested: the release records go too, so a second run (which finds
    // leftovers by label) only waits for what is still terminating.
    history::delete_all(client, ns, app).await?;
    deleted?;
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn targets_come_from_deployments() {
        let objs = vec![
            json!({"kind": "Service", "metadata": {"name": "a-web"}}),
            json!({"kind": "Deployment", "metadata": {"name": "a-web", "labels": {"app.kubernetes.io/name": "web"}}}),
            json!({"kind": "Deployment", "metadata": {"name": "a-worker"}}),
        ];
        let t = deployment_targets(&objs);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].process_type, "web");
        assert_eq!(t[1].process_type, "a-worker");
    }
}
