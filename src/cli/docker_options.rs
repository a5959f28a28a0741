//! `docker-options:add|remove|clear|report`: Docker options per phase, as Dokku stores them. On
//! Kubernetes the `deploy` phase's `--privileged`, `--cap-add`, `--cap-drop` and `--sysctl`
//! reach the pods (security contexts); other options are kept and reported only.

use clap::Subcommand;

use super::args::existing_app;
use super::output::{Format, Report, Row, emit_reports, info1};
use super::{CliError, Ctx};
use crate::model::docker_options::{
    DockerOptions, PHASES, PodSecurity, parse_phases, split_options,
};
use crate::ops::settings::{DockerOptionsChange, change_docker_options};
use crate::store::{Scope, docs};

/// `<app> <phase(s)> OPTION…`, shared by `docker-options:add` and `docker-options:remove`.
#[derive(Debug, clap::Args)]
pub struct PhaseOption {
    app: String,
    #[arg(value_name = "PHASE(S)")]
    phases: String,
    #[arg(
        value_name = "OPTION",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    option: Vec<String>,
}

impl PhaseOption {
    /// The app (which must exist), its phases and the options, split and checked.
    fn parse(
        &self,
        store: &crate::store::Store,
    ) -> Result<(crate::model::AppName, Vec<String>, Vec<String>), CliError> {
        let app = existing_app(store, &self.app)?;
        let phases = parse_phases(&self.phases)?;
        let options = split_options(&self.option.join(" "))?;
        Ok((app, phases, options))
    }
}

#[derive(Debug, Subcommand)]
pub enum DockerOptionsCmd {
    /// Add a Docker option to the app for phase(s) (comma separated: build, deploy, run)
    #[command(
        name = "docker-options:add",
        after_help = "Examples:\n  berth docker-options:add my-app deploy --cap-add NET_ADMIN\n  berth docker-options:add my-app deploy,run --sysctl net.core.somaxconn=1024\n  berth docker-options:add my-app deploy --privileged\n\nOn Kubernetes the deploy phase's --privileged, --cap-add, --cap-drop and --sysctl reach the\npods at the next deploy; other options are stored and reported only."
    )]
    Add(PhaseOption),
    /// Remove a Docker option from the app for phase(s)
    #[command(
        name = "docker-options:remove",
        after_help = "Example:\n  berth docker-options:remove my-app deploy --cap-add NET_ADMIN"
    )]
    Remove(PhaseOption),
    /// Clear the app's Docker options (all phases, or the given ones)
    #[command(
        name = "docker-options:clear",
        after_help = "Examples:\n  berth docker-options:clear my-app\n  berth docker-options:clear my-app deploy"
    )]
    Clear {
        app: String,
        #[arg(value_name = "PHASE(S)")]
        phases: Option<String>,
    },
    /// Show the app's Docker options per phase
    #[command(
        name = "docker-options:report",
        after_help = "Examples:\n  berth docker-options:report my-app\n  berth docker-options:report my-app --docker-options-deploy"
    )]
    Report {
        app: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

impl DockerOptionsCmd {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            DockerOptionsCmd::Add(args) => {
                let (app, phases, options) = args.parse(store)?;
                // Refuse now what a deploy could not render.
                PodSecurity::from_options(&options)?;
                change_docker_options(ctx, &app, &DockerOptionsChange::Add(phases, options))?;
            }
            DockerOptionsCmd::Remove(args) => {
                let (app, phases, options) = args.parse(store)?;
                change_docker_options(ctx, &app, &DockerOptionsChange::Remove(phases, options))?;
            }
            DockerOptionsCmd::Clear { app, phases } => {
                let app = existing_app(store, &app)?;
                let phases = match phases {
                    Some(p) => parse_phases(&p)?,
                    None => Vec::new(),
                };
                change_docker_options(ctx, &app, &DockerOptionsChange::Clear(phases.clone()))?;
                if phases.is_empty() {
                    info1(format!("Cleared docker-options for {app}"));
                } else {
                    info1(format!(
                        "Cleared docker-options for {app} ({})",
                        phases.join(",")
                    ));
                }
            }
            DockerOptionsCmd::Report {
                app,
                format,
                info_flag,
            } => {
                let Some(apps) =
                    super::args::report_apps(store, app.as_deref(), "docker-options:report")?
                else {
                    return Ok(());
                };
                let mut reports = Vec::new();
                for app in apps {
                    let all: DockerOptions =
                        store.read_json(&Scope::App(app.clone()), docs::DOCKER_OPTIONS)?;
                    let rows = PHASES
                        .iter()
                        .map(|phase| {
                            Row::new(
                                format!("--docker-options-{phase}"),
                                all.get(*phase).map(|o| o.join(" ")).unwrap_or_default(),
                            )
                        })
                        .collect();
                    reports.push(Report {
                        subject: app.to_string(),
                        plugin: "docker-options",
                        rows,
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}
