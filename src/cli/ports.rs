//! `ports:*`: `scheme:host-port:container-port` mappings of an app.

use clap::Subcommand;

use super::args::{existing_app, report_scopes};
use super::output::{Format, Report, Row, emit_reports, info1, warn};
use super::{CliError, Ctx};
use crate::model::PortMapping;
use crate::store::{Scope, docs};

#[derive(Debug, Subcommand)]
pub enum Ports {
    /// Add port mappings
    #[command(
        name = "ports:add",
        after_help = "Example:\n  berth ports:add my-app http:80:5000 https:443:5000"
    )]
    Add {
        app: String,
        #[arg(required = true, value_name = "SCHEME:HOST-PORT:CONTAINER-PORT")]
        mappings: Vec<String>,
    },
    /// Remove port mappings (a mapping, or a bare host port to drop every mapping on it)
    #[command(
        name = "ports:remove",
        after_help = "Examples:\n  berth ports:remove my-app http:80:5000\n  berth ports:remove my-app 8080"
    )]
    Remove {
        app: String,
        #[arg(required = true, value_name = "MAPPING|HOST-PORT")]
        mappings: Vec<String>,
    },
    /// Replace the port mappings
    #[command(
        name = "ports:set",
        after_help = "Example:\n  berth ports:set my-app http:80:3000"
    )]
    Set {
        app: String,
        #[arg(required = true, value_name = "SCHEME:HOST-PORT:CONTAINER-PORT")]
        mappings: Vec<String>,
    },
    /// Remove every configured mapping (the default http:80:5000 applies again)
    #[command(
        name = "ports:clear",
        after_help = "Example:\n  berth ports:clear my-app"
    )]
    Clear { app: String },
    /// Show configured and default port mappings
    #[command(
        name = "ports:report",
        after_help = "Examples:\n  berth ports:report my-app\n  berth ports:report my-app --format json\n  berth ports:report my-app --ports-map"
    )]
    Report {
        app: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

fn parse(raw: &[String]) -> Result<Vec<PortMapping>, CliError> {
    raw.iter()
        .map(|m| m.parse::<PortMapping>().map_err(CliError::from))
        .collect()
}

/// Refuse two mappings that claim the same host port for the same protocol family.
fn check_conflicts(list: &[PortMapping]) -> Result<(), CliError> {
    for (i, a) in list.iter().enumerate() {
        for b in &list[i + 1..] {
            let udp = |m: &PortMapping| m.scheme == crate::model::PortScheme::Udp;
            if a.host_port == b.host_port && udp(a) == udp(b) && a != b {
                return Err(CliError::msg(format!(
                    "port mappings {a} and {b} both use host port {}; remove one first",
                    a.host_port
                )));
            }
        }
    }
    Ok(())
}

fn join(list: &[PortMapping]) -> String {
    list.iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Ports {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Ports::Add { app, mappings } => update(ctx, &app, |list| {
                list.extend(parse(&mappings)?);
                Ok(format!("Adding {}", mappings.join(" ")))
            }),
            Ports::Set { app, mappings } => update(ctx, &app, |list| {
                *list = parse(&mappings)?;
                Ok(format!("Setting port mappings to {}", mappings.join(" ")))
            }),
            Ports::Clear { app } => update(ctx, &app, |list| {
                list.clear();
                Ok("Clearing port mappings".to_owned())
            }),
            Ports::Remove { app, mappings } => update(ctx, &app, |list| {
                for m in &mappings {
                    if m.bytes().all(|b| b.is_ascii_digit()) && !m.is_empty() {
                        let port: u16 = m.parse().map_err(|_| {
                            CliError::msg(format!(
                                "invalid host port {m:?}: use a number from 1 to 65535"
                            ))
                        })?;
                        list.retain(|p| p.host_port != port);
                    } else {
                        let mapping: PortMapping = m.parse()?;
                        list.retain(|p| *p != mapping);
                    }
                }
                Ok(format!("Removing {}", mappings.join(" ")))
            }),
            Ports::Report {
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
                        return Err(CliError::msg(
                            "ports:report takes an app name, not --global",
                        ));
                    };
                    let configured = store.ports(&app)?;
                    let computed = if configured.is_empty() {
                        vec![PortMapping::DEFAULT]
                    } else {
                        configured.clone()
                    };
                    reports.push(Report {
                        subject: app.to_string(),
                        plugin: "ports",
                        rows: vec![
                            Row::new("--ports-map", join(&configured)),
                            Row::new("--ports-map-detected", PortMapping::DEFAULT.to_string()),
                            Row::new("--ports-map-computed", join(&computed)),
                        ],
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())
            }
        }
    }
}

fn update(
    ctx: &Ctx,
    app: &str,
    f: impl FnOnce(&mut Vec<PortMapping>) -> Result<String, CliError>,
) -> Result<(), CliError> {
    let store = &ctx.store;
    let app = existing_app(store, app)?;
    let lock = store.lock(&Scope::App(app), &ctx.command)?;
    let msg = lock.update_json(docs::PORTS, |list: &mut Vec<PortMapping>| {
        let msg = f(list)?;
        list.sort();
        list.dedup();
        check_conflicts(list)?;
        Ok::<_, CliError>(msg)
    })?;
    info1(msg);
    Ok(())
}
