//! `ps:scale` and `ps:report` (the desired formation kept in the store; applying it to a running
//! app belongs to the deploy engine).

use std::collections::BTreeMap;

use clap::Subcommand;

use super::args::existing_app;
use super::output::{Format, Report, Row, emit_reports, info1, info1_quiet, warn};
use super::{CliError, Ctx};
use crate::model::ps_properties::{PS_PROPERTIES, ps_property, validate_ps_value};
use crate::model::resources::parse_scale_arg;

#[derive(Debug, Subcommand)]
pub enum Ps {
    /// Set how many containers of each process type run (no arguments: show the scale)
    #[command(
        name = "ps:scale",
        after_help = "Examples:\n  berth ps:scale my-app web=2 worker=1\n  berth ps:scale my-app\n  berth ps:scale my-app --format json\n  berth ps:scale my-app web=3 --format json   # progress as JSON lines, for CI"
    )]
    Scale {
        app: String,
        /// process=count pairs
        #[arg(value_name = "PROCESS=COUNT")]
        pairs: Vec<String>,
        /// Only record the scale; do not apply it to a running app
        #[arg(long)]
        skip_deploy: bool,
        /// stdout or json: the scale (no pairs), or with pairs the progress as JSON lines and the
        /// outcome last (for CI)
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
    /// Set or clear (no value) a ps property: start-cmd, dockerfile-start-cmd, stop-timeout-seconds, restart-policy, procfile-path, restore, skip-deploy
    #[command(
        name = "ps:set",
        after_help = "Examples:\n  berth ps:set my-app start-cmd \"bin/server --port $PORT\"\n  berth ps:set my-app stop-timeout-seconds 60\n  berth ps:set --global restart-policy on-failure:5\n  berth ps:set my-app start-cmd      # clear"
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        property: String,
        value: Option<String>,
    },
    /// Show the process formation of an app (all apps when none is given)
    #[command(
        name = "ps:report",
        after_help = "Examples:\n  berth ps:report my-app\n  berth ps:report my-app --format json\n  berth ps:report my-app --ps-scale"
    )]
    Report {
        app: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

impl Ps {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Ps::Scale {
                app,
                pairs,
                skip_deploy,
                format,
            } => {
                let app = existing_app(store, &app)?;
                if pairs.is_empty() {
                    let scale = store.scale(&app)?;
                    if format == Format::Json {
                        let formations: Vec<serde_json::Value> = scale
                            .iter()
                            .map(|(p, n)| serde_json::json!({"process_type": p, "quantity": n}))
                            .collect();
                        return super::output::print_json(&formations);
                    }
                    // Dokku's layout: `web:  1` (the key padded to 5), headings unless --quiet.
                    info1_quiet(format!("Scaling for {app}"));
                    if !super::output::quiet() {
                        println!("proctype: qty");
                        println!("--------: ---");
                    }
                    for (p, n) in scale {
                        println!("{:<5} {n}", format!("{p}:"));
                    }
                    return Ok(());
                }
                let mut changes = BTreeMap::new();
                for p in &pairs {
                    let (process, count) = parse_scale_arg(p)?;
                    changes.insert(process, count);
                }
                if format == Format::Json {
                    return super::json_events::run(app.as_str(), "scaled", |events| {
                        use crate::ops::ps::Scaled;
                        Ok(
                            match crate::ops::ps::scale(ctx, &app, &changes, skip_deploy, events)? {
                                Scaled::RolledOut(revision) => {
                                    serde_json::json!({"revision": revision})
                                }
                                Scaled::Stored => serde_json::json!({"stored_only": true}),
                                Scaled::Unchanged => serde_json::json!({"unchanged": true}),
                            },
                        )
                    });
                }
                let progress = super::terminal::Terminal::new(false);
                if let crate::ops::ps::Scaled::RolledOut(revision) =
                    crate::ops::ps::scale(ctx, &app, &changes, skip_deploy, &progress)?
                {
                    info1(format!("{app} is running revision {revision}"));
                }
            }
            Ps::Set {
                target,
                property,
                value,
            } => {
                let scope = super::args::existing_scope(store, &target)?;
                let def = ps_property(&property, scope.is_global())?;
                let value = value.filter(|v| !v.is_empty());
                if let Some(v) = &value {
                    validate_ps_value(def.name, v)?;
                }
                crate::ops::settings::set_property(ctx, &scope, "ps", def.name, value.as_deref())?;
                match value {
                    Some(v) => super::output::info2(format!("Setting {} to {v}", def.name)),
                    None => super::output::info2(format!("Unsetting {}", def.name)),
                }
            }
            Ps::Report {
                app,
                format,
                info_flag,
            } => {
                let Some(apps) = super::args::report_apps(store, app.as_deref(), "ps:report")?
                else {
                    return Ok(());
                };
                let mut reports = Vec::new();
                for app in apps {
                    let scale = store.scale(&app)?;
                    let total: u64 = scale.values().map(|n| u64::from(*n)).sum();
                    let summary: Vec<String> =
                        scale.iter().map(|(p, n)| format!("{p}={n}")).collect();
                    let mut rows = vec![
                        Row::new("--processes", total.to_string()),
                        Row::new("--ps-scale", summary.join(" ")),
                    ];
                    for (p, n) in &scale {
                        rows.push(Row::new(format!("--ps-scale-{p}"), n.to_string()));
                    }
                    rows.extend(property_rows(store, &app)?);
                    rows.extend(live_ps_rows(ctx, &app));
                    reports.push(Report {
                        subject: app.to_string(),
                        plugin: "ps",
                        rows,
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}

/// `--ps-<name>`, `--ps-global-<name>` (for global properties) and `--ps-computed-<name>`.
fn property_rows(
    store: &crate::store::Store,
    app: &crate::model::AppName,
) -> Result<Vec<Row>, CliError> {
    use crate::store::Scope;
    let mut rows = Vec::new();
    for p in PS_PROPERTIES {
        let app_value = store
            .property(&Scope::App(app.clone()), "ps", p.name)?
            .unwrap_or_default();
        rows.push(Row::new(format!("--ps-{}", p.name), app_value));
        if p.global {
            let global = store
                .property(&Scope::Global, "ps", p.name)?
                .unwrap_or_default();
            rows.push(Row::new(format!("--ps-global-{}", p.name), global));
        }
        let computed = store.computed_property(Some(app), "ps", p.name, p.default)?;
        rows.push(Row::new(format!("--ps-computed-{}", p.name), computed));
    }
    Ok(rows)
}

/// Live rows for `ps:report`: deployed revision, running state and one status row per pod.
/// Nothing when no kubeconfig exists (no cluster set up); a warning when the cluster does not
/// answer (the stored part of the report is still printed).
fn live_ps_rows(ctx: &Ctx, app: &crate::model::AppName) -> Vec<Row> {
    let live = match crate::ops::ps::report_live(ctx, app) {
        Ok(None) => return Vec::new(),
        Ok(Some(live)) => live,
        Err(e) => {
            warn(format!("live state unavailable: {e}"));
            return Vec::new();
        }
    };
    let revision = live.deployed_revision;
    let mut rows = vec![
        Row::new("--deployed", revision.is_some().to_string()),
        Row::new(
            "--deployed-revision",
            revision.map(|r| r.to_string()).unwrap_or_default(),
        ),
        Row::new("--running", live.running.clone()),
    ];
    for s in &live.processes {
        for (i, p) in s.pods.iter().enumerate() {
            let state = match &p.reason {
                None => format!("running ({})", p.name),
                Some(r) => format!("{} ({}): {r}", p.phase.to_lowercase(), p.name),
            };
            rows.push(Row::new(
                format!("--status-{}-{}", s.process_type, i + 1),
                state,
            ));
        }
    }
    rows
}
