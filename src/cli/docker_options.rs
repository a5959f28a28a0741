//! `docker-options:add|remove|clear|report`: Docker options per phase, as Dokku stores them. On
//! Kubernetes the `deploy` phase's `--privileged`, `--cap-add`, `--cap-drop` and `--sysctl`
//! reach the pods (security contexts); other options are kept and reported only.

use clap::Subcommand;

use super::args::existing_app;
use super::output::{Format, Report, Row, emit_reports, info1};
use super::{CliError, Ctx};
use crate::model::docker_options::{
    DockerOptions, PHASES, PodSecurity, parse_phases, processes_with_options, scope_key,
    scope_keys, split_options, take_process_flags,
};
use crate::ops::settings::{DockerOptionsChange, change_docker_options};
use crate::store::{Scope, docs};

/// `[--process PROC…] <app> <phase(s)> OPTION…`, shared by `docker-options:add` and
/// `docker-options:remove`.
#[derive(Debug, clap::Args)]
pub struct PhaseOption {
    /// Only for this process type (deploy phase; repeatable). Dokku also reads it after the app.
    #[arg(long = "process", value_name = "PROC")]
    process: Vec<String>,
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
    /// The app (which must exist), the store keys (phases, or `deploy.<process>`) and the
    /// options, split and checked.
    fn parse(
        &self,
        store: &crate::store::Store,
    ) -> Result<(crate::model::AppName, Vec<String>, Vec<String>), CliError> {
        let (words, mut processes) = take_process_flags(&self.option)?;
        processes.splice(0..0, self.process.iter().cloned());
        let phases = parse_phases(&self.phases)?;
        let keys = scope_keys(&processes, &phases)?;
        let options = split_options(&words.join(" "))?;
        let app = existing_app(store, &self.app)?;
        warn_undeclared(store, &app, &processes)?;
        Ok((app, keys, options))
    }
}

#[derive(Debug, Subcommand)]
pub enum DockerOptionsCmd {
    /// Add a Docker option to the app for phase(s) (comma separated: build, deploy, run)
    #[command(
        name = "docker-options:add",
        after_help = "Examples:\n  berth docker-options:add my-app deploy --cap-add NET_ADMIN\n  berth docker-options:add my-app deploy,run --sysctl net.core.somaxconn=1024\n  berth docker-options:add my-app deploy --privileged\n  berth docker-options:add --process worker my-app deploy --cap-add SYS_PTRACE\n\nOn Kubernetes the deploy phase's --privileged, --cap-add, --cap-drop and --sysctl reach the\npods at the next deploy; other options are stored and reported only."
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
        after_help = "Examples:\n  berth docker-options:clear my-app\n  berth docker-options:clear my-app deploy\n  berth docker-options:clear --process worker my-app deploy\n\nWithout --process only the app-wide options are cleared; process options stay."
    )]
    Clear {
        /// Only this process type's options (deploy phase; repeatable)
        #[arg(long = "process", value_name = "PROC")]
        process: Vec<String>,
        app: String,
        #[arg(value_name = "PHASE(S)")]
        phases: Option<String>,
    },
    /// List the options stored for one process+phase pair, one per line
    #[command(
        name = "docker-options:list",
        after_help = "Examples:\n  berth docker-options:list my-app --phase deploy\n  berth docker-options:list my-app --process web --phase deploy"
    )]
    List {
        app: String,
        /// build, deploy or run
        #[arg(long)]
        phase: Option<String>,
        /// A process type's own options (deploy phase); without it, the app's
        #[arg(long = "process", value_name = "PROC")]
        process: Option<String>,
    },
    /// Show the app's Docker options per phase
    #[command(
        name = "docker-options:report",
        after_help = "Examples:\n  berth docker-options:report my-app\n  berth docker-options:report my-app --docker-options-deploy"
    )]
    Report {
        app: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
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
            DockerOptionsCmd::Clear {
                process,
                app,
                phases,
            } => {
                let phases = match phases {
                    Some(p) => parse_phases(&p)?,
                    None if process.is_empty() => PHASES.map(String::from).to_vec(),
                    None => vec!["deploy".to_owned()],
                };
                let keys = scope_keys(&process, &phases)?;
                let app = existing_app(store, &app)?;
                change_docker_options(ctx, &app, &DockerOptionsChange::Clear(keys.clone()))?;
                info1(format!(
                    "Cleared docker-options for {app} ({})",
                    keys.join(",")
                ));
            }
            DockerOptionsCmd::List {
                app,
                phase,
                process,
            } => {
                let phase = phase.ok_or_else(|| CliError::msg("--phase is required"))?;
                if !PHASES.contains(&phase.as_str()) {
                    return Err(CliError::msg(format!(
                        "Phase must be one of [{}]",
                        PHASES.join(" ")
                    )));
                }
                let processes: Vec<String> = process.into_iter().collect();
                let key = scope_keys(&processes, &[phase])?.remove(0);
                let app = existing_app(store, &app)?;
                let all: DockerOptions = store.read_json(&Scope::App(app), docs::DOCKER_OPTIONS)?;
                for option in all.get(&key).into_iter().flatten() {
                    println!("{option}");
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
                let mut lists = Vec::new();
                for app in apps {
                    let all: DockerOptions =
                        store.read_json(&Scope::App(app.clone()), docs::DOCKER_OPTIONS)?;
                    let mut keys: Vec<String> = PHASES.map(String::from).to_vec();
                    keys.extend(
                        processes_with_options(&all)
                            .iter()
                            .map(|p| scope_key(Some(p), "deploy")),
                    );
                    let options = |k: &str| all.get(k).cloned().unwrap_or_default();
                    let rows = keys
                        .iter()
                        .map(|k| Row::new(format!("--docker-options-{k}"), options(k).join(" ")))
                        .collect();
                    lists.push(
                        keys.iter()
                            .map(|k| (format!("{k}-list"), options(k)))
                            .collect::<Vec<_>>(),
                    );
                    reports.push(Report {
                        subject: app.to_string(),
                        plugin: "docker-options",
                        rows,
                    });
                }
                // Dokku's JSON adds a `<key>-list` array beside each key: the options as stored,
                // so ones containing spaces round-trip.
                if format == Format::Json && info_flag.is_none() {
                    let with_lists = |r: &Report, l: &[(String, Vec<String>)]| {
                        let mut v = r.to_json();
                        for (k, list) in l {
                            v[k.as_str()] = serde_json::json!(list);
                        }
                        v
                    };
                    let out = match (reports.as_slice(), lists.as_slice()) {
                        ([one], [l]) => with_lists(one, l),
                        _ => serde_json::Value::Object(
                            reports
                                .iter()
                                .zip(&lists)
                                .map(|(r, l)| (r.subject.clone(), with_lists(r, l)))
                                .collect(),
                        ),
                    };
                    println!("{out}");
                    return Ok(());
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}

/// Dokku's warning for a `--process` the app's Procfile does not declare (the option is kept,
/// for a deploy that adds the process type).
fn warn_undeclared(
    store: &crate::store::Store,
    app: &crate::model::AppName,
    processes: &[String],
) -> Result<(), CliError> {
    if processes.is_empty() {
        return Ok(());
    }
    // Without a Procfile an app runs `web` only.
    let declared = crate::ops::ps::procfile_process_types(store, app)?
        .unwrap_or_else(|| std::iter::once("web".to_owned()).collect());
    for p in processes {
        if !declared.contains(p) {
            super::output::warn(format!(
                "Process type \"{p}\" is not declared in the Procfile for {app}"
            ));
        }
    }
    Ok(())
}
