//! `run`, `run:detached`, `run:list`, `run:logs`: one-off commands in the app's image as Jobs.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Subcommand;

use super::args::existing_app;
use super::on_cluster::{block_on, connect};
use super::output::{Format, info1, print_json, print_table};
use super::{CliError, Ctx};
use crate::kube::jobs::{self, RunBase, RunRequest};
use crate::kube::{ps, run};
use crate::model::AppName;
use crate::model::env::parse_env_pair;
use crate::model::procfile::Procfile;
use crate::model::release::command_words;
use crate::ops::release_inputs::{Overrides, PROCFILE, release_from_store};
use crate::store::Scope;

/// How long a one-off pod may take to start (image pull included).
const START_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Subcommand)]
pub enum Run {
    /// Run a one-off command in the app's image, attached: output streamed, exit code propagated
    #[command(
        name = "run",
        after_help = "Examples:\n  berth run my-app -- python manage.py migrate\n  berth run my-app --env DEBUG=1 --no-tty -- env\n  berth run my-app release      # a Procfile entry runs its command"
    )]
    Run {
        app: String,
        /// Extra environment variable for this run (repeatable)
        #[arg(long = "env", short = 'e', value_name = "KEY=VALUE")]
        env: Vec<String>,
        /// Never attach a TTY: stream the command's output (the default when stdin is not a terminal)
        #[arg(long)]
        no_tty: bool,
        /// Attach with a TTY even when stdin is not a terminal
        #[arg(long, conflicts_with = "no_tty")]
        force_tty: bool,
        /// Command and arguments (default: /bin/bash); put `--` before options of the command
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Start a one-off command in the background and print its pod name
    #[command(
        name = "run:detached",
        after_help = "Example:\n  berth run:detached my-app -- python worker.py --once"
    )]
    Detached {
        app: String,
        #[arg(long = "env", short = 'e', value_name = "KEY=VALUE")]
        env: Vec<String>,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// List the app's one-off runs (Jobs)
    #[command(
        name = "run:list",
        after_help = "Examples:\n  berth run:list my-app\n  berth run:list my-app --format json"
    )]
    List {
        app: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show the logs of a one-off run (the newest when none is named)
    #[command(
        name = "run:logs",
        after_help = "Examples:\n  berth run:logs my-app\n  berth run:logs my-app my-app-run-0a1b2c3d4e --tail"
    )]
    Logs {
        app: String,
        /// Job name from run:list
        run: Option<String>,
        /// Keep streaming until the run ends
        #[arg(long, short = 't')]
        tail: bool,
    },
}

/// The command to run: the app shell when empty; a single word naming a Procfile entry runs
/// that entry's command.
fn resolve_command(
    ctx: &Ctx,
    app: &AppName,
    command: Vec<String>,
) -> Result<Vec<String>, CliError> {
    if command.is_empty() {
        return Ok(vec!["/bin/bash".into()]);
    }
    if let [word] = command.as_slice()
        && let Some(text) = ctx.store.read_text(&Scope::App(app.clone()), PROCFILE)?
    {
        let procfile = Procfile::parse(&text).map_err(|e| CliError::msg(format!("stored {e}")))?;
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
            info1(format!("Found '{word}' in Procfile, running that command"));
            return command_words(&cmd, &Default::default()).ok_or_else(|| {
                CliError::msg(format!("Procfile command of {word} has unbalanced quotes"))
            });
        }
    }
    Ok(command)
}

fn parse_env(env: &[String]) -> Result<Vec<(String, String)>, CliError> {
    env.iter()
        .map(|p| {
            parse_env_pair(p)
                .map_err(|e| CliError::msg(format!("Invalid environment variable pair: {p}: {e}")))
        })
        .collect()
}

/// True when stdin is a pipe or a regular file: input to forward to a one-off command.
fn stdin_has_input() -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata("/dev/stdin")
        .map(|m| m.file_type().is_fifo() || m.is_file())
        .unwrap_or(false)
}

/// The Job for a one-off run of `command` in the deployed release of `app`.
async fn build_job(
    ctx: &Ctx,
    app: &AppName,
    command: Vec<String>,
    env: Vec<(String, String)>,
    tty: bool,
    stdin: bool,
) -> anyhow::Result<(
    crate::ops::connect::AppCluster,
    k8s_openapi::api::batch::v1::Job,
)> {
    let cluster = connect(ctx, app).await?;
    let deployed = ps::deployed_release(&cluster.client, &cluster.namespace, app.as_str()).await?;
    let base = RunBase::from_release(&deployed)?;
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
    .map_err(|e| anyhow::anyhow!(e))?;
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

impl Run {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            Run::Run {
                app,
                env,
                no_tty,
                force_tty,
                command,
            } => {
                let app = existing_app(&ctx.store, &app)?;
                let env = parse_env(&env)?;
                let command = resolve_command(ctx, &app, command)?;
                // On a terminal the one-off container gets a TTY and this terminal is attached
                // to it (a shell works); otherwise its output is streamed from its logs.
                let tty = !no_tty && (force_tty || std::io::stdin().is_terminal());
                // Input piped or redirected from a file is sent to the command (`echo x | berth
                // run app -- cat`); /dev/null or no stdin is not.
                let piped = !tty && stdin_has_input();
                let code = block_on(async {
                    let (cluster, job) = build_job(ctx, &app, command, env, tty, piped).await?;
                    if piped || tty {
                        let mode = if tty {
                            run::Attach::Terminal
                        } else {
                            run::Attach::PipedStdin
                        };
                        run::run_connected(
                            &cluster.client,
                            &cluster.namespace,
                            &job,
                            START_TIMEOUT,
                            true,
                            mode,
                        )
                        .await
                    } else {
                        run::run_attached(
                            &cluster.client,
                            &cluster.namespace,
                            &job,
                            START_TIMEOUT,
                            true,
                        )
                        .await
                    }
                })?;
                if code != 0 {
                    return Err(CliError {
                        message: String::new(),
                        code,
                    });
                }
                Ok(())
            }
            Run::Detached { app, env, command } => {
                let app = existing_app(&ctx.store, &app)?;
                let env = parse_env(&env)?;
                let command = resolve_command(ctx, &app, command)?;
                let pod = block_on(async {
                    let (cluster, mut job) =
                        build_job(ctx, &app, command, env, false, false).await?;
                    // Detached runs stay listed until removed: no TTL.
                    if let Some(spec) = job.spec.as_mut() {
                        spec.ttl_seconds_after_finished = None;
                    }
                    run::run_detached(&cluster.client, &cluster.namespace, &job, START_TIMEOUT)
                        .await
                })?;
                println!("{pod}");
                Ok(())
            }
            Run::List { app, format } => {
                let app = existing_app(&ctx.store, &app)?;
                let jobs = block_on(async {
                    let cluster = connect(ctx, &app).await?;
                    run::list_runs(&cluster.client, &cluster.namespace, app.as_str()).await
                })?;
                let rows: Vec<serde_json::Value> = jobs
                    .iter()
                    .map(|j| {
                        serde_json::json!({
                            "name": j.metadata.name.clone().unwrap_or_default(),
                            "state": run::job_state(j),
                            "created": j.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default(),
                            "command": j.metadata.annotations.as_ref()
                                .and_then(|a| a.get("dokku.com/run-command")).cloned().unwrap_or_default(),
                        })
                    })
                    .collect();
                if format == Format::Json {
                    return print_json(&rows);
                }
                super::output::info2(format!("{app} one-off runs"));
                let mut table = vec![["NAME", "STATE", "CREATED", "COMMAND"].map(String::from)];
                for r in &rows {
                    table.push(
                        ["name", "state", "created", "command"]
                            .map(|k| r[k].as_str().unwrap_or_default().to_owned()),
                    );
                }
                print_table(&table);
                Ok(())
            }
            Run::Logs {
                app,
                run: name,
                tail,
            } => {
                let app = existing_app(&ctx.store, &app)?;
                block_on(async {
                    let cluster = connect(ctx, &app).await?;
                    let ns = &cluster.namespace;
                    let job = match name {
                        Some(n) => n,
                        None => run::list_runs(&cluster.client, ns, app.as_str())
                            .await?
                            .pop()
                            .and_then(|j| j.metadata.name)
                            .ok_or_else(|| anyhow::anyhow!("{app} has no one-off runs"))?,
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
        }
    }
}
