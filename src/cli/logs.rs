//! `logs`: the app's pod logs, merged, each line prefixed with its pod; `logs:set|report`:
//! Dokku's logs properties (on k3s the global sinks feed the cluster's Vector).

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
    /// Set or clear a logs property for an app
    #[command(
        name = "logs:set",
        after_help = "Examples:\n  berth logs:set --global vector-sink 'http://?uri=https%3A%2F%2Flogs.example.com&encoding[codec]=json'\n  berth logs:set --global vector-cron-sink 'console://?encoding[codec]=json'\n  berth logs:set --global vector-sink                 # back to the console sink\n  berth logs:set my-app max-size 20m\n\nProperties: app-label-alias, max-size, vector-cron-sink, vector-image (global), vector-networks\n(global), vector-sink. On k3s the global sinks become the Vector chart's sinks at the next\nscheduler-k3s:ensure-charts (kept in a Secret, never in the HelmChart); sink values are stored\n0600 and reported as <type>://redacted unless their own flag is asked for."
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        property: String,
        /// New value; omit or pass "" to unset
        value: Option<String>,
    },
    /// Displays a logs report for one or more apps
    #[command(
        name = "logs:report",
        after_help = "Examples:\n  berth logs:report my-app\n  berth logs:report --global --format json\n  berth logs:report --global --logs-global-vector-sink   # the sink as stored"
    )]
    Report {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: super::output::Format,
        /// One value only, e.g. --logs-computed-max-size
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

/// `logs:report` for the scopes `target` names; sinks are shown as `<type>://redacted` unless
/// the info flag asks for one exactly.
fn logs_report(
    ctx: &Ctx,
    target: Option<&str>,
    format: super::output::Format,
    info_flag: Option<&str>,
) -> Result<(), CliError> {
    use super::output::{Report, Row, emit_reports, warn};
    use crate::model::logs_properties::SINKS;
    let scopes = super::args::report_scopes(&ctx.store, target)?;
    if scopes.is_empty() {
        warn("You haven't deployed any applications yet");
        return Ok(());
    }
    let mut reports = Vec::new();
    for scope in &scopes {
        let rows = ops_logs::report(&ctx.store, scope)?
            .into_iter()
            .map(|r| {
                let flag = match r.layer {
                    "app" => format!("--logs-{}", r.name),
                    layer => format!("--logs-{layer}-{}", r.name),
                };
                let asked = info_flag == Some(flag.as_str());
                let value = if SINKS.contains(&r.name) && !asked && !r.value.is_empty() {
                    crate::model::vector_sink::redacted(&r.value)
                } else {
                    r.value
                };
                Row::new(flag, value)
            })
            .collect();
        let subject = match scope {
            crate::store::Scope::App(a) => a.to_string(),
            crate::store::Scope::Global => "--global".to_owned(),
        };
        reports.push(Report {
            subject,
            plugin: "logs",
            rows,
        });
    }
    emit_reports(&reports, format, info_flag)
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
        let (app, process, num, tail, quiet) = match self {
            Logs::Logs {
                app,
                process,
                num,
                tail,
                quiet,
            } => (app, process, num, tail, quiet),
            Logs::Set {
                target,
                property,
                value,
            } => {
                let scope = super::args::existing_scope(&ctx.store, &target)?;
                let value = value.filter(|v| !v.is_empty());
                let note = ops_logs::set_property(ctx, &scope, &property, value.as_deref())?;
                let secret = crate::model::logs_properties::SINKS.contains(&property.as_str());
                match &value {
                    Some(_) if secret => {
                        super::output::info2(format!("Setting {property} (value hidden)"))
                    }
                    Some(v) => super::output::info2(format!("Setting {property} to {v}")),
                    None => super::output::info2(format!("Unsetting {property}")),
                }
                if let Some(note) = note {
                    super::output::verbose(note);
                }
                return Ok(());
            }
            Logs::Report {
                target,
                format,
                info_flag,
            } => return logs_report(ctx, target.as_deref(), format, info_flag.as_deref()),
        };
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
