//! `report [<app>] [<flag>]`: every plugin's report for an app (Dokku's `00_dokku-standard`
//! `report`), or the one value of a `--<plugin>-<key>` flag from whichever plugin owns it.

use clap::Subcommand;

use super::{CliError, Ctx};

/// The plugins with a report, in Dokku's order; the flag prefix that selects one.
const REPORTS: &[(&str, &str)] = &[
    ("app-json", "--app-json-"),
    ("apps", "--app-"),
    ("builder", "--builder-"),
    ("docker-options", "--docker-options-"),
    ("domains", "--domains-"),
    ("ports", "--ports-"),
    ("procfile", "--procfile-"),
    ("ps", "--ps-"),
    ("registry", "--registry-"),
    ("resource", "--resource-"),
    ("scheduler", "--scheduler-"),
    ("scheduler-k3s", "--scheduler-k3s-"),
    ("certs", "--ssl-"),
];

#[derive(Debug, Subcommand)]
pub enum ReportAll {
    /// Show every plugin's report for an app (all apps when none is given)
    #[command(
        name = "report",
        after_help = "Examples:\n  berth report my-app\n  berth report my-app --ps-computed-stop-timeout-seconds\n  berth report"
    )]
    Report {
        app: Option<String>,
        /// One value only, e.g. --ps-scale (the plugin is the flag's prefix)
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

impl ReportAll {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let ReportAll::Report { app, info_flag } = self;
        let target: Vec<String> = app.into_iter().collect();
        if let Some(flag) = info_flag {
            // The longest matching prefix owns the flag (`--scheduler-k3s-` over `--scheduler-`).
            let owner = REPORTS
                .iter()
                .filter(|(_, prefix)| flag.starts_with(prefix))
                .max_by_key(|(_, prefix)| prefix.len())
                .ok_or_else(|| {
                    CliError::msg(format!(
                        "Invalid flag passed, valid flags start with: {}",
                        REPORTS
                            .iter()
                            .map(|(_, p)| *p)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
            let mut args = vec!["berth".to_owned(), format!("{}:report", owner.0)];
            args.extend(target);
            args.push(flag);
            return super::run_nested(&args, ctx);
        }
        for (plugin, _) in REPORTS {
            let mut args = vec!["berth".to_owned(), format!("{plugin}:report")];
            args.extend(target.iter().cloned());
            super::run_nested(&args, ctx)?;
        }
        Ok(())
    }
}
