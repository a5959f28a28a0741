//! `enter`: run a command (default: a shell) in a running container of the app.

use std::io::IsTerminal;

use clap::Subcommand;

use super::args::existing_app;
use super::logs::process_and_index;
use super::{CliError, Ctx};
use crate::ops::run as ops_run;

#[derive(Debug, Subcommand)]
pub enum Enter {
    /// Run a command in a running container (a TTY when the terminal is one)
    #[command(
        name = "enter",
        after_help = "Examples:\n  berth enter my-app web\n  berth enter my-app web ls -lah\n  berth enter my-app web.2 -- ls -la\n  berth enter my-app --container-id my-app-web-5c7659b5d4-f7j97 env"
    )]
    Enter {
        app: String,
        /// Process type, or `<type>.<n>` for its n-th pod (default: the first pod of the app)
        process_type: Option<String>,
        /// Exact pod name
        #[arg(long)]
        container_id: Option<String>,
        /// Command and arguments (default: /bin/bash); `--` before them is optional
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
}

impl Enter {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let Enter::Enter {
            app,
            process_type,
            container_id,
            command,
        } = self;
        let app = existing_app(&ctx.store, &app)?;
        // With --container-id there is no process type: the first word starts the command.
        let (process_type, command) = match (&container_id, process_type) {
            (Some(_), Some(first)) => (None, std::iter::once(first).chain(command).collect()),
            (_, process_type) => (process_type, command),
        };
        let command: Vec<String> = match command.split_first() {
            Some((dashes, rest)) if dashes == "--" => rest.to_vec(),
            _ => command,
        };
        let (process_type, index) = match process_type.as_deref() {
            Some(p) => {
                let (p, i) = process_and_index(p)?;
                (Some(p), i)
            }
            None => (None, None),
        };
        let command = if command.is_empty() {
            vec!["/bin/bash".to_string()]
        } else {
            command
        };
        let tty = std::io::stdin().is_terminal()
            || std::env::var("DOKKU_FORCE_TTY").is_ok_and(|v| v == "true");
        let code = ops_run::enter(
            ctx,
            &app,
            ops_run::EnterOpts {
                process_type,
                index,
                pod: container_id,
                command,
                tty,
            },
        )?;
        if code != 0 {
            return Err(CliError {
                hint: None,
                message: String::new(),
                code,
            });
        }
        Ok(())
    }
}
