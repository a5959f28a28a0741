//! `ps:stop`, `ps:start`, `ps:restart`, `ps:rebuild`, `ps:inspect`: processes of a deployed app.

use clap::{Args, Subcommand};

use super::args::existing_app;
use std::sync::atomic::{AtomicBool, Ordering};

use super::json_events;
use super::output::{Format, info1, print_json, verbose};
use super::terminal::Terminal;
use super::{CliError, Ctx};
use crate::model::fleet::parallelism;
use crate::ops::fleet::run_each;
use crate::ops::lock::LockWait;
use crate::ops::ps;
use crate::ops::release::Redeploy;
use crate::progress::{Prefixed, Reporter};

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

/// How `--all` runs the apps.
#[derive(Debug, Args)]
pub struct FleetFlags {
    /// With --all: how many apps at once (-1: one per CPU; 0 or 1: one after another)
    #[arg(
        long,
        value_name = "COUNT",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub parallel: i64,
    /// With --all: start no further app after one failed
    #[arg(long)]
    pub fail_fast: bool,
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
        #[command(flatten)]
        targets: Targets,
    },
    /// Start a stopped app: roll out its deployed release again at the stored scale
    #[command(
        name = "ps:start",
        after_help = "Examples:\n  berth ps:start my-app\n  berth ps:start --all"
    )]
    Start {
        #[command(flatten)]
        targets: Targets,
    },
    /// Restart an app's pods (one process type, or all), rolling, and wait for them
    #[command(
        name = "ps:restart",
        after_help = "Examples:\n  berth ps:restart my-app\n  berth ps:restart my-app worker\n  berth ps:restart --all\n  berth ps:restart my-app -o json   # progress as JSON lines, for CI"
    )]
    Restart {
        #[command(flatten)]
        targets: Targets,
        /// Only this process type
        process_type: Option<String>,
    },
    /// Redeploy the deployed image with the current config, replacing every pod
    #[command(
        name = "ps:rebuild",
        after_help = "Examples:\n  berth ps:rebuild my-app\n  berth ps:rebuild --all\n  berth ps:rebuild my-app -o json   # progress as JSON lines, for CI"
    )]
    Rebuild {
        #[command(flatten)]
        targets: Targets,
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

fn rollout(
    ctx: &Ctx,
    app: &str,
    flags: &RolloutFlags,
    mode: Redeploy,
    progress: &dyn Reporter,
) -> Result<(), CliError> {
    let app = existing_app(&ctx.store, app)?;
    if flags.format == Format::Json {
        return json_events::run(app.as_str(), "running", |events| {
            let revision = ps::rollout(ctx, &app, flags.lock_wait(), mode, events)?;
            Ok(serde_json::json!({"revision": revision}))
        });
    }
    let revision = ps::rollout(ctx, &app, flags.lock_wait(), mode, progress)?;
    info1(format!("{app} is running revision {revision}"));
    Ok(())
}

fn stop(ctx: &Ctx, app: &str, flags: &RolloutFlags) -> Result<(), CliError> {
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
}

/// Which apps a command runs on and how: the named one, or with `--all` every app, `--parallel`
/// at once (Dokku's flag: -1 = one per CPU, 0/1 = serially).
#[derive(Debug, Args)]
pub struct Targets {
    #[arg(required_unless_present = "all")]
    app: Option<String>,
    /// Every deployed app (undeployed ones are skipped)
    #[arg(long, conflicts_with = "app")]
    all: bool,
    #[command(flatten)]
    flags: RolloutFlags,
    #[command(flatten)]
    fleet: FleetFlags,
}

/// How one app of an `--all` run ended.
enum AppOutcome {
    Done,
    Skipped,
    Failed,
    NotRun,
}

impl Targets {
    /// Run `one` on each target (`command` is Dokku's name of it in its `--all` messages:
    /// `rebuild`, `restart`, …). With `--all`, an app that is not deployed is skipped with a
    /// warning and the others still run (unless `--fail-fast` and one failed); the command
    /// fails, in Dokku's words, when any app failed.
    fn each(
        &self,
        ctx: &Ctx,
        command: &str,
        one: impl Fn(&str, &dyn Reporter) -> Result<(), CliError> + Sync,
    ) -> Result<(), CliError> {
        let flags = &self.flags;
        let Some(all_apps) = self.all.then(|| ctx.store.list_apps()).transpose()? else {
            let app = self.app.clone().unwrap_or_default();
            return one(&app, &Terminal::new(flags.quiet));
        };
        let apps: Vec<String> = all_apps.into_iter().map(|a| a.to_string()).collect();
        let plan = parallelism(self.fleet.parallel, num_cpus(), command)?;
        if let Some(notice) = &plan.notice {
            super::output::warn(notice);
        }
        if apps.is_empty() {
            super::output::warn("You haven't deployed any applications yet");
            return Ok(());
        }
        let serial = plan.serial();
        // Apps running at once share one plain-line reporter, each line named after its app.
        let terminal = Terminal::new(flags.quiet || !serial);
        let json = flags.format == Format::Json;
        let failed_once = AtomicBool::new(false);
        let outcomes = run_each(&apps, plan.workers, |a| {
            if self.fleet.fail_fast && failed_once.load(Ordering::SeqCst) {
                return AppOutcome::NotRun;
            }
            if !json {
                if serial {
                    info1(format!("Running {} against app {a}", command));
                } else {
                    info1(format!("Running command against {a}"));
                }
            }
            let named = Prefixed {
                inner: &terminal,
                prefix: a.clone(),
            };
            let progress: &dyn Reporter = if serial { &terminal } else { &named };
            match one(a, progress) {
                Ok(()) => AppOutcome::Done,
                Err(e) if e.message.contains("is not deployed") => {
                    super::output::warn(format!("{a} has not been deployed, skipping"));
                    AppOutcome::Skipped
                }
                Err(e) => {
                    failed_once.store(true, Ordering::SeqCst);
                    if serial {
                        super::output::warn(format!(
                            "Error running {} against app {a}: {}",
                            command,
                            e.line()
                        ));
                    } else {
                        super::output::warn(format!(
                            "Error running {} against {a}: {}",
                            command,
                            e.line()
                        ));
                    }
                    AppOutcome::Failed
                }
            }
        });
        let names = |want: fn(&AppOutcome) -> bool| -> Vec<&str> {
            apps.iter()
                .zip(&outcomes)
                .filter(|(_, o)| want(o))
                .map(|(a, _)| a.as_str())
                .collect()
        };
        let done = names(|o| matches!(o, AppOutcome::Done));
        let skipped = names(|o| matches!(o, AppOutcome::Skipped));
        let failed = names(|o| matches!(o, AppOutcome::Failed));
        let not_run = names(|o| matches!(o, AppOutcome::NotRun));
        if json {
            let events = json_events::JsonEvents::default();
            events.emit(
                "summary",
                serde_json::json!({
                    "command": command, "done": done, "skipped": skipped,
                    "failed": failed, "not_run": not_run,
                })
                .as_object()
                .cloned()
                .unwrap_or_default(),
            );
        } else {
            let list = |v: &[&str]| {
                if v.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", v.join(", "))
                }
            };
            info1(format!(
                "{}: {} app(s), {} done, {} skipped{}, {} failed{}{}",
                command,
                apps.len(),
                done.len(),
                skipped.len(),
                list(&skipped),
                failed.len(),
                list(&failed),
                if not_run.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {} not run after a failure{}",
                        not_run.len(),
                        list(&not_run)
                    )
                }
            ));
        }
        match (failed.len(), serial) {
            (0, _) => Ok(()),
            (n, true) => Err(CliError::msg(format!(
                "{} command returned {n} errors",
                command
            ))),
            (n, false) => Err(CliError::msg(format!(
                "Encountered {n} errors during parallel run"
            ))),
        }
    }
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl PsCluster {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            PsCluster::Stop { targets } => {
                targets.each(ctx, "stop", |a, _| stop(ctx, a, &targets.flags))
            }
            PsCluster::Start { targets } => targets.each(ctx, "start", |a, p| {
                rollout(ctx, a, &targets.flags, Redeploy::Start, p)
            }),
            PsCluster::Restart {
                targets,
                process_type,
            } => targets.each(ctx, "restart", |a, p| {
                let mode = Redeploy::Restart(process_type.clone());
                rollout(ctx, a, &targets.flags, mode, p)
            }),
            PsCluster::Rebuild { targets } => targets.each(ctx, "rebuild", |a, p| {
                rollout(ctx, a, &targets.flags, Redeploy::Rebuild, p)
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
