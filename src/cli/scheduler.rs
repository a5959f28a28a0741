//! `scheduler:set|report`: which scheduler runs an app. berth is the k3s scheduler, so `selected`
//! accepts `k3s` only; the property exists so Dokku scripts keep working.

use clap::Subcommand;

use super::args::{existing_scope, report_scopes};
use super::output::{Format, Report, Row, emit_reports, info2, warn};
use super::{CliError, Ctx};
use crate::store::{Scope, Secrecy, plugins};

#[derive(Debug, Subcommand)]
pub enum Scheduler {
    /// Set or clear (empty value) a scheduler property (selected)
    #[command(
        name = "scheduler:set",
        after_help = "Examples:\n  berth scheduler:set my-app selected k3s\n  berth scheduler:set --global selected k3s"
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        property: String,
        value: Option<String>,
    },
    /// Show the selected scheduler
    #[command(
        name = "scheduler:report",
        after_help = "Examples:\n  berth scheduler:report my-app\n  berth scheduler:report my-app --format json\n  berth scheduler:report my-app --scheduler-computed-selected"
    )]
    Report {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

impl Scheduler {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Scheduler::Set {
                target,
                property,
                value,
            } => {
                let scope = existing_scope(store, &target)?;
                if property != "selected" {
                    return Err(CliError::msg(format!(
                        "invalid scheduler property {property:?}, valid properties include: selected"
                    )));
                }
                let value = value.filter(|v| !v.is_empty());
                if let Some(v) = &value
                    && v != "k3s"
                {
                    return Err(CliError::msg(format!(
                        "invalid scheduler {v:?}: berth only provides the k3s scheduler (valid values: k3s)"
                    )));
                }
                let lock = store.lock(&scope, &ctx.command)?;
                lock.set_property(
                    plugins::SCHEDULER,
                    "selected",
                    value.as_deref(),
                    Secrecy::Public,
                )?;
                match value {
                    Some(v) => info2(format!("Setting selected to {v}")),
                    None => info2("Unsetting selected"),
                }
            }
            Scheduler::Report {
                target,
                format,
                info_flag,
            } => {
                let scopes = report_scopes(store, target.as_deref())?;
                if scopes.is_empty() {
                    warn("You haven't deployed any applications yet");
                    return Ok(());
                }
                let global = store
                    .property(&Scope::Global, plugins::SCHEDULER, "selected")?
                    .unwrap_or_default();
                let mut reports = Vec::new();
                for scope in scopes {
                    let mut rows = vec![Row::new("--scheduler-global-selected", global.clone())];
                    let subject = match &scope {
                        Scope::App(a) => {
                            let app_v = store
                                .property(&scope, plugins::SCHEDULER, "selected")?
                                .unwrap_or_default();
                            rows.push(Row::new("--scheduler-selected", app_v));
                            rows.push(Row::new(
                                "--scheduler-computed-selected",
                                store.selected_scheduler(a)?,
                            ));
                            a.to_string()
                        }
                        Scope::Global => {
                            let computed = if global.is_empty() {
                                "k3s".to_owned()
                            } else {
                                global.clone()
                            };
                            rows.push(Row::new("--scheduler-computed-selected", computed));
                            "--global".to_owned()
                        }
                    };
                    reports.push(Report {
                        subject,
                        plugin: "scheduler",
                        rows,
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}
