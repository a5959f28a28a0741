//! `apps:*`: create, destroy, list, exists, rename, clone, report.

use clap::Subcommand;

use super::args::report_scopes;
use super::output::{Format, Report, Row, emit_reports, info1, info2, warn};
use super::{CliError, Ctx};
use crate::model::AppName;
use crate::store::{Scope, ScopeLock, Store};

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
    #[command(name = "apps:list", after_help = "Example:\n  berth apps:list")]
    List,
    /// Exit 0 when an app exists, 1 otherwise
    #[command(
        name = "apps:exists",
        after_help = "Example:\n  berth apps:exists my-app && echo yes"
    )]
    Exists { app: String },
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
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// One value only, e.g. --app-created-at
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

/// Lock two app scopes in name order so two renames/clones cannot deadlock.
fn lock_pair<'s>(
    store: &'s Store,
    a: &AppName,
    b: &AppName,
    cmd: &str,
) -> Result<(ScopeLock<'s>, ScopeLock<'s>), CliError> {
    if a == b {
        return Err(CliError::msg(format!("the new name must differ from {a}")));
    }
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    let l1 = store.lock(&Scope::App(first.clone()), cmd)?;
    let l2 = store.lock(&Scope::App(second.clone()), cmd)?;
    Ok(if a < b { (l1, l2) } else { (l2, l1) })
}

impl Apps {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Apps::Create { app } => {
                let app: AppName = app.parse()?;
                let lock = store.lock(&Scope::App(app.clone()), &ctx.command)?;
                store.create_app(&lock)?;
                info1(format!("Creating {app}..."));
            }
            Apps::Destroy {
                app,
                force,
                skip_cluster,
            } => {
                let app: AppName = app.parse()?;
                store.require_app(&app)?;
                if !force {
                    confirm(&app)?;
                }
                // A deploy in progress finishes first (same wait as the cluster commands).
                let lock = super::on_cluster::lock_app(
                    ctx,
                    &app,
                    super::on_cluster::LockWait::DeployTimeout,
                )?;
                info1(format!("Destroying {app}"));
                if !skip_cluster {
                    remove_from_cluster(ctx, &app)?;
                }
                store.destroy_app(&lock)?;
            }
            Apps::List => {
                let apps = store.list_apps()?;
                info2("My Apps");
                if apps.is_empty() {
                    warn("You haven't deployed any applications yet");
                }
                for a in apps {
                    println!("{a}");
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
                store.require_app(&old)?;
                let (from, to) = lock_pair(store, &old, &new, &ctx.command)?;
                info1(format!("Renaming {old} to {new}"));
                super::on_cluster::rename_app(ctx, &old, &new, skip_deploy, || {
                    Ok(store.rename_app(&from, &to)?)
                })?;
            }
            Apps::Clone {
                old_app,
                new_app,
                skip_deploy: _,
                deploy,
                ignore_existing,
            } => {
                let (old, new): (AppName, AppName) = (old_app.parse()?, new_app.parse()?);
                store.require_app(&old)?;
                if ignore_existing && store.app_exists(&new) {
                    warn(format!("App {new} already exists, skipping clone"));
                    return Ok(());
                }
                let (from, to) = lock_pair(store, &old, &new, &ctx.command)?;
                info1(format!("Cloning {old} to {new}"));
                store.clone_app(&from, &to)?;
                if deploy {
                    super::on_cluster::deploy_clone(ctx, &old, &new)?;
                }
            }
            Apps::Report {
                app,
                format,
                info_flag,
            } => {
                let scopes = report_scopes(store, app.as_deref())?;
                if scopes.is_empty() {
                    warn("You haven't deployed any applications yet");
                    return Ok(());
                }
                let mut reports = Vec::new();
                for scope in scopes {
                    let Scope::App(app) = scope else {
                        return Err(CliError::msg("apps:report takes an app name, not --global"));
                    };
                    let record = store.app_record(&app)?;
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
                        ],
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}

/// Dokku's `scheduler-post-delete`: delete the app's objects, jobs and release records from its
/// namespace. No kubeconfig means no cluster was ever set up: skip with a warning, as the original
/// does when k3s is not installed. An unreachable cluster stops the destroy (state kept) unless
/// `--skip-cluster` is given.
fn remove_from_cluster(ctx: &Ctx, app: &AppName) -> Result<(), CliError> {
    let props = ctx.store.scheduler_k3s_properties(Some(app))?;
    let kubeconfig = props.kubeconfig_path();
    if !std::path::Path::new(kubeconfig).exists() {
        warn(format!(
            "kubeconfig {kubeconfig} does not exist (no cluster set up), skipping cluster cleanup"
        ));
        return Ok(());
    }
    let removed = super::on_cluster::block_on(async {
        let cluster = crate::ops::connect::connect(&ctx.store, app).await?;
        let progress = super::terminal::Terminal::new(false);
        crate::ops::release::destroy(&cluster, &progress).await
    })
    .map_err(|e| {
        CliError::msg(format!(
            "{} (berth's state of the app is kept; pass --skip-cluster to remove only that)",
            e.message
        ))
    })?;
    super::output::verbose(format!(
        "Removed {} objects from namespace {}{}",
        removed.len(),
        props.namespace(),
        kinds_summary(&removed)
    ));
    Ok(())
}

/// `: 2 Deployment, 1 Service` for `Kind/name` entries, in kind order; empty for none.
fn kinds_summary(removed: &[String]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for key in removed {
        *counts
            .entry(key.split('/').next().unwrap_or(key))
            .or_default() += 1;
    }
    if counts.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    format!(": {}", parts.join(", "))
}

/// Dokku's confirmation: the user types the app name.
fn confirm(app: &AppName) -> Result<(), CliError> {
    super::output::confirm(
        &format!("This command will destroy app {app}."),
        app.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::kinds_summary;

    #[test]
    fn removed_objects_are_summarised_per_kind() {
        let removed =
            ["Deployment/a-web", "Service/a-web", "Deployment/a-worker"].map(String::from);
        assert_eq!(kinds_summary(&removed), ": 2 Deployment, 1 Service");
        assert_eq!(kinds_summary(&[]), "");
    }
}
