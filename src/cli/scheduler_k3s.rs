//! `scheduler-k3s:set|report` (the property table) and `scheduler-k3s:charts:set|report`.

use clap::Subcommand;

use super::args::{existing_scope, report_scopes};
use super::output::{
    Format, Report, Row, emit_reports, info2, invalid_flag, print_json, print_padded, warn,
};
use super::{CliError, Ctx};
use crate::model::properties::{
    PropertyDef, PropertyScope, SCHEDULER_K3S_PROPERTIES, lookup_property,
};
use crate::model::scheduler_k3s::{ChartOverrides, parse_chart_property};
use crate::store::{Scope, Store, docs};

#[derive(Debug, Subcommand)]
pub enum SchedulerK3s {
    /// Set or clear (empty value) a scheduler-k3s property for an app or --global
    #[command(
        name = "scheduler-k3s:set",
        after_help = "Examples:\n  berth scheduler-k3s:set my-app deploy-timeout 60s\n  berth scheduler-k3s:set --global namespace apps\n  berth scheduler-k3s:set my-app deploy-timeout        # back to the default"
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        property: String,
        /// New value; omit or pass "" to unset
        value: Option<String>,
    },
    /// Show scheduler-k3s properties: app, global and computed values
    #[command(
        name = "scheduler-k3s:report",
        after_help = "Examples:\n  berth scheduler-k3s:report my-app\n  berth scheduler-k3s:report --global --format json\n  berth scheduler-k3s:report my-app --scheduler-k3s-computed-deploy-timeout"
    )]
    Report {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        /// One value only, e.g. --scheduler-k3s-computed-namespace
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
    /// Set or clear (empty value) a Helm value override for a cluster component chart
    #[command(
        name = "scheduler-k3s:charts:set",
        after_help = "Examples:\n  berth scheduler-k3s:charts:set traefik.deployment.replicas 2\n  berth scheduler-k3s:charts:set traefik.deployment.replicas     # unset"
    )]
    ChartsSet {
        /// <chart>.<values-key>
        #[arg(value_name = "CHART.PROPERTY", allow_hyphen_values = true)]
        property: String,
        value: Option<String>,
    },
    /// Show chart value overrides
    #[command(
        name = "scheduler-k3s:charts:report",
        after_help = "Examples:\n  berth scheduler-k3s:charts:report\n  berth scheduler-k3s:charts:report traefik --format json\n  berth scheduler-k3s:charts:report --scheduler-k3s-charts-traefik.deployment.replicas"
    )]
    ChartsReport {
        /// Only this chart
        #[arg(allow_hyphen_values = true)]
        chart: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

/// Validate a value for `def` (including the readable-file check) and return the stored form.
pub fn validate_property(def: &PropertyDef, value: &str) -> Result<String, CliError> {
    let stored = def.validate(value)?;
    // Dokku accepts a path whose file does not exist yet (written later, e.g. by initialize);
    // one that exists must be a readable regular file.
    if def.must_be_readable_file {
        match std::fs::metadata(&stored) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => super::output::warn(format!(
                "{stored} does not exist yet: commands that reach the cluster fail until it does"
            )),
            Ok(m) if m.is_file() && std::fs::File::open(&stored).is_ok() => {}
            _ => {
                return Err(CliError::msg(format!(
                    "Invalid {} {value:?}: not a readable regular file",
                    def.name
                )));
            }
        }
    }
    Ok(stored)
}

fn set_chart_value(ctx: &Ctx, chart: &str, key: &str, value: Option<&str>) -> Result<(), CliError> {
    if let Some(v) = value
        && v.contains('\0')
    {
        return Err(CliError::msg(format!(
            "Invalid value for chart.{chart}.{key}: NUL characters are not allowed"
        )));
    }
    crate::ops::settings::set_chart_value(ctx, chart, key, value)?;
    match value {
        Some(v) => info2(format!("Setting chart.{chart}.{key} to {v}")),
        None => info2(format!("Unsetting chart.{chart}.{key}")),
    }
    Ok(())
}

/// Build the `scheduler-k3s:report` rows for one scope.
pub fn property_report(store: &Store, scope: &Scope) -> Result<Report, CliError> {
    let resolved = store.scheduler_k3s_properties(scope.app())?;
    let mut rows = Vec::new();
    for def in SCHEDULER_K3S_PROPERTIES {
        let v = resolved.get(def.name);
        let mask = |r: Row| if def.secret { r.masked() } else { r };
        match (def.scope, scope) {
            (PropertyScope::AppAndGlobal, Scope::App(_)) => {
                rows.push(Row::new(
                    format!("--scheduler-k3s-{}", def.name),
                    v.app.clone(),
                ));
                rows.push(Row::new(
                    format!("--scheduler-k3s-global-{}", def.name),
                    v.global.clone(),
                ));
                rows.push(Row::new(
                    format!("--scheduler-k3s-computed-{}", def.name),
                    v.computed.clone(),
                ));
            }
            // The join token is cluster-wide and only shown in the --global report.
            (PropertyScope::GlobalOnly, Scope::App(_)) if def.secret => {}
            _ => {
                rows.push(mask(Row::new(
                    format!("--scheduler-k3s-global-{}", def.name),
                    v.global.clone(),
                )));
                if !def.secret {
                    rows.push(Row::new(
                        format!("--scheduler-k3s-computed-{}", def.name),
                        v.computed.clone(),
                    ));
                }
            }
        }
    }
    let overrides: ChartOverrides = store.read_json(&Scope::Global, docs::CHART_OVERRIDES)?;
    for (chart, map) in &overrides {
        for (k, v) in map {
            rows.push(Row::new(
                format!("--scheduler-k3s-global-chart.{chart}.{k}"),
                v.clone(),
            ));
        }
    }
    let subject = match scope {
        Scope::App(a) => a.to_string(),
        Scope::Global => "--global".to_owned(),
    };
    Ok(Report {
        subject,
        plugin: "scheduler-k3s",
        rows,
    })
}

impl SchedulerK3s {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            SchedulerK3s::Set {
                target,
                property,
                value,
            } => {
                let scope = existing_scope(store, &target)?;
                let value = value.filter(|v| !v.is_empty());
                if let Some(rest) = property.strip_prefix("chart.") {
                    if !scope.is_global() {
                        return Err(CliError::msg("Chart properties can only be set globally"));
                    }
                    let (chart, key) = parse_chart_property(rest).map_err(|_| {
                        CliError::msg(format!(
                            "Invalid chart property, expected format: chart.$CHART_NAME.$PROPERTY with a known chart: {property:?}"
                        ))
                    })?;
                    warn(
                        "scheduler-k3s:set chart.* properties are deprecated; use scheduler-k3s:charts:set <chart>.<property> instead",
                    );
                    return set_chart_value(ctx, &chart, &key, value.as_deref());
                }
                let def = lookup_property(&property)?;
                def.check_scope(scope.is_global())?;
                let stored = match &value {
                    Some(v) => {
                        let stored = validate_property(def, v)?;
                        crate::ops::settings::check_cluster_settings(store, def.name, &stored)?;
                        Some(stored)
                    }
                    None => None,
                };
                crate::ops::settings::set_scheduler_k3s_property(
                    ctx,
                    &scope,
                    def.name,
                    stored.as_deref(),
                )?;
                match &stored {
                    Some(_) if def.secret => info2(format!("Setting {} (value hidden)", def.name)),
                    Some(v) => info2(format!("Setting {} to {v}", def.name)),
                    None => info2(format!("Unsetting {}", def.name)),
                }
                if scope.is_global()
                    && crate::ops::cluster_objects::LETSENCRYPT_PROPERTIES.contains(&def.name)
                {
                    for line in crate::ops::cluster_objects::sync_cluster_issuers(store)? {
                        super::output::verbose(line);
                    }
                }
            }
            SchedulerK3s::Report {
                target,
                format,
                info_flag,
            } => {
                let scopes = report_scopes(store, target.as_deref())?;
                if scopes.is_empty() {
                    warn("You haven't deployed any applications yet");
                    return Ok(());
                }
                let reports = scopes
                    .iter()
                    .map(|s| property_report(store, s))
                    .collect::<Result<Vec<_>, _>>()?;
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
            SchedulerK3s::ChartsSet { property, value } => {
                let (chart, key) = parse_chart_property(&property)?;
                set_chart_value(
                    ctx,
                    &chart,
                    &key,
                    value.as_deref().filter(|v| !v.is_empty()),
                )?;
            }
            SchedulerK3s::ChartsReport {
                chart,
                format,
                info_flag,
            } => {
                let chart = chart.filter(|c| c != "--global");
                let (selected, overrides) = crate::ops::charts::overrides(ctx, chart.as_deref())?;
                let entries: Vec<(&str, &String, &String)> = overrides
                    .iter()
                    .map(|o| (o.chart, &o.key, &o.value))
                    .collect();
                if let Some(flag) = info_flag {
                    if format == Format::Json {
                        return Err(CliError::msg(
                            "--format flag cannot be specified when specifying an info flag",
                        ));
                    }
                    let found = entries
                        .iter()
                        .find(|(c, k, _)| flag == format!("--scheduler-k3s-charts-{c}.{k}"));
                    return match found {
                        Some((_, _, v)) => {
                            println!("{v}");
                            Ok(())
                        }
                        None => {
                            let valid: Vec<String> = entries
                                .iter()
                                .map(|(c, k, _)| format!("--scheduler-k3s-charts-{c}.{k}"))
                                .collect();
                            Err(invalid_flag(valid))
                        }
                    };
                }
                match format {
                    Format::Json => {
                        let flat: serde_json::Map<String, serde_json::Value> = entries
                            .iter()
                            .map(|(c, k, v)| {
                                (format!("{c}.{k}"), serde_json::Value::String((*v).clone()))
                            })
                            .collect();
                        print_json(&flat)?;
                    }
                    Format::Stdout => {
                        let width = entries
                            .iter()
                            .map(|(_, k, _)| "Chart property ".len() + k.len() + 1)
                            .max()
                            .unwrap_or(0)
                            .max(31);
                        for c in &selected {
                            info2(format!("{c} chart information"));
                            let lines: Vec<(String, String)> = entries
                                .iter()
                                .filter(|(ec, _, _)| ec == c)
                                .map(|(_, k, v)| (format!("Chart property {k}"), (*v).clone()))
                                .collect();
                            print_padded(&lines, width);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
