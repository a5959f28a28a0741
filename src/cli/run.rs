//! `run`, `run:detached`, `run:list`, `run:logs`: one-off commands in the app's image as Jobs.

use std::io::IsTerminal;

use clap::Subcommand;

use super::args::existing_app;
use super::output::{Format, print_json, print_table};
use super::terminal::Terminal;
use super::{CliError, Ctx};
use crate::model::env::parse_env_pair;
use crate::ops::run::{self as ops_run, Connection, RunOpts};

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
        #[arg(long, short = 'o', value_enum, default_value_t)]
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

fn parse_env(env: &[String]) -> Result<Vec<(String, String)>, CliError> {
    // Dokku's wording, without the pair itself: one without '=' is often a pasted secret.
    env.iter()
        .enumerate()
        .map(|(i, pair)| {
            if !pair.contains('=') {
                return Err(CliError::msg(format!(
                    "Invalid environment variable pair #{} (not shown, it may hold a secret): use KEY=VALUE",
                    i + 1
                )));
            }
            parse_env_pair(pair)
                .map_err(|e| CliError::msg(format!("Invalid environment variable pair: {e}")))
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

impl Run {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let progress = Terminal::new(false);
        match self {
            Run::Run {
                app,
                env,
                no_tty,
                force_tty,
                command,
            } => {
                let opts = RunOpts {
                    app: existing_app(&ctx.store, &app)?,
                    env: parse_env(&env)?,
                    command,
                };
                // On a terminal the one-off container gets a TTY and this terminal is attached
                // to it (a shell works); otherwise its output is streamed from its logs.
                let tty = !no_tty && (force_tty || std::io::stdin().is_terminal());
                // Input piped or redirected from a file is sent to the command (`echo x | berth
                // run app -- cat`); /dev/null or no stdin is not.
                let connection = if tty {
                    Connection::Terminal
                } else if stdin_has_input() {
                    Connection::PipedStdin
                } else {
                    Connection::Logs
                };
                let code = ops_run::run(ctx, opts, connection, &progress)?;
                if code != 0 {
                    return Err(CliError {
                        hint: None,
                        message: String::new(),
                        code,
                    });
                }
                Ok(())
            }
            Run::Detached { app, env, command } => {
                let opts = RunOpts {
                    app: existing_app(&ctx.store, &app)?,
                    env: parse_env(&env)?,
                    command,
                };
                println!("{}", ops_run::detached(ctx, opts, &progress)?);
                Ok(())
            }
            Run::List { app, format } => {
                let app = existing_app(&ctx.store, &app)?;
                let rows = ops_run::list(ctx, &app)?;
                if format == Format::Json {
                    return print_json(&rows);
                }
                super::output::info2(format!("{app} one-off runs"));
                let mut table = vec![["NAME", "STATE", "CREATED", "COMMAND"].map(String::from)];
                for r in &rows {
                    table.push([
                        r.name.clone(),
                        r.state.to_owned(),
                        r.created.clone(),
                        r.command.clone(),
                    ]);
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
                Ok(ops_run::logs(ctx, &app, name, tail)?)
            }
        }
    }
}
