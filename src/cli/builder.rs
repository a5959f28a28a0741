//! `builder:set|report`: how an app's image was built. berth deploys built images, so the builder
//! decides only the start command form: `dockerfile` (the command as is, the default),
//! `herokuish` (`/start <process>`, one-offs through `/exec`), `pack` (through `launcher`).

use clap::Subcommand;

use super::output::Format;
use super::selected::{OtherProperty, SelectedProperty};
use super::{CliError, Ctx};
use crate::model::release::BuilderType;
use crate::store::{Store, plugins};

#[derive(Debug, Subcommand)]
pub enum Builder {
    /// Set or clear (empty value) a builder property: selected (dockerfile, herokuish, pack), build-dir, skip-cleanup
    #[command(
        name = "builder:set",
        after_help = "Examples:\n  berth builder:set my-app selected herokuish\n  berth builder:set --global selected pack\n  berth builder:set my-app selected\n  berth builder:set my-app build-dir apps/api"
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
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

const PROPERTY: SelectedProperty = SelectedProperty {
    plugin: plugins::BUILDER,
    default: "dockerfile",
    validate: |v| match BuilderType::parse(v) {
        Some(_) => Ok(()),
        None => Err(format!(
            "Invalid builder {v:?} (valid values: {})",
            BuilderType::NAMES.join(", ")
        )),
    },
    computed: Store::selected_builder,
    // Dokku's other builder properties. berth deploys built images, so they are stored and
    // reported for scripts that set them, and change nothing.
    others: &[
        OtherProperty {
            name: "build-dir",
            default: "",
            validate: |v| {
                if v.starts_with('/') || v.split('/').any(|p| p == "..") {
                    Err(format!(
                        "Invalid build-dir {v:?}: use a path inside the repository, without .."
                    ))
                } else {
                    Ok(())
                }
            },
        },
        OtherProperty {
            name: "skip-cleanup",
            default: "",
            validate: |v| match v {
                "true" | "false" => Ok(()),
                _ => Err(format!("Invalid skip-cleanup {v:?}: use true or false")),
            },
        },
    ],
    report_only: &["detected"],
};

impl Builder {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            Builder::Set {
                target,
                property,
                value,
            } => PROPERTY.set(ctx, &target, &property, value),
            Builder::Report {
                target,
                format,
                info_flag,
            } => PROPERTY.report(ctx, target.as_deref(), format, info_flag.as_deref()),
        }
    }
}
