//! `ports:*`: `scheme:host-port:container-port` mappings of an app.

use clap::Subcommand;

use super::args::existing_app;
use super::output::{Format, Report, Row, emit_reports, info1};
use super::{CliError, Ctx};
use crate::model::{AppName, PortMapping};
use crate::ops::settings::{self, PortEdit};

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
    /// List the app's configured port mappings
    #[command(
        name = "ports:list",
        after_help = "Examples:\n  berth ports:list my-app\n  berth --quiet ports:list my-app\n  berth ports:list my-app -o json"
    )]
    List {
        app: String,
        /// stdout (Dokku's columns) or json (`[{"scheme", "host_port", "container_port"}]`)
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: super::output::Format,
    },
    /// Show configured and default port mappings
    #[command(
        name = "ports:report",
        after_help = "Examples:\n  berth ports:report my-app\n  berth ports:report my-app --format json\n  berth ports:report my-app --ports-map"
    )]
    Report {
        app: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

fn parse<T: std::str::FromStr<Err = crate::model::InvalidValue>>(
    raw: &[String],
) -> Result<Vec<T>, CliError> {
    raw.iter()
        .map(|m| m.parse::<T>().map_err(CliError::from))
        .collect()
}

/// Dokku's `--ports-map-json`: `[{"container_port":5000,"host_port":80,"scheme":"http"}]`.
fn as_json(list: &[PortMapping]) -> String {
    let maps: Vec<serde_json::Value> = list
        .iter()
        .map(|m| {
            serde_json::json!({
                "container_port": m.container_port,
                "host_port": m.host_port,
                "scheme": m.scheme.as_str(),
            })
        })
        .collect();
    serde_json::Value::Array(maps).to_string()
}

fn join(list: &[PortMapping]) -> String {
    list.iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Check the arguments, edit through ops, then say what was done.
fn edit(ctx: &Ctx, app: &AppName, edit: PortEdit, done: String) -> Result<(), CliError> {
    settings::edit_ports(ctx, app, &edit)?;
    info1(done);
    Ok(())
}

impl Ports {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Ports::Add { app, mappings } => {
                let app = existing_app(store, &app)?;
                let add = PortEdit::Add(parse(&mappings)?);
                edit(ctx, &app, add, format!("Adding {}", mappings.join(" ")))
            }
            Ports::Set { app, mappings } => {
                let app = existing_app(store, &app)?;
                let set = PortEdit::Set(parse(&mappings)?);
                let done = format!("Setting port mappings to {}", mappings.join(" "));
                edit(ctx, &app, set, done)
            }
            Ports::Clear { app } => {
                let app = existing_app(store, &app)?;
                edit(ctx, &app, PortEdit::Clear, "Clearing port mappings".into())
            }
            Ports::Remove { app, mappings } => {
                let app = existing_app(store, &app)?;
                let remove = PortEdit::Remove(parse(&mappings)?);
                edit(
                    ctx,
                    &app,
                    remove,
                    format!("Removing {}", mappings.join(" ")),
                )
            }
            Ports::List { app, format } => {
                let app = existing_app(store, &app)?;
                let configured = store.ports(&app)?;
                if format == super::output::Format::Json {
                    let list: Vec<serde_json::Value> = configured
                        .iter()
                        .map(|m| {
                            serde_json::json!({
                                "scheme": m.scheme.to_string(),
                                "host_port": m.host_port,
                                "container_port": m.container_port,
                            })
                        })
                        .collect();
                    println!("{}", serde_json::Value::Array(list));
                    return Ok(());
                }
                if configured.is_empty() {
                    return Err(CliError::msg("No port mappings configured for app"));
                }
                // Dokku's columns: `scheme  host port  container port`, sorted, the heading
                // row and title dropped under --quiet.
                let mut rows: Vec<[String; 3]> = configured
                    .iter()
                    .map(|m| {
                        [
                            m.scheme.to_string(),
                            m.host_port.to_string(),
                            m.container_port.to_string(),
                        ]
                    })
                    .collect();
                rows.sort();
                if !super::output::quiet() {
                    rows.insert(
                        0,
                        [
                            "-----> scheme".to_owned(),
                            "host port".to_owned(),
                            "container port".to_owned(),
                        ],
                    );
                }
                super::output::info1_quiet(format!("Port mappings for {app}"));
                let widths: Vec<usize> = (0..3)
                    .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
                    .collect();
                for r in rows {
                    println!(
                        "    {:<w0$}  {:<w1$}  {}",
                        r[0],
                        r[1],
                        r[2],
                        w0 = widths[0],
                        w1 = widths[1]
                    );
                }
                Ok(())
            }
            Ports::Report {
                app,
                format,
                info_flag,
            } => {
                let Some(apps) = super::args::report_apps(store, app.as_deref(), "ports:report")?
                else {
                    return Ok(());
                };
                let mut reports = Vec::new();
                for app in apps {
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
                            Row::new("--ports-map-json", as_json(&configured)),
                            Row::new("--ports-map-detected", PortMapping::DEFAULT.to_string()),
                            Row::new(
                                "--ports-map-detected-json",
                                as_json(&[PortMapping::DEFAULT]),
                            ),
                            Row::new("--ports-map-computed", join(&computed)),
                        ],
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())
            }
        }
    }
}
