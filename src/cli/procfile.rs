//! `procfile:set` / `procfile:report`: the Procfile used when a deploy does not pass `--procfile`.

use clap::Subcommand;
use serde_json::{Map, Value};

use super::args::{existing_app, report_scopes};
use super::output::{Format, info2, print_padded, warn};
use super::{CliError, Ctx};
use crate::model::procfile::Procfile;
use crate::ops::release_inputs::PROCFILE;
use crate::store::Scope;

#[derive(Debug, Subcommand)]
pub enum ProcfileCmd {
    /// Store the app's Procfile (process types and their commands); empty --file content unsets it
    #[command(
        name = "procfile:set",
        after_help = "Examples:\n  berth procfile:set my-app --file Procfile\n  printf 'web: ./server\\nworker: ./worker\\n' | berth procfile:set my-app --file -"
    )]
    Set {
        app: String,
        /// Procfile path, or - for stdin
        #[arg(long, value_name = "PATH")]
        file: String,
    },
    /// Show the stored Procfile's process types and commands
    #[command(
        name = "procfile:report",
        after_help = "Examples:\n  berth procfile:report my-app\n  berth procfile:report my-app --format json"
    )]
    Report {
        app: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
}

fn read_input(file: &str) -> Result<String, CliError> {
    Ok(crate::input::read_text_or_stdin(
        file,
        crate::input::PROCFILE,
    )?)
}

fn report_json(p: &Procfile) -> Value {
    let mut processes = Map::new();
    for (name, cmd) in &p.processes {
        processes.insert(name.to_string(), Value::String(cmd.clone()));
    }
    serde_json::json!({
        "processes": processes,
        "release": p.release.clone().unwrap_or_default(),
    })
}

impl ProcfileCmd {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            ProcfileCmd::Set { app, file } => {
                let app = existing_app(store, &app)?;
                let text = read_input(&file)?;
                let parsed = Procfile::parse(&text).map_err(|e| CliError::msg(e.to_string()))?;
                if !crate::ops::settings::set_procfile(ctx, &app, &parsed)? {
                    info2(format!("Unsetting Procfile for {app}"));
                } else {
                    let names: Vec<String> =
                        parsed.processes.keys().map(|p| p.to_string()).collect();
                    info2(format!(
                        "Setting Procfile for {app} (processes: {}{})",
                        names.join(", "),
                        if parsed.release.is_some() {
                            "; release task"
                        } else {
                            ""
                        }
                    ));
                }
                Ok(())
            }
            ProcfileCmd::Report { app, format } => {
                let scopes = report_scopes(store, app.as_deref())?;
                if scopes.is_empty() {
                    warn("You haven't deployed any applications yet");
                    return Ok(());
                }
                let mut all = Map::new();
                for scope in scopes {
                    let Scope::App(app) = &scope else { continue };
                    let procfile = match store.read_text(&scope, PROCFILE)? {
                        Some(t) => {
                            Procfile::parse(&t).map_err(|e| CliError::msg(format!("stored {e}")))?
                        }
                        None => Procfile::default(),
                    };
                    match format {
                        Format::Json => {
                            all.insert(app.to_string(), report_json(&procfile));
                        }
                        Format::Stdout => {
                            info2(format!("{app} procfile information"));
                            let mut lines: Vec<(String, String)> = procfile
                                .processes
                                .iter()
                                .map(|(p, c)| (format!("Procfile {p}"), c.clone()))
                                .collect();
                            if let Some(r) = &procfile.release {
                                lines.push(("Procfile release".into(), r.clone()));
                            }
                            if lines.is_empty() {
                                lines.push((
                                    "Procfile".into(),
                                    "(none: web runs the image's own command)".into(),
                                ));
                            }
                            print_padded(&lines, 31);
                        }
                    }
                }
                if format == Format::Json {
                    let out = if all.len() == 1 && app.is_some() {
                        all.into_iter().next().map(|(_, v)| v).unwrap_or_default()
                    } else {
                        Value::Object(all)
                    };
                    println!("{out}");
                }
                Ok(())
            }
        }
    }
}
