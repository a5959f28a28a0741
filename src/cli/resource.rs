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
        #[arg(long, value_enum, default_value_t)]
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
    vec![
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
    ]
}

fn set(ctx: &Ctx, kind: ResourceKind, args: ResourceSet) -> Result<(), CliError> {
    let store = &ctx.store;
    let app = existing_app(store, &args.app)?;
    let slot = slot(args.process_type.as_deref())?;
    let cpu = args
        .cpu
        .as_deref()
        .map(|c| c.parse::<CpuQuantity>())
        .transpose()?;
    let memory = args
        .memory
        .as_deref()
        .map(|m| m.parse::<MemoryQuantity>())
        .transpose()?;
    let gpu = match (&args.nvidia_gpu, kind) {
        (Some(_), ResourceKind::Reserve) => {
            return Err(CliError::msg(
                "--nvidia-gpu can only be set with resource:limit",
            ));
        }
        (Some(g), ResourceKind::Limit) => Some(validate_gpu(g)?),
        (None, _) => None,
    };
    let word = match kind {
        ResourceKind::Limit => "limits",
        ResourceKind::Reserve => "reservations",
    };
    if cpu.is_none() && memory.is_none() && gpu.is_none() {
        let spec = store.resources(&app)?.remove(&slot).unwrap_or_default();
        info2(format!("resource {word} {app} information [{slot}]"));
        let values = match kind {
            ResourceKind::Limit => spec.limit,
            ResourceKind::Reserve => spec.reserve,
        };
        verbose(format!("cpu: {}", values.cpu.unwrap_or_default()).trim_end());
        verbose(format!("memory: {}", values.memory.unwrap_or_default()).trim_end());
        return Ok(());
    }
    let new = settings::ResourceValues {
        cpu: cpu.clone(),
        memory: memory.clone(),
        nvidia_gpu: gpu.clone(),
    };
    settings::set_resources(ctx, &app, &slot, kind, &new)?;
    info2(format!("Setting resource {word} for {app} ({slot})"));
    if let Some(c) = cpu {
        verbose(format!("cpu: {c}"));
    }
    if let Some(m) = memory {
        verbose(format!("memory: {m}"));
    }
    if let Some(g) = gpu {
        verbose(format!("nvidia-gpu: {g}"));
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
                emit_reports(&reports, format, info_flag.as_deref())
            }
        }
    }
}
