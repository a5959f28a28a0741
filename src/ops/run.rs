//! `run`, `run:detached`, `run:list`, `run:logs`: one-off commands in the app's deployed image,
//! as Jobs.

use std::time::Duration;

use anyhow::anyhow;
use k8s_openapi::api::batch::v1::{CronJob, Job};

use super::Ctx;
use super::connect::{AppCluster, connect};
use super::error::Result;
use super::release_inputs::{Overrides, PROCFILE, release_from_store};
use super::runtime::block_on;
use crate::kube::jobs::{self, RunRequest};
use crate::kube::{exec, ps, run};
use crate::model::AppName;
use crate::model::procfile::Procfile;
use crate::model::release::shell_args;
use crate::progress::Reporter;
use crate::store::Scope;

/// How long a one-off pod may take to start (image pull included).
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// How a one-off run is connected to this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// This terminal, with a TTY in the container.
    Terminal,
    /// Piped stdin forwarded, output streamed.
    PipedStdin,
    /// No input: the output is streamed from the container's logs.
    Logs,
}

/// A one-off command.
#[derive(Debug, Clone)]
pub struct RunOpts {
    pub app: AppName,
    /// The command words; empty runs the shell, one word naming a Procfile entry runs that entry.
    pub command: Vec<String>,
    /// Extra environment (already validated pairs).
    pub env: Vec<(String, String)>,
}

/// The command to run: the app shell when empty; a single word naming a Procfile entry runs
/// that entry's command.
fn resolve_command(
    ctx: &Ctx,
    app: &AppName,
    command: Vec<String>,
    r: &dyn Reporter,
) -> Result<Vec<String>> {
    if command.is_empty() {
        // The app shell: `scheduler:set <app|--global> shell`, else /bin/bash (Dokku's default).
        let shell = ctx.store.computed_property(
            Some(app),
            crate::store::plugins::SCHEDULER,
            "shell",
            "/bin/bash",
        )?;
        return Ok(vec![shell]);
    }
    if let [word] = command.as_slice()
        && let Some(text) = ctx.store.read_text(&Scope::App(app.clone()), PROCFILE)?
    {
        let procfile = Procfile::parse(&text).map_err(|e| anyhow!("stored {e}"))?;
        let entry = procfile
            .processes
            .iter()
            .find(|(p, _)| p.as_str() == word)
            .map(|(_, c)| c.clone())
            .or_else(|| {
                (word == "release")
                    .then(|| procfile.release.clone())
                    .flatten()
            });
        if let Some(cmd) = entry {
            r.info(&format!("Found '{word}' in Procfile, running that command"));
            // Expanded as procfile-get-command does for a one-off: the app's config, PORT 5000.
            let mut vars = ctx.store.env(app, true)?;
            vars.insert("PORT".into(), "5000".into());
            let mut warnings = Vec::new();
            let words = shell_args(
                &format!("Procfile command of {word}"),
                &cmd,
                &vars,
                &mut warnings,
            )
            .map_err(|e| anyhow!(e))?;
            for w in &warnings {
                r.warn(w);
            }
            return Ok(words);
        }
    }
    Ok(command)
}

/// The Job for a one-off run of `command` in the deployed release of `app`.
async fn build_job(
    ctx: &Ctx,
    app: &AppName,
    command: Vec<String>,
    env: Vec<(String, String)>,
    tty: bool,
    stdin: bool,
) -> anyhow::Result<(AppCluster, k8s_openapi::api::batch::v1::Job)> {
    let cluster = connect(&ctx.store, app).await?;
    let deployed =
        ps::deployed_release(&cluster.client, &cluster.namespace, app.object_name()).await?;
    let base = crate::kube::jobs::run_base(&deployed)?;
    // User labels/annotations for `run` pods and jobs (scheduler-k3s:labels:set ... --process-type run).
    let release = release_from_store(
        &ctx.store,
        app,
        &base.image,
        Overrides {
            deployment_id: base.deployment_id.clone(),
            ..Overrides::default()
        },
    )
    // One line, not a chain that repeats its cause.
    .map_err(|e| anyhow!(e.to_string()))?;
    let mut labels = release.labels.merged(Some("run"), "pod");
    labels.extend(release.labels.merged(Some("run"), "job"));
    let mut annotations = release.annotations.merged(Some("run"), "job");
    annotations.extend(release.annotations.merged(Some("run"), "pod"));
    let req = RunRequest {
        process_type: "run".into(),
        command,
        env,
        labels,
        annotations,
        remove: true,
        deadline_seconds: 86_400,
        tty,
        stdin,
        resources: None,
    };
    let job = jobs::job_manifest(&base, &req, &jobs::random_suffix());
    Ok((cluster, job))
}

/// `run`: run the command attached as `connection` says; returns its exit code.
pub fn run(ctx: &Ctx, opts: RunOpts, connection: Connection, r: &dyn Reporter) -> Result<i32> {
    ctx.store.require_app(&opts.app)?;
    let command = resolve_command(ctx, &opts.app, opts.command, r)?;
    let tty = connection == Connection::Terminal;
    let piped = connection == Connection::PipedStdin;
    block_on(async {
        let (cluster, job) = build_job(ctx, &opts.app, command, opts.env, tty, piped).await?;
        let (client, ns) = (&cluster.client, &cluster.namespace);
        match connection {
            Connection::Terminal => {
                run::run_connected(client, ns, &job, START_TIMEOUT, true, run::Attach::Terminal)
                    .await
            }
            Connection::PipedStdin => {
                let mode = run::Attach::PipedStdin;
                run::run_connected(client, ns, &job, START_TIMEOUT, true, mode).await
            }
            Connection::Logs => run::run_attached(client, ns, &job, START_TIMEOUT, true).await,
        }
    })
}

/// `run:detached`: start the command and return its pod's name.
pub fn detached(ctx: &Ctx, opts: RunOpts, r: &dyn Reporter) -> Result<String> {
    ctx.store.require_app(&opts.app)?;
    let command = resolve_command(ctx, &opts.app, opts.command, r)?;
    block_on(async {
        let (cluster, mut job) = build_job(ctx, &opts.app, command, opts.env, false, false).await?;
        // Detached runs stay listed until removed: no TTL.
        if let Some(spec) = job.spec.as_mut() {
            spec.ttl_seconds_after_finished = None;
        }
        run::run_detached(&cluster.client, &cluster.namespace, &job, START_TIMEOUT).await
    })
}

/// One row of `run:list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRow {
    /// The Job's name (what `run:logs` takes).
    pub name: String,
    /// `running`, `succeeded` or `failed`.
    pub state: &'static str,
    pub created: String,
    pub command: String,
}

fn run_row(job: &Job) -> RunRow {
    RunRow {
        name: job.metadata.name.clone().unwrap_or_default(),
        state: crate::kube::conditions::job_state(job),
        created: job
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string())
            .unwrap_or_default(),
        command: job
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("dokku.com/run-command"))
            .cloned()
            .unwrap_or_default(),
    }
}

/// `run:list`: the app's one-off runs, oldest first.
pub fn list(ctx: &Ctx, app: &AppName) -> Result<Vec<RunRow>> {
    ctx.store.require_app(app)?;
    let jobs = block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        run::list_runs(&cluster.client, &cluster.namespace, app.object_name()).await
    })?;
    Ok(jobs.iter().map(run_row).collect())
}

/// `run:logs`: copy the logs of run `name` (the newest when `None`) to stdout, following them
/// while it runs when `tail` is set.
pub fn logs(ctx: &Ctx, app: &AppName, name: Option<String>, tail: bool) -> Result<()> {
    ctx.store.require_app(app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let ns = &cluster.namespace;
        let job = match name {
            Some(n) => n,
            None => run::list_runs(&cluster.client, ns, app.object_name())
                .await?
                .pop()
                .and_then(|j| j.metadata.name)
                .ok_or_else(|| anyhow!("{app} has no one-off runs"))?,
        };
        let pod = run::job_pod(&cluster.client, ns, &job).await?;
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let running = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|p| p == "Running");
        run::copy_logs(&cluster.client, ns, &pod_name, tail && running).await
    })
}

/// One row of `cron:list`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CronRow {
    pub id: String,
    pub app: String,
    pub schedule: String,
    pub command: String,
    pub suspended: bool,
}

/// `cron:list`: the app's deployed cron tasks, by id.
pub fn cron_list(ctx: &Ctx, app: &AppName) -> Result<Vec<CronRow>> {
    ctx.store.require_app(app)?;
    let list: Vec<CronJob> = block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        jobs::list_cronjobs(&cluster.client, &cluster.namespace, app.object_name()).await
    })?;
    Ok(list
        .iter()
        .filter_map(|c| {
            Some(CronRow {
                id: jobs::cron_id(c)?.to_owned(),
                app: app.to_string(),
                schedule: c.spec.schedule.clone(),
                command: jobs::cron_command(c),
                suspended: c.spec.suspend.unwrap_or(false),
            })
        })
        .collect())
}

/// What `cron:run` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CronRun {
    /// `--detach`: the run's pod was started.
    Started { pod: String },
    /// The run finished with this exit code.
    Exited { code: i32 },
}

/// `cron:run`: run the cron task `cron_id` now, as a Job made from its CronJob.
pub fn cron_run(ctx: &Ctx, app: &AppName, cron_id: &str, detach: bool) -> Result<CronRun> {
    ctx.store.require_app(app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let ns = &cluster.namespace;
        let list = jobs::list_cronjobs(&cluster.client, ns, app.object_name()).await?;
        let Some(cron) = list.iter().find(|c| jobs::cron_id(c) == Some(cron_id)) else {
            let ids: Vec<&str> = list.iter().filter_map(jobs::cron_id).collect();
            anyhow::bail!(
                "no cron task {cron_id:?} in {app} (deployed ids: {}); see berth cron:list {app}",
                if ids.is_empty() {
                    "none".into()
                } else {
                    ids.join(", ")
                }
            );
        };
        let job = jobs::job_from_cronjob(cron, app.object_name(), &jobs::random_suffix())?;
        if detach {
            let pod = run::run_detached(&cluster.client, ns, &job, START_TIMEOUT).await?;
            Ok(CronRun::Started { pod })
        } else {
            let code = run::run_attached(&cluster.client, ns, &job, START_TIMEOUT, true).await?;
            Ok(CronRun::Exited { code })
        }
    })
}

/// `enter`: run `req`'s command in a running container of the app; returns its exit code.
pub fn enter(ctx: &Ctx, app: &AppName, req: EnterOpts) -> Result<i32> {
    ctx.store.require_app(app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let req = exec::EnterRequest {
            app: app.object_name().to_owned(),
            namespace: cluster.namespace.clone(),
            process_type: req.process_type,
            index: req.index,
            pod: req.pod,
            command: req.command,
            tty: req.tty,
        };
        exec::enter(&cluster.client, &req).await
    })
}

/// Which container `enter` runs in, and what.
#[derive(Debug, Clone)]
pub struct EnterOpts {
    pub process_type: Option<String>,
    /// 1-based pod index within the process type.
    pub index: Option<usize>,
    /// A pod name (`--container-id`).
    pub pod: Option<String>,
    pub command: Vec<String>,
    pub tty: bool,
}
