//! `apps:*`: create, destroy, list, exists, rename, clone, report.

use clap::Subcommand;

use super::output::{Format, Report, Row, emit_reports, info1, info2, warn};
use super::terminal::Terminal;
use super::{CliError, Ctx};
use crate::model::AppName;
use crate::ops::apps;
use crate::store::Scope;

#[derive(Debug, Subcommand)]
pub enum Apps {
    /// Create a new app
    #[command(
        name = "apps:create",
        after_help = "Example:\n  berth apps:create my-app"
    )]
    Create {
        /// App name: 1-48 lowercase letters, digits and dashes
        #[arg(allow_hyphen_values = true)]
        app: String,
    },
    /// Destroy an app and all its state (asks to confirm unless --force)
    #[command(
        name = "apps:destroy",
        after_help = "Examples:\n  berth apps:destroy my-app --force\n  berth apps:destroy my-app --force --skip-cluster   # the cluster is gone for good"
    )]
    Destroy {
        app: String,
        /// Do not ask for confirmation
        #[arg(long)]
        force: bool,
        /// Remove only berth's state; leave the app's objects in the cluster
        #[arg(long)]
        skip_cluster: bool,
    },
    /// List apps
    #[command(
        name = "apps:list",
        after_help = "Examples:\n  berth apps:list\n  berth apps:list --format json"
    )]
    List {
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
    /// Exit 0 when an app exists, 1 otherwise
    #[command(
        name = "apps:exists",
        after_help = "Example:\n  berth apps:exists my-app && echo yes"
    )]
    Exists { app: String },
    /// Set or clear (no value) an apps property: deploy-source, deploy-source-metadata, or --global disable-autocreation
    #[command(
        name = "apps:set",
        after_help = "Examples:\n  berth apps:set my-app deploy-source docker-image\n  berth apps:set my-app deploy-source-metadata registry.example.com/my-app:1\n  berth apps:set --global disable-autocreation true"
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        property: String,
        value: Option<String>,
    },
    /// Lock an app for deployment: deploys, restarts and rollbacks are refused until apps:unlock
    #[command(name = "apps:lock", after_help = "Example:\n  berth apps:lock my-app")]
    Lock { app: String },
    /// Unlock an app for deployment
    #[command(
        name = "apps:unlock",
        after_help = "Example:\n  berth apps:unlock my-app"
    )]
    Unlock { app: String },
    /// Exit 0 when the app is locked for deployment, 1 otherwise
    #[command(
        name = "apps:locked",
        after_help = "Example:\n  berth apps:locked my-app && echo locked"
    )]
    Locked { app: String },
    /// Rename an app
    #[command(
        name = "apps:rename",
        after_help = "Example:\n  berth apps:rename old-app new-app"
    )]
    Rename {
        old_app: String,
        new_app: String,
        /// Do not redeploy under the new name
        #[arg(long)]
        skip_deploy: bool,
    },
    /// Copy an app's state (config, properties, ports ...) to a new app
    #[command(
        name = "apps:clone",
        after_help = "Examples:\n  berth apps:clone my-app my-app-staging\n  berth apps:clone my-app my-app-staging --deploy"
    )]
    Clone {
        old_app: String,
        new_app: String,
        /// Do not deploy the clone (the default; kept for Dokku compatibility)
        #[arg(long, conflicts_with = "deploy")]
        skip_deploy: bool,
        /// Deploy the clone with the source app's deployed image
        #[arg(long)]
        deploy: bool,
        /// Succeed without doing anything when the new app already exists
        #[arg(long)]
        ignore_existing: bool,
    },
    /// Show an app's record (all apps when none is given)
    #[command(
        name = "apps:report",
        after_help = "Examples:\n  berth apps:report my-app\n  berth apps:report my-app --format json\n  berth apps:report my-app --app-created-at"
    )]
    Report {
        app: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        /// One value only, e.g. --app-created-at
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

impl Apps {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Apps::Create { app } => {
                apps::create(ctx, &app.parse()?, &Terminal::new(false))?;
            }
            Apps::Destroy {
                app,
                force,
                skip_cluster,
            } => {
                let app: AppName = app.parse()?;
                store.require_app(&app)?;
                if !force && !super::global_flags::current().force {
                    confirm(&app)?;
                }
                apps::destroy(ctx, &app, skip_cluster, &Terminal::new(false))?;
            }
            Apps::List { format } => {
                let apps = store.list_apps()?;
                if format == Format::Json {
                    let names: Vec<String> = apps.iter().map(ToString::to_string).collect();
                    return super::output::print_json(&names);
                }
                info2("My Apps");
                if apps.is_empty() {
                    warn("You haven't deployed any applications yet");
                }
                for a in apps {
                    println!("{a}");
                }
            }
            Apps::Set {
                target,
                property,
                value,
            } => {
                let scope = super::args::existing_scope(store, &target)?;
                let valid: &[&str] = if scope.is_global() {
                    &["disable-autocreation"]
                } else {
                    &["deploy-source", "deploy-source-metadata"]
                };
                if !valid.contains(&property.as_str()) {
                    return Err(crate::model::error::invalid_property(valid, &property).into());
                }
                let value = value.filter(|v| !v.is_empty());
                if let Some(v) = &value
                    && (v.chars().any(char::is_control)
                        || (property == "disable-autocreation" && v != "true" && v != "false"))
                {
                    return Err(CliError::msg(format!(
                        "Invalid {property} {v:?}: {}",
                        if property == "disable-autocreation" {
                            "valid values are true and false"
                        } else {
                            "control characters are not allowed"
                        }
                    )));
                }
                crate::ops::settings::set_property(
                    ctx,
                    &scope,
                    "apps",
                    &property,
                    value.as_deref(),
                )?;
                match value {
                    Some(v) => info2(format!("Setting {property} to {v}")),
                    None => info2(format!("Unsetting {property}")),
                }
            }
            Apps::Lock { app } => {
                let app: AppName = app.parse()?;
                crate::ops::apps::set_deploy_lock(ctx, &app, true)?;
                info1("Deploy lock created");
            }
            Apps::Unlock { app } => {
                let app: AppName = app.parse()?;
                if crate::ops::apps::set_deploy_lock(ctx, &app, false)? {
                    warn("A deploy may be in progress.");
                    warn("Removing the app lock will not stop in progress deploys.");
                }
                info1("Deploy lock removed");
            }
            Apps::Locked { app } => {
                let app: AppName = app.parse()?;
                store.require_app(&app)?;
                if !store.deploy_locked(&app)? {
                    return Err(CliError::msg("Deploy lock does not exist"));
                }
                if !super::output::quiet() {
                    println!("Deploy lock exists");
                }
            }
            Apps::Exists { app } => {
                let app: AppName = app.parse()?;
                store.require_app(&app)?;
            }
            Apps::Rename {
                old_app,
                new_app,
                skip_deploy,
            } => {
                let (old, new): (AppName, AppName) = (old_app.parse()?, new_app.parse()?);
                apps::rename(ctx, &old, &new, skip_deploy, &Terminal::new(false))?;
            }
            Apps::Clone {
                old_app,
                new_app,
                skip_deploy: _,
                deploy,
                ignore_existing,
            } => {
                let (old, new): (AppName, AppName) = (old_app.parse()?, new_app.parse()?);
                let progress = Terminal::new(false);
                let cloned = apps::clone(ctx, &old, &new, deploy, ignore_existing, &progress)?;
                if let apps::Cloned::Copied {
                    revision: Some(revision),
                } = cloned
                {
                    info1(format!("Deployed {new}, revision {revision}"));
                }
            }
            Apps::Report {
                app,
                format,
                info_flag,
            } => {
                let Some(apps) = super::args::report_apps(store, app.as_deref(), "apps:report")?
                else {
                    return Ok(());
                };
                let mut reports = Vec::new();
                for app in apps {
                    let record = store.app_record(&app)?;
                    let scope = Scope::App(app.clone());
                    let apps_property = |name: &str| {
                        store
                            .property(&scope, "apps", name)
                            .map(Option::unwrap_or_default)
                    };
                    reports.push(Report {
                        subject: app.to_string(),
                        plugin: "app",
                        rows: vec![
                            Row::new("--app-created-at", record.created_at),
                            Row::new(
                                "--app-dir",
                                store
                                    .scope_dir(&Scope::App(app.clone()))
                                    .display()
                                    .to_string(),
                            ),
                            Row::new("--app-deploy-source", apps_property("deploy-source")?),
                            Row::new(
                                "--app-deploy-source-metadata",
                                apps_property("deploy-source-metadata")?,
                            ),
                            Row::new(
                                "--app-global-disable-autocreation",
                                store
                                    .property(&Scope::Global, "apps", "disable-autocreation")?
                                    .unwrap_or_default(),
                            ),
                            Row::new("--app-locked", store.deploy_locked(&app)?.to_string()),
                        ],
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}

/// Dokku's confirmation: the user types the app name.
fn confirm(app: &AppName) -> Result<(), CliError> {
    super::output::confirm(
        &format!("This command will destroy app {app}."),
        app.as_str(),
    )
}
