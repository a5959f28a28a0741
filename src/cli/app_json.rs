//! `app-json:set|report`: the app.json (formation, cron, healthchecks, autoscaling, scripts)
//! stored for an app, validated on the way in.

use clap::Subcommand;

use super::args::existing_app;
use super::output::{Format, Report, Row, emit_reports, info2};
use super::{CliError, Ctx};
use crate::model::app_json::AppJson;

#[derive(Debug, Subcommand)]
pub enum AppJsonCmd {
    /// Store an app.json for an app (no --file removes it)
    #[command(
        name = "app-json:set",
        after_help = "Examples:\n  berth app-json:set my-app --file ./app.json\n  cat app.json | berth app-json:set my-app --file -\n  berth app-json:set my-app          # remove"
    )]
    Set {
        app: String,
        /// Path of the app.json, or - for standard input
        #[arg(long, value_name = "PATH")]
        file: Option<String>,
    },
    /// Show what the stored app.json declares
    #[command(
        name = "app-json:report",
        after_help = "Examples:\n  berth app-json:report my-app\n  berth app-json:report my-app --format json\n  berth app-json:report my-app --app-json-formation"
    )]
    Report {
        app: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

fn read_input(path: &str) -> Result<String, CliError> {
    Ok(crate::input::read_text_or_stdin(
        path,
        crate::input::APP_JSON,
    )?)
}

impl AppJsonCmd {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            AppJsonCmd::Set { app, file } => {
                let app = existing_app(store, &app)?;
                let text = file.as_deref().map(read_input).transpose()?;
                crate::ops::settings::set_app_json(ctx, &app, text.as_deref())?;
                match &text {
                    Some(_) => info2(format!("Stored app.json for {app}")),
                    None => info2(format!("Removed app.json for {app}")),
                }
            }
            AppJsonCmd::Report {
                app,
                format,
                info_flag,
            } => {
                let Some(apps) =
                    super::args::report_apps(store, app.as_deref(), "app-json:report")?
                else {
                    return Ok(());
                };
                let mut reports = Vec::new();
                for app in apps {
                    let text = store.app_json_text(&app)?;
                    let parsed = match &text {
                        Some(t) => AppJson::parse(t)?,
                        None => AppJson::default(),
                    };
                    let formation: Vec<String> = parsed
                        .formation
                        .iter()
                        .map(|(p, f)| match f.quantity {
                            Some(q) => format!("{p}={q}"),
                            None => p.to_string(),
                        })
                        .collect();
                    let autoscaled: Vec<String> = parsed
                        .formation
                        .iter()
                        .filter(|(_, f)| f.autoscaling.is_some())
                        .map(|(p, _)| p.to_string())
                        .collect();
                    let healthchecks: Vec<String> =
                        parsed.healthchecks.keys().map(|p| p.to_string()).collect();
                    reports.push(Report {
                        subject: app.to_string(),
                        plugin: "app-json",
                        rows: vec![
                            Row::new("--app-json-stored", text.is_some().to_string()),
                            Row::new("--app-json-formation", formation.join(" ")),
                            Row::new("--app-json-autoscaling", autoscaled.join(" ")),
                            Row::new("--app-json-cron-tasks", parsed.cron.len().to_string()),
                            Row::new("--app-json-healthchecks", healthchecks.join(" ")),
                        ],
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}
