//! `builder:set|report`: how an app's image was built. berth deploys built images, so the builder
//! decides only the start command form: `dockerfile` (the command as is, the default),
//! `herokuish` (`/start <process>`, one-offs through `/exec`), `pack` (through `launcher`).

use clap::Subcommand;

use super::args::{existing_scope, report_scopes};
use super::output::{Format, Report, Row, emit_reports, info2, warn};
use super::{CliError, Ctx};
use crate::model::release::BuilderType;
use crate::store::{Scope, Secrecy, plugins};

#[derive(Debug, Subcommand)]
pub enum Builder {
    /// Set or clear (empty value) a builder property (selected: dockerfile, herokuish, pack)
    #[command(
        name = "builder:set",
        after_help = "Examples:\n  berth builder:set my-app selected herokuish\n  berth builder:set --global selected pack\n  berth builder:set my-app selected"
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        property: String,
        value: Option<String>,
    },
    /// Show the selected builder
    #[command(
        name = "builder:report",
        after_help = "Examples:\n  berth builder:report my-app\n  berth builder:report my-app --format json\n  berth builder:report my-app --builder-computed-selected"
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

impl Builder {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Builder::Set {
                target,
                property,
                value,
            } => {
                let scope = existing_scope(store, &target)?;
                if property != "selected" {
                    return Err(CliError::msg(format!(
                        "invalid builder property {property:?}, valid properties include: selected"
                    )));
                }
                let value = value.filter(|v| !v.is_empty());
                if let Some(v) = &value
                    && BuilderType::parse(v).is_none()
                {
                    return Err(CliError::msg(format!(
                        "invalid builder {v:?} (valid values: {})",
                        BuilderType::NAMES.join(", ")
                    )));
                }
                let lock = store.lock(&scope, &ctx.command)?;
                lock.set_property(
                    plugins::BUILDER,
                    "selected",
                    value.as_deref(),
                    Secrecy::Public,
                )?;
                match value {
                    Some(v) => info2(format!("Setting selected to {v}")),
                    None => info2("Unsetting selected"),
                }
            }
            Builder::Report {
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
                    .property(&Scope::Global, plugins::BUILDER, "selected")?
                    .unwrap_or_default();
                let mut reports = Vec::new();
                for scope in scopes {
                    let mut rows = vec![Row::new("--builder-global-selected", global.clone())];
                    let subject = match &scope {
                        Scope::App(a) => {
                            let app_v = store
                                .property(&scope, plugins::BUILDER, "selected")?
                                .unwrap_or_default();
                            rows.push(Row::new("--builder-selected", app_v));
                            rows.push(Row::new(
                                "--builder-computed-selected",
                                store.selected_builder(a)?,
                            ));
                            a.to_string()
                        }
                        Scope::Global => {
                            let computed = if global.is_empty() {
                                "dockerfile".to_owned()
                            } else {
                                global.clone()
                            };
                            rows.push(Row::new("--builder-computed-selected", computed));
                            "--global".to_owned()
                        }
                    };
                    reports.push(Report {
                        subject,
                        plugin: "builder",
                        rows,
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}
