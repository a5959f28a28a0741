//! `domains:*`: app vhosts and the global domains new apps get `<app>.<domain>` under.

use clap::Subcommand;

use super::args::{existing_scope, report_scopes};
use super::output::{Format, Report, Row, emit_reports, info1, warn};
use super::{CliError, Ctx};
use crate::model::AppName;
use crate::model::domain::Domain;
use crate::ops::settings::{self, DomainEdit};
use crate::store::Scope;

const TARGET: &str = "APP|--global";

#[derive(Debug, Subcommand)]
pub enum Domains {
    /// Add domains to an app (or to the global domains)
    #[command(
        name = "domains:add",
        after_help = "Examples:\n  berth domains:add my-app www.example.com example.com\n  berth domains:add --global apps.example.com"
    )]
    Add {
        #[arg(value_name = TARGET, allow_hyphen_values = true)]
        target: String,
        #[arg(required = true, allow_hyphen_values = true)]
        domains: Vec<String>,
    },
    /// Remove domains from an app (or from the global domains)
    #[command(
        name = "domains:remove",
        after_help = "Example:\n  berth domains:remove my-app www.example.com"
    )]
    Remove {
        #[arg(value_name = TARGET, allow_hyphen_values = true)]
        target: String,
        #[arg(required = true, allow_hyphen_values = true)]
        domains: Vec<String>,
    },
    /// Replace an app's (or the global) domains
    #[command(
        name = "domains:set",
        after_help = "Examples:\n  berth domains:set my-app example.com\n  berth domains:set --global apps.example.com"
    )]
    Set {
        #[arg(value_name = TARGET, allow_hyphen_values = true)]
        target: String,
        #[arg(required = true, allow_hyphen_values = true)]
        domains: Vec<String>,
    },
    /// Remove every domain of an app (or every global domain)
    #[command(
        name = "domains:clear",
        after_help = "Example:\n  berth domains:clear my-app"
    )]
    Clear {
        #[arg(value_name = TARGET, allow_hyphen_values = true)]
        target: String,
    },
    /// Restore an app's default domains (<app>.<global domain>)
    #[command(
        name = "domains:reset",
        after_help = "Example:\n  berth domains:reset my-app"
    )]
    Reset { app: String },
    /// Give an app without domains its defaults (<app>.<global domain>); one with domains is left alone
    #[command(
        name = "domains:setup",
        after_help = "Example:\n  berth domains:setup my-app"
    )]
    Setup { app: String },
    /// Serve the app's domains (the default)
    #[command(
        name = "domains:enable",
        after_help = "Example:\n  berth domains:enable my-app"
    )]
    Enable { app: String },
    /// Stop serving the app's domains (no Ingress; the domains are kept)
    #[command(
        name = "domains:disable",
        after_help = "Example:\n  berth domains:disable my-app"
    )]
    Disable { app: String },
    /// Add global domains (same as domains:add --global)
    #[command(
        name = "domains:add-global",
        after_help = "Example:\n  berth domains:add-global apps.example.com"
    )]
    AddGlobal {
        #[arg(required = true, allow_hyphen_values = true)]
        domains: Vec<String>,
    },
    /// Remove global domains (same as domains:remove --global)
    #[command(
        name = "domains:remove-global",
        after_help = "Example:\n  berth domains:remove-global apps.example.com"
    )]
    RemoveGlobal {
        #[arg(required = true, allow_hyphen_values = true)]
        domains: Vec<String>,
    },
    /// Replace the global domains (same as domains:set --global)
    #[command(
        name = "domains:set-global",
        after_help = "Example:\n  berth domains:set-global apps.example.com"
    )]
    SetGlobal {
        #[arg(required = true, allow_hyphen_values = true)]
        domains: Vec<String>,
    },
    /// Remove every global domain (same as domains:clear --global)
    #[command(
        name = "domains:clear-global",
        after_help = "Example:\n  berth domains:clear-global"
    )]
    ClearGlobal,
    /// Show app and global domains
    #[command(
        name = "domains:report",
        after_help = "Examples:\n  berth domains:report my-app\n  berth domains:report --global --format json\n  berth domains:report my-app --domains-app-vhosts"
    )]
    Report {
        #[arg(value_name = TARGET, allow_hyphen_values = true)]
        target: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Remove,
    Set,
    Clear,
}

fn parse_domains(raw: &[String]) -> Result<Vec<Domain>, CliError> {
    raw.iter()
        .map(|d| d.parse::<Domain>().map_err(CliError::from))
        .collect()
}

fn change(ctx: &Ctx, target: &str, op: Op, raw: &[String]) -> Result<(), CliError> {
    let scope = existing_scope(&ctx.store, target)?;
    let domains = parse_domains(raw)?;
    let names: Vec<&str> = domains.iter().map(Domain::as_str).collect();
    let names = names.join(" ");
    let edit = match op {
        Op::Add => DomainEdit::Add(domains.clone()),
        Op::Remove => DomainEdit::Remove(domains.clone()),
        Op::Set => DomainEdit::Set(domains.clone()),
        Op::Clear => DomainEdit::Clear,
    };
    settings::edit_domains(ctx, &scope, &edit)?;
    let whom = match &scope {
        Scope::App(a) => a.to_string(),
        Scope::Global => "global domains".to_owned(),
    };
    match op {
        Op::Add => info1(format!("Added {names} to {whom}")),
        Op::Remove => info1(format!("Removed {names} from {whom}")),
        Op::Set => info1(format!("Set {names} for {whom}")),
        Op::Clear => info1(format!("Cleared domains for {whom}")),
    }
    Ok(())
}

fn set_enabled(ctx: &Ctx, app: &str, enabled: bool) -> Result<(), CliError> {
    let app = super::args::existing_app(&ctx.store, app)?;
    settings::set_domains_enabled(ctx, &app, enabled)?;
    let word = if enabled { "Enabled" } else { "Disabled" };
    info1(format!("{word} domains for {app}"));
    Ok(())
}

fn join(domains: &[Domain]) -> String {
    domains
        .iter()
        .map(Domain::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Domains {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        let global = || "--global".to_owned();
        match self {
            Domains::Add { target, domains } => change(ctx, &target, Op::Add, &domains),
            Domains::Remove { target, domains } => change(ctx, &target, Op::Remove, &domains),
            Domains::Set { target, domains } => change(ctx, &target, Op::Set, &domains),
            Domains::Clear { target } => change(ctx, &target, Op::Clear, &[]),
            Domains::AddGlobal { domains } => change(ctx, &global(), Op::Add, &domains),
            Domains::RemoveGlobal { domains } => change(ctx, &global(), Op::Remove, &domains),
            Domains::SetGlobal { domains } => change(ctx, &global(), Op::Set, &domains),
            Domains::ClearGlobal => change(ctx, &global(), Op::Clear, &[]),
            Domains::Enable { app } => set_enabled(ctx, &app, true),
            Domains::Disable { app } => set_enabled(ctx, &app, false),
            Domains::Reset { app } => {
                let app: AppName = app.parse()?;
                let vhosts = settings::reset_domains(ctx, &app)?;
                info1(format!("Reset domains for {app}: {}", join(&vhosts)));
                Ok(())
            }
            Domains::Setup { app } => {
                let app: AppName = app.parse()?;
                store.require_app(&app)?;
                if store.app_domains(&app)?.vhosts.is_empty() {
                    settings::reset_domains(ctx, &app)?;
                }
                super::output::info1_quiet(format!("Setup domains for {app}"));
                Ok(())
            }
            Domains::Report {
                target,
                format,
                info_flag,
            } => {
                let scopes = report_scopes(store, target.as_deref())?;
                if scopes.is_empty() {
                    warn("You haven't deployed any applications yet");
                    return Ok(());
                }
                let global = store.global_domains()?;
                let mut reports = Vec::new();
                for scope in scopes {
                    let mut rows = vec![
                        Row::new("--domains-global-enabled", (!global.is_empty()).to_string()),
                        Row::new("--domains-global-vhosts", join(&global)),
                    ];
                    let subject = match &scope {
                        Scope::App(app) => {
                            let d = store.app_domains(app)?;
                            rows.push(Row::new("--domains-app-enabled", d.enabled.to_string()));
                            rows.push(Row::new("--domains-app-vhosts", join(&d.vhosts)));
                            app.to_string()
                        }
                        Scope::Global => "--global".to_owned(),
                    };
                    reports.push(Report {
                        subject,
                        plugin: "domains",
                        rows,
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())
            }
        }
    }
}
