//! `logs`: the app's pod logs, merged, each line prefixed with its pod.

use std::io::{IsTerminal, Write};

use clap::Subcommand;

use super::args::existing_app;
use super::{CliError, Ctx};
use crate::ops::logs as ops_logs;

#[derive(Debug, Subcommand)]
pub enum Logs {
    /// Show the app's logs: every pod, each line prefixed `app[pod]: `
    #[command(
        name = "logs",
        after_help = "Examples:\n  berth logs my-app\n  berth logs my-app -p worker -n 50\n  berth logs my-app --tail          # follow (also -f)\n  berth logs my-app -p web.2 --quiet # second web pod, no prefix"
    )]
    Logs {
        app: String,
        /// Only this process type; `web.2` selects the second web pod
        #[arg(long = "ps", short = 'p', value_name = "PROCESS")]
        process: Option<String>,
        /// Number of lines per pod (0 = all)
        #[arg(long = "num", short = 'n', default_value_t = 100)]
        num: i64,
        /// Keep streaming new lines (`-f`/`--follow`, as kubectl spells it, work too)
        #[arg(long, short = 't', visible_short_alias = 'f', visible_alias = "follow")]
        tail: bool,
        /// No pod prefix and no colour
        #[arg(long, short = 'q')]
        quiet: bool,
    },
}

/// Split Dokku's `P.N` into the process type and a 1-based pod index.
pub fn process_and_index(spec: &str) -> Result<(String, Option<usize>), CliError> {
    match spec.split_once('.') {
        None => Ok((spec.to_owned(), None)),
        Some((p, n)) => {
            let index: usize = n.parse().ok().filter(|i| *i >= 1).ok_or_else(|| {
                CliError::msg(format!(
                    "Invalid process {spec:?}: use <process-type> or <process-type>.<n> with n >= 1"
                ))
            })?;
            Ok((p.to_owned(), Some(index)))
        }
    }
}

impl Logs {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let Logs::Logs {
            app,
            process,
            num,
            tail,
            quiet,
        } = self;
        let app = existing_app(&ctx.store, &app)?;
        if num < 0 {
            return Err(CliError::msg(format!(
                "Invalid --num {num}: use 0 (all lines) or a positive count"
            )));
        }
        let (process_type, index) = match process.as_deref() {
            Some(p) => {
                let (p, i) = process_and_index(p)?;
                (Some(p), i)
            }
            None => (None, None),
        };
        let req = ops_logs::LogsRequest {
            process_type,
            index,
            follow: tail,
            lines: num,
            quiet,
            color: !quiet
                && super::global_flags::current()
                    .color
                    .enabled(std::io::stdout().is_terminal()),
            ..ops_logs::LogsRequest::default()
        };
        let mut out = std::io::stdout().lock();
        Ok(ops_logs::logs(ctx, &app, req, |line| {
            // A reader that went away (e.g. `| head`) ends the stream.
            let written = writeln!(out, "{line}").is_ok();
            let _ = out.flush();
            written
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_index() {
        assert_eq!(process_and_index("web").unwrap(), ("web".into(), None));
        assert_eq!(process_and_index("web.2").unwrap(), ("web".into(), Some(2)));
        assert!(process_and_index("web.0").is_err());
        assert!(process_and_index("web.x").is_err());
    }
}
