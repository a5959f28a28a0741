//! `resource:*`: CPU/memory (and GPU) limits and reservations per process type.

use clap::{Args, Subcommand};

use super::args::existing_app;
use super::output::{Format, Report, Row, emit_reports, info2, verbose};
use super::{CliError, Ctx};
use crate::model::resources::{DEFAULT_PROCESS, ResourceKind, ResourceSpec, validate_gpu};
use crate::model::{CpuQuantity, MemoryQuantity, ProcessType};
use crate::ops::settings;

#[derive(Debug, Args)]
pub struct ResourceSet {
    app: String,
    /// Only this process type (default: every process type)
    #[arg(long)]
    process_type: Option<String>,
    /// CPU: cores (1, 0.5) or millicores (250m); 0 = unset
    #[arg(long, allow_hyphen_values = true)]
    cpu: Option<String>,
    /// Memory: number with unit b, Ki, Mi, Gi (no unit = Mi); 0 = unset
    #[arg(long, allow_hyphen_values = true)]
    memory: Option<String>,
    /// NVIDIA GPUs (limits only)
    #[arg(long, allow_hyphen_values = true)]
    nvidia_gpu: Option<String>,
    /// Docker's memory-swap (stored and reported; Kubernetes has no swap limit per pod)
    #[arg(long, allow_hyphen_values = true)]
    memory_swap: Option<String>,
    /// Docker's network settings (stored and reported; not applied on Kubernetes)
    #[arg(long, allow_hyphen_values = true)]
    network: Option<String>,
    #[arg(long, allow_hyphen_values = true, hide = true)]
    network_ingress: Option<String>,
    #[arg(long, allow_hyphen_values = true, hide = true)]
    network_egress: Option<String>,
}

/// A resource flag's value: `clear` removes that one value (Dokku's `--memory clear`).
fn flag<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, CliError>,
) -> Result<Option<Option<T>>, CliError> {
    match raw {
        None => Ok(None),
        Some("clear") => Ok(Some(None)),
        Some(v) => parse(v).map(|v| Some(Some(v))),
    }
}

/// `Some(None)` → `cleared`, `Some(Some(v))` → `v`, for the verbose lines.
fn shown<T: std::fmt::Display>(v: &Option<Option<T>>) -> Option<String> {
    v.as_ref().map(|v| match v {
        Some(v) => v.to_string(),
        None => "cleared".to_owned(),
    })
}

#[derive(Debug, Args)]
pub struct ResourceClear {
    app: String,
    /// Only this process type (default: the app-wide default)
    #[arg(long)]
    process_type: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Resource {
    /// Set resource limits (no resource flags: show them)
    #[command(
        name = "resource:limit",
        after_help = "Examples:\n  berth resource:limit my-app --memory 512 --cpu 1\n  berth resource:limit my-app --process-type worker --memory 1Gi"
    )]
    Limit(ResourceSet),
    /// Set resource reservations (requests; no resource flags: show them)
    #[command(
        name = "resource:reserve",
        after_help = "Examples:\n  berth resource:reserve my-app --memory 256Mi --cpu 250m\n  berth resource:reserve my-app --cpu 0m     # no CPU request"
    )]
    Reserve(ResourceSet),
    /// Remove resource limits
    #[command(
        name = "resource:limit-clear",
        after_help = "Example:\n  berth resource:limit-clear my-app --process-type web"
    )]
    LimitClear(ResourceClear),
    /// Remove resource reservations
    #[command(
        name = "resource:reserve-clear",
        after_help = "Example:\n  berth resource:reserve-clear my-app"
    )]
    ReserveClear(ResourceClear),
    /// Show limits and reservations per process type
    #[command(
        name = "resource:report",
        after_help = "Examples:\n  berth resource:report my-app\n  berth resource:report my-app --format json\n  berth resource:report my-app --resource-web-limit-memory"
    )]
    Report {
        app: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

fn slot(process: Option<&str>) -> Result<String, CliError> {
    match process {
        None => Ok(DEFAULT_PROCESS.to_owned()),
        Some(DEFAULT_PROCESS) => Ok(DEFAULT_PROCESS.to_owned()),
        Some(p) => Ok(p.parse::<ProcessType>()?.to_string()),
    }
}

fn rows_for(slot: &str, spec: &ResourceSpec) -> Vec<Row> {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut rows = vec![
        Row::new(format!("--resource-{slot}-limit-cpu"), v(&spec.limit.cpu)),
        Row::new(
            format!("--resource-{slot}-limit-memory"),
            v(&spec.limit.memory),
        ),
        Row::new(
            format!("--resource-{slot}-limit-nvidia-gpu"),
            v(&spec.limit.nvidia_gpu),
        ),
        Row::new(
            format!("--resource-{slot}-reserve-cpu"),
            v(&spec.reserve.cpu),
        ),
        Row::new(
            format!("--resource-{slot}-reserve-memory"),
            v(&spec.reserve.memory),
        ),
    ];
    for (kind, values) in [("limit", &spec.limit), ("reserve", &spec.reserve)] {
        for (key, value) in &values.docker_only {
            rows.push(Row::new(
                format!("--resource-{slot}-{kind}-{key}"),
                value.clone(),
            ));
        }
    }
    rows
}

fn set(ctx: &Ctx, kind: ResourceKind, args: ResourceSet) -> Result<(), CliError> {
    let store = &ctx.store;
    let app = existing_app(store, &args.app)?;
    let slot = slot(args.process_type.as_deref())?;
    let cpu = flag(args.cpu.as_deref(), |c| Ok(c.parse::<CpuQuantity>()?))?;
    let memory = flag(args.memory.as_deref(), |m| Ok(m.parse::<MemoryQuantity>()?))?;
    let gpu = match (&args.nvidia_gpu, kind) {
        (Some(_), ResourceKind::Reserve) => {
            return Err(CliError::msg(
                "--nvidia-gpu can only be set with resource:limit",
            ));
        }
        (g, ResourceKind::Limit) => flag(g.as_deref(), |g| Ok(validate_gpu(g)?))?,
        (None, _) => None,
    };
    let mut docker_only = std::collections::BTreeMap::new();
    for (key, raw) in [
        ("memory-swap", &args.memory_swap),
        ("network", &args.network),
        ("network-ingress", &args.network_ingress),
        ("network-egress", &args.network_egress),
    ] {
        if let Some(v) = flag(raw.as_deref(), |v| {
            if v.is_empty() || v.len() > 64 || v.chars().any(|c| c.is_control() || c == ' ') {
                Err(CliError::msg(format!(
                    "Invalid --{key} value {v:?}: use a Docker value such as 1g (at most 64 characters)"
                )))
            } else {
                Ok(v.to_owned())
            }
        })? {
            docker_only.insert(key.to_owned(), v);
        }
    }
    // Dokku's words: "limits" and "reservation".
    let word = match kind {
        ResourceKind::Limit => "limits",
        ResourceKind::Reserve => "reservation",
    };
    let whom = if slot == DEFAULT_PROCESS {
        format!("{app}")
    } else {
        format!("{app} ({slot})")
    };
    if cpu.is_none() && memory.is_none() && gpu.is_none() && docker_only.is_empty() {
        let spec = store.resources(&app)?.remove(&slot).unwrap_or_default();
        let scope = if slot == DEFAULT_PROCESS {
            "[defaults]".to_owned()
        } else {
            format!("({slot})")
        };
        info2(format!("resource {word} {app} information {scope}"));
        let values = match kind {
            ResourceKind::Limit => spec.limit,
            ResourceKind::Reserve => spec.reserve,
        };
        let other = |k: &str| values.docker_only.get(k).cloned().unwrap_or_default();
        for (key, value) in [
            ("cpu", values.cpu.clone().unwrap_or_default()),
            ("memory", values.memory.clone().unwrap_or_default()),
            ("memory-swap", other("memory-swap")),
            ("network", other("network")),
            ("network-ingress", other("network-ingress")),
            ("network-egress", other("network-egress")),
            ("nvidia-gpu", values.nvidia_gpu.clone().unwrap_or_default()),
        ] {
            verbose(format!("{key}: {value}").trim_end());
        }
        return Ok(());
    }
    let new = settings::ResourceValues {
        cpu: cpu.clone(),
        memory: memory.clone(),
        nvidia_gpu: gpu.clone(),
        docker_only: docker_only.clone(),
    };
    settings::set_resources(ctx, &app, &slot, kind, &new)?;
    info2(format!("Setting resource {word} for {whom}"));
    for (key, value) in [
        ("cpu", shown(&cpu)),
        ("memory", shown(&memory)),
        ("nvidia-gpu", shown(&gpu)),
    ] {
        if let Some(v) = value {
            verbose(format!("{key}: {v}"));
        }
    }
    for (key, value) in &docker_only {
        verbose(format!("{key}: {}", value.as_deref().unwrap_or("cleared")));
    }
    Ok(())
}

fn clear(ctx: &Ctx, kind: ResourceKind, args: ResourceClear) -> Result<(), CliError> {
    let store = &ctx.store;
    let app = existing_app(store, &args.app)?;
    let slot = slot(args.process_type.as_deref())?;
    settings::clear_resources(ctx, &app, &slot, kind)?;
    let word = match kind {
        ResourceKind::Limit => "limits",
        ResourceKind::Reserve => "reservations",
    };
    info2(format!("Clearing resource {word} for {app} ({slot})"));
    Ok(())
}

impl Resource {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            Resource::Limit(a) => set(ctx, ResourceKind::Limit, a),
            Resource::Reserve(a) => set(ctx, ResourceKind::Reserve, a),
            Resource::LimitClear(a) => clear(ctx, ResourceKind::Limit, a),
            Resource::ReserveClear(a) => clear(ctx, ResourceKind::Reserve, a),
            Resource::Report {
                app,
                format,
                info_flag,
            } => {
                let store = &ctx.store;
                let Some(apps) =
                    super::args::report_apps(store, app.as_deref(), "resource:report")?
                else {
                    return Ok(());
                };
                let mut reports = Vec::new();
                for app in apps {
                    let mut resources = store.resources(&app)?;
                    resources.entry(DEFAULT_PROCESS.to_owned()).or_default();
                    let rows = resources
                        .iter()
                        .flat_map(|(s, spec)| rows_for(s, spec))
                        .collect();
                    reports.push(Report {
                        subject: app.to_string(),
                        plugin: "resource",
                        rows,
                    });
                }
                // Dokku spells the flags `--resource-_default_.limit.memory`.
                let info_flag = info_flag.map(|f| match f.strip_prefix("--resource-") {
                    Some(rest) => format!("--resource-{}", rest.replace('.', "-")),
                    None => f,
                });
                emit_reports(&reports, format, info_flag.as_deref())
            }
        }
    }
}
