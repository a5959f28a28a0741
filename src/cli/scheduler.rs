//! `scheduler:set|report`: which scheduler runs an app. berth is the k3s scheduler, so `selected`
//! accepts `k3s` only; the property exists so Dokku scripts keep working.

use clap::Subcommand;

use super::output::Format;
use super::selected::{OtherProperty, SelectedProperty};
use super::{CliError, Ctx};
use crate::store::{Store, plugins};

#[derive(Debug, Subcommand)]
pub enum Scheduler {
    /// Set or clear (empty value) a scheduler property: selected, shell (what `run` starts without a command)
    #[command(
        name = "scheduler:set",
        after_help = "Examples:\n  berth scheduler:set my-app selected k3s\n  berth scheduler:set --global selected k3s\n  berth scheduler:set my-app shell /bin/sh"
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
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

const PROPERTY: SelectedProperty = SelectedProperty {
    plugin: plugins::SCHEDULER,
    default: "k3s",
    validate: |v| match v {
        "k3s" => Ok(()),
        _ => Err(format!(
            "Invalid scheduler {v:?}: berth only provides the k3s scheduler (valid values: k3s)"
        )),
    },
    computed: Store::selected_scheduler,
    // The shell `run` starts when given no command.
    others: &[OtherProperty {
        name: "shell",
        default: "/bin/bash",
        validate: |v| {
            if v.chars().any(|c| c.is_control() || c.is_whitespace()) {
                Err(format!(
                    "Invalid shell {v:?}: use the path of a shell in the image, e.g. /bin/sh"
                ))
            } else {
                Ok(())
            }
        },
    }],
    report_only: &[],
};

impl Scheduler {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            Scheduler::Set {
                target,
                property,
                value,
            } => PROPERTY.set(ctx, &target, &property, value),
            Scheduler::Report {
                target,
                format,
                info_flag,
            } => PROPERTY.report(ctx, target.as_deref(), format, info_flag.as_deref()),
        }
    }
}
