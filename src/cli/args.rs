//! Shared argument grammar: Dokku's `<app|--global>` positional and report info flags.

use clap::Command;

use super::CliError;
use crate::model::AppName;
use crate::store::{Scope, Store};

/// Parse a `<app|--global>` positional: the literal `--global` or an app name.
pub fn parse_scope(target: &str) -> Result<Scope, CliError> {
    if target == "--global" {
        return Ok(Scope::Global);
    }
    Ok(Scope::App(target.parse::<AppName>()?))
}

/// Parse `<app|--global>` and, for an app, require that it exists.
pub fn existing_scope(store: &Store, target: &str) -> Result<Scope, CliError> {
    let scope = parse_scope(target)?;
    if let Scope::App(app) = &scope {
        store.require_app(app)?;
    }
    Ok(scope)
}

/// Parse an app name and require that the app exists.
pub fn existing_app(store: &Store, name: &str) -> Result<AppName, CliError> {
    let app: AppName = name.parse()?;
    store.require_app(&app)?;
    Ok(app)
}

/// Report targets: one app, `--global`, or (no argument) every app.
pub fn report_scopes(store: &Store, target: Option<&str>) -> Result<Vec<Scope>, CliError> {
    match target {
        Some(t) => Ok(vec![existing_scope(store, t)?]),
        None => Ok(store.list_apps()?.into_iter().map(Scope::App).collect()),
    }
}

/// Targets of an app-only report (`apps:report`, `ps:report`, …): the named app, or every app.
/// `None` (after Dokku's warning) when there is no app at all; `--global` is refused naming
/// `command`.
pub fn report_apps(
    store: &Store,
    target: Option<&str>,
    command: &str,
) -> Result<Option<Vec<crate::model::AppName>>, CliError> {
    let scopes = report_scopes(store, target)?;
    if scopes.is_empty() {
        super::output::warn("You haven't deployed any applications yet");
        return Ok(None);
    }
    scopes
        .into_iter()
        .map(|scope| match scope {
            Scope::App(app) => Ok(app),
            Scope::Global => Err(CliError::msg(format!(
                "{command} takes an app name, not --global"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Dokku report commands take `--<plugin>-<key>` info flags that are not declared options. Rewrite
/// every undeclared `--long` argument of a subcommand that has an `--info-flag` option into
/// `--info-flag=<arg>`, so clap can parse them.
pub fn rewrite_info_flags(cmd: &Command, mut args: Vec<String>) -> Vec<String> {
    let Some(sub) = args.get(1).and_then(|name| cmd.find_subcommand(name)) else {
        return args;
    };
    let declared: Vec<&str> = sub.get_arguments().filter_map(|a| a.get_long()).collect();
    if !declared.contains(&"info-flag") {
        return args;
    }
    for arg in args.iter_mut().skip(2) {
        if let Some(long) = arg.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or(long);
            if !name.is_empty() && name != "help" && name != "global" && !declared.contains(&name) {
                *arg = format!("--info-flag={arg}");
            }
        }
    }
    args
}
