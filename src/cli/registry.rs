//! `registry:set|login|report`: where app images are pushed/pulled and the credentials for it.
//! Passwords are stored 0600 and never printed.

use clap::Subcommand;

use super::args::{existing_scope, report_scopes};
use super::output::{Format, Report, Row, emit_reports, info1, info2, warn};
use super::{CliError, Ctx};
use crate::model::registry::{
    REGISTRY_APP_ONLY, REGISTRY_PROPERTIES, RegistryLogin, invalid_registry_property, report_rows,
    validate_login, validate_registry_property, validate_registry_server,
};
use crate::ops::settings;
use crate::store::{Scope, plugins};

#[derive(Debug, Subcommand)]
pub enum Registry {
    /// Set or clear (empty value) a registry property: server, image-repo, image-repo-template, push-extra-tags, push-on-release
    #[command(
        name = "registry:set",
        after_help = "Examples:\n  berth registry:set my-app server ghcr.io\n  berth registry:set my-app image-repo acme/my-app\n  berth registry:set --global push-on-release true\n  berth registry:set --global image-repo-template 'acme/{{ .AppName }}'"
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        property: String,
        value: Option<String>,
    },
    /// Store registry credentials (password from --password-stdin or the argument)
    #[command(
        name = "registry:login",
        after_help = "Examples:\n  echo \"$TOKEN\" | berth registry:login --global --password-stdin ghcr.io deploy-bot\n  berth registry:login my-app registry.example.com:5000 deploy s3cret\n\nDokku's deprecated form without --global (SERVER USERNAME [PASSWORD]) logs in globally, with a warning."
    )]
    Login {
        /// Log in for every app
        #[arg(long)]
        global: bool,
        /// [APP] SERVER USERNAME [PASSWORD] (prefer --password-stdin: arguments are visible to other users)
        #[arg(value_name = "ARGS", num_args = 0..=4)]
        args: Vec<String>,
        /// Read the password from standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove stored registry credentials for a server
    #[command(
        name = "registry:logout",
        after_help = "Examples:\n  berth registry:logout my-app registry.example.com:5000\n  berth registry:logout --global ghcr.io"
    )]
    Logout {
        /// Log out for every app
        #[arg(long)]
        global: bool,
        /// [APP] SERVER (one argument alone is a global logout, as in Dokku)
        #[arg(value_name = "ARGS", num_args = 0..=2)]
        args: Vec<String>,
    },
    /// Show registry properties and which servers have stored logins
    #[command(
        name = "registry:report",
        after_help = "Examples:\n  berth registry:report my-app\n  berth registry:report --global --format json\n  berth registry:report my-app --registry-computed-server"
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

impl Registry {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Registry::Set {
                target,
                property,
                value,
            } => {
                let scope = existing_scope(store, &target)?;
                let value = value.filter(|v| !v.is_empty());
                if !REGISTRY_PROPERTIES.iter().any(|p| p.0 == property) {
                    return Err(invalid_registry_property(&property).into());
                }
                if scope == Scope::Global && REGISTRY_APP_ONLY.contains(&property.as_str()) {
                    return Err(CliError::msg("Property cannot be specified globally"));
                }
                let stored = value
                    .as_deref()
                    .map(|v| validate_registry_property(&property, v))
                    .transpose()?;
                settings::set_property(
                    ctx,
                    &scope,
                    plugins::REGISTRY,
                    &property,
                    stored.as_deref(),
                )?;
                match stored {
                    Some(v) => info2(format!("Setting {property} to {v}")),
                    None => info2(format!("Unsetting {property}")),
                }
            }
            Registry::Login {
                global,
                args,
                password_stdin,
            } => {
                // Dokku's shapes: --global SERVER USER [PASS]; APP SERVER USER [PASS]; and the
                // deprecated SERVER USER [PASS] (global, with a warning).
                let global_count = if password_stdin { 2 } else { 3 };
                let deprecated = !global && args.len() == global_count;
                let (scope, rest) = if global || deprecated {
                    (Scope::Global, &args[..])
                } else if args.len() > global_count {
                    (existing_scope(store, &args[0])?, &args[1..])
                } else {
                    (Scope::Global, &args[..])
                };
                let server = rest
                    .first()
                    .ok_or_else(|| CliError::msg("Missing server argument"))?;
                let username = rest
                    .get(1)
                    .ok_or_else(|| CliError::msg("Missing username argument"))?;
                if global && rest.len() > if password_stdin { 2 } else { 3 } {
                    return Err(CliError::msg(
                        "registry:login --global takes SERVER USERNAME [PASSWORD], not an app name",
                    ));
                }
                let server = docker_hub_alias(server);
                validate_registry_server(&server)?;
                let password = match (rest.get(2), password_stdin) {
                    (Some(_), true) => {
                        return Err(CliError::msg(
                            "pass the password either as an argument or with --password-stdin, not both",
                        ));
                    }
                    (Some(p), false) => p.clone(),
                    (None, true) => {
                        let s = crate::input::read_text_or_stdin("-", crate::input::SECRET_STDIN)?;
                        s.trim().to_owned()
                    }
                    (None, false) => return Err(CliError::msg("Missing password argument")),
                };
                validate_login(username, &password)?;
                // Warned once the input is known good, so a refusal stays one line.
                if deprecated {
                    warn("Deprecated: please use --global flag for global registry login");
                }
                let login = RegistryLogin {
                    username: username.clone(),
                    password,
                };
                settings::registry_login(ctx, &scope, &server, login)?;
                info1(format!("Credentials for {username} at {server} saved"));
                match &scope {
                    Scope::App(app) => warn(format!("Login Succeeded for {app}")),
                    Scope::Global => warn("Login Succeeded for global registry"),
                }
            }
            Registry::Logout { global, args } => {
                let (scope, server) = match (global, args.as_slice()) {
                    (true, [server]) | (false, [server]) => (Scope::Global, server),
                    (false, [app, server]) => (existing_scope(store, app)?, server),
                    (_, []) => return Err(CliError::msg("Missing server argument")),
                    (true, _) => {
                        return Err(CliError::msg(
                            "registry:logout --global takes only SERVER, not an app name",
                        ));
                    }
                    (false, _) => return Err(CliError::msg("Missing server argument")),
                };
                let server = docker_hub_alias(server);
                validate_registry_server(&server)?;
                if !settings::registry_logout(ctx, &scope, &server)? {
                    return Err(CliError::msg(match &scope {
                        Scope::App(app) => {
                            format!("No registry credentials found for app {app} at {server}")
                        }
                        Scope::Global => {
                            format!("No global registry credentials found for {server}")
                        }
                    }));
                }
                info1(format!("Removed the credentials for {server}"));
                match &scope {
                    Scope::App(app) => warn(format!("Logout Succeeded for {app}")),
                    Scope::Global => warn("Logout Succeeded for global registry"),
                }
            }
            Registry::Report {
                target,
                format,
                info_flag,
            } => {
                let scopes = report_scopes(store, target.as_deref())?;
                if scopes.is_empty() {
                    warn("You haven't deployed any applications yet");
                    return Ok(());
                }
                let global_logins = store.registry_logins(&Scope::Global)?;
                let mut reports = Vec::new();
                for scope in scopes {
                    let app_scope = match &scope {
                        Scope::App(a) => Some(a.clone()),
                        Scope::Global => None,
                    };
                    let props = |on_app: bool| -> Result<_, CliError> {
                        let s = match (&app_scope, on_app) {
                            (Some(a), true) => Scope::App(a.clone()),
                            _ => Scope::Global,
                        };
                        Ok(store.properties(&s, plugins::REGISTRY)?)
                    };
                    let (own, global) = (props(true)?, props(false)?);
                    let get = |on_app: bool, name: &str| {
                        let from = if on_app && app_scope.is_some() {
                            &own
                        } else {
                            &global
                        };
                        from.get(name).cloned().unwrap_or_default()
                    };
                    let mut rows: Vec<Row> =
                        report_rows(app_scope.as_ref().map(|a| a.as_str()), get)
                            .into_iter()
                            .map(|(k, v)| Row::new(format!("--registry-{k}"), v))
                            .collect();
                    rows.push(Row::new(
                        "--registry-global-logins",
                        global_logins.keys().cloned().collect::<Vec<_>>().join(" "),
                    ));
                    let subject = match &scope {
                        Scope::App(a) => {
                            let logins = store.registry_logins(&scope)?;
                            rows.push(Row::new(
                                "--registry-logins",
                                logins.keys().cloned().collect::<Vec<_>>().join(" "),
                            ));
                            a.to_string()
                        }
                        Scope::Global => "--global".to_owned(),
                    };
                    reports.push(Report {
                        subject,
                        plugin: "registry",
                        rows,
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}

/// Dokku stores Docker Hub logins under `docker.io`, whichever name was typed.
fn docker_hub_alias(server: &str) -> String {
    match server {
        "hub.docker.com" | "docker.com" => "docker.io".to_owned(),
        other => other.to_owned(),
    }
}
