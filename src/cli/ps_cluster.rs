//! `ps:stop`, `ps:start`, `ps:restart`, `ps:rebuild`, `ps:inspect`: processes of a deployed app.

use clap::{Args, Subcommand};

use super::args::existing_app;
use super::json_events;
use super::output::{Format, info1, print_json, verbose};
use super::terminal::Terminal;
use super::{CliError, Ctx};
use crate::ops::lock::LockWait;
use crate::ops::ps;
use crate::ops::release::Redeploy;

/// Flags every rollout command takes.
#[derive(Debug, Args)]
pub struct RolloutFlags {
    /// Fail at once if another command holds the app's lock instead of waiting for it
    #[arg(long = "no-lock-wait", alias = "no-wait")]
    pub no_wait: bool,
    /// Plain progress lines instead of live ones
    #[arg(long, short)]
    pub quiet: bool,
    /// stdout, or json: the progress as one JSON object per line and the outcome last (for CI)
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub format: Format,
}

impl RolloutFlags {
    pub(super) fn lock_wait(&self) -> LockWait {
        if self.no_wait {
            LockWait::NoWait
        } else {
            LockWait::DeployTimeout
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum PsCluster {
    /// Stop an app: scale every process to 0 and suspend its cron jobs
    #[command(
        name = "ps:stop",
        after_help = "Examples:\n  berth ps:stop my-app\n  berth ps:stop --all"
    )]
    Stop {
        #[arg(required_unless_present = "all")]
        app: Option<String>,
        /// Every deployed app (undeployed ones are skipped)
        #[arg(long, conflicts_with = "app")]
        all: bool,
        #[command(flatten)]
        flags: RolloutFlags,
    },
    /// Start a stopped app: roll out its deployed release again at the stored scale
    #[command(
        name = "ps:start",
        after_help = "Examples:\n  berth ps:start my-app\n  berth ps:start --all"
    )]
    Start {
        #[arg(required_unless_present = "all")]
        app: Option<String>,
        /// Every deployed app (undeployed ones are skipped)
        #[arg(long, conflicts_with = "app")]
        all: bool,
        #[command(flatten)]
        flags: RolloutFlags,
    },
    /// Restart an app's pods (one process type, or all), rolling, and wait for them
    #[command(
        name = "ps:restart",
        after_help = "Examples:\n  berth ps:restart my-app\n  berth ps:restart my-app worker\n  berth ps:restart --all\n  berth ps:restart my-app -o json   # progress as JSON lines, for CI"
    )]
    Restart {
        #[arg(required_unless_present = "all")]
        app: Option<String>,
        /// Every deployed app (undeployed ones are skipped)
        #[arg(long, conflicts_with = "app")]
        all: bool,
        /// Only this process type
        process_type: Option<String>,
        #[command(flatten)]
        flags: RolloutFlags,
    },
    /// Redeploy the deployed image with the current config, replacing every pod
    #[command(
        name = "ps:rebuild",
        after_help = "Examples:\n  berth ps:rebuild my-app\n  berth ps:rebuild --all\n  berth ps:rebuild my-app -o json   # progress as JSON lines, for CI"
    )]
    Rebuild {
        #[arg(required_unless_present = "all")]
        app: Option<String>,
        /// Every deployed app (undeployed ones are skipped)
        #[arg(long, conflicts_with = "app")]
        all: bool,
        #[command(flatten)]
        flags: RolloutFlags,
    },
    /// Show the live objects of an app: revision, Deployments, pods and why a pod is not ready
    #[command(
        name = "ps:inspect",
        after_help = "Examples:\n  berth ps:inspect my-app\n  berth ps:inspect my-app --format json"
    )]
    Inspect {
        app: String,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
}

fn rollout(ctx: &Ctx, app: &str, flags: &RolloutFlags, mode: Redeploy) -> Result<(), CliError> {
    let app = existing_app(&ctx.store, app)?;
    if flags.format == Format::Json {
        return json_events::run(app.as_str(), "running", |events| {
            let revision = ps::rollout(ctx, &app, flags.lock_wait(), mode, events)?;
            Ok(serde_json::json!({"revision": revision}))
        });
    }
    let progress = Terminal::new(flags.quiet);
    let revision = ps::rollout(ctx, &app, flags.lock_wait(), mode, &progress)?;
    info1(format!("{app} is running revision {revision}"));
    Ok(())
}

/// The apps a command runs on: the named one, or (with `--all`, which clap makes the only
/// way to give none) every app.
fn targets(ctx: &Ctx, app: Option<String>) -> Result<Vec<String>, CliError> {
    match app {
        Some(app) => Ok(vec![app]),
        None => Ok(ctx
            .store
            .list_apps()?
            .into_iter()
            .map(|a| a.to_string())
            .collect()),
    }
}

/// Run `one` on each target. With `--all`, an app that is not deployed is skipped with a
/// warning and the others still run; the command fails naming every app that failed.
fn each(
    ctx: &Ctx,
    app: Option<String>,
    all: bool,
    one: impl Fn(&str) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let apps = targets(ctx, app)?;
    if !all {
        return apps.iter().try_for_each(|a| one(a));
    }
    if apps.is_empty() {
        super::output::warn("You haven't deployed any applications yet");
        return Ok(());
    }
    let mut failed = Vec::new();
    for a in &apps {
        if let Err(e) = one(a) {
            if e.message.contains("is not deployed") {
                super::output::warn(format!("{a} has not been deployed, skipping"));
            } else {
                super::output::warn(format!("{a}: {}", e.message));
                failed.push(a.clone());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::msg(format!("failed for {}", failed.join(", "))))
    }
}

impl PsCluster {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            PsCluster::Stop { app, all, flags } => each(ctx, app, all, |app| {
                let app = existing_app(&ctx.store, app)?;
                if flags.format == Format::Json {
                    return json_events::run(app.as_str(), "stopped", |_| {
                        let stopped = ps::stop(ctx, &app, flags.lock_wait())?;
                        Ok(serde_json::json!({"processes": stopped}))
                    });
                }
                let stopped = ps::stop(ctx, &app, flags.lock_wait())?;
                info1(format!("Stopping {app}"));
                for p in stopped {
                    verbose(format!("Stopping {p} process"));
                }
                Ok(())
            }),
            PsCluster::Start { app, all, flags } => {
                each(ctx, app, all, |a| rollout(ctx, a, &flags, Redeploy::Start))
            }
            PsCluster::Restart {
                app,
                all,
                process_type,
                flags,
            } => each(ctx, app, all, |a| {
                rollout(ctx, a, &flags, Redeploy::Restart(process_type.clone()))
            }),
            PsCluster::Rebuild { app, all, flags } => each(ctx, app, all, |a| {
                rollout(ctx, a, &flags, Redeploy::Rebuild)
            }),
            PsCluster::Inspect { app, format } => inspect(ctx, &app, format),
        }
    }
}

fn inspect(ctx: &Ctx, app: &str, format: Format) -> Result<(), CliError> {
    let app = existing_app(&ctx.store, app)?;
    let live = ps::inspect(ctx, &app)?;
    let running = live.running.clone();
    let (revision, states, namespace) = (live.latest, live.processes, live.namespace);
    if format == Format::Json {
        return print_json(&serde_json::json!({
            "app": app.as_str(),
            "namespace": namespace,
            "revision": revision.as_ref().map(|r| r.version),
            "status": revision.as_ref().map(|r| r.info.status.as_str()),
            "running": running,
            "processes": states,
        }));
    }
    super::output::info2(format!("{app} live state (namespace {namespace})"));
    match &revision {
        Some(r) => verbose(format!(
            "Revision {} ({}): {}",
            r.version, r.info.status, r.info.description
        )),
        None => verbose("Not deployed"),
    }
    verbose(format!("Running: {}", running));
    for s in &states {
        verbose(format!(
            "{}: {}/{} ready ({} available) deployment {} image {}",
            s.process_type, s.ready, s.desired, s.available, s.deployment, s.image
        ));
        for p in &s.pods {
            let why = p
                .reason
                .as_deref()
                .map(|r| format!(" — {r}"))
                .unwrap_or_default();
            verbose(format!(
                "  {} {} ready={} restarts={} node={}{why}",
                p.name, p.phase, p.ready, p.restarts, p.node
            ));
        }
    }
    Ok(())
}
