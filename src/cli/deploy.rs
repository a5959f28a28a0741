//! `deploy`: deploy an app's release. With `--dry-run` it prints every object (touching no cluster
//! and no state), ready for `kubectl apply -f -`.

use clap::{Args, Subcommand};

use super::args::existing_app;
use super::output::{info1, warn};
use super::terminal::Terminal;
use super::timings::Timings;
use super::{CliError, Ctx};
use crate::model::release::BuilderType;
use crate::ops::deploy::{self, DeployOpts};
use crate::ops::lock::LockWait;
use crate::render::{self, Manifest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ManifestFormat {
    /// YAML documents separated by `---`
    #[default]
    Yaml,
    /// A JSON `v1` `List`
    Json,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// App name
    pub app: String,
    /// Image to run, e.g. registry.example.com/team/app:1.2.3
    #[arg(long)]
    pub image: String,
    /// Procfile to use instead of the stored one (`procfile:set`)
    #[arg(long, value_name = "PATH")]
    pub procfile: Option<std::path::PathBuf>,
    /// app.json to use instead of the stored one (`app-json:set`)
    #[arg(long, value_name = "PATH")]
    pub app_json: Option<std::path::PathBuf>,
    /// How the image was built, for this deploy: dockerfile, herokuish (`/start <process>`) or
    /// pack (`launcher`); default: `builder:set`, else dockerfile
    #[arg(long, value_name = "TYPE")]
    pub builder: Option<String>,
    /// Print the manifests instead of applying them
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: the manifests' format. Without: json prints the progress as one JSON
    /// object per line (event, item, ready, desired, text, elapsed_ms) and the outcome last
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub format: ManifestFormat,
    /// Print Secret values instead of `<redacted>` in --dry-run output
    #[arg(long)]
    pub show_secrets: bool,
    /// Fail at once if another deploy of the app is running instead of waiting for it
    /// (`--no-wait`, berth's earlier spelling, still works)
    #[arg(long = "no-lock-wait", alias = "no-wait")]
    pub no_wait: bool,
    /// How long to wait for the rollout this time (`60s`, `5m`), instead of `deploy-timeout`
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<std::time::Duration>,
    /// Plain progress lines instead of live ones
    #[arg(long, short)]
    pub quiet: bool,
    /// After the deploy, print where its time went, phase by phase (with -o json: a `timings`
    /// event)
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Subcommand)]
pub enum Deploy {
    /// Deploy an image (with --dry-run: print the Kubernetes objects it would create)
    #[command(
        name = "deploy",
        after_help = "Examples:\n  berth deploy my-app --image registry.example.com/my-app:1.2.3\n  berth deploy my-app --image ghcr.io/acme/my-app:1.2.4 --app-json app.json --timeout 5m\n  berth deploy my-app --image registry.example.com/my-app:1.2.3 --dry-run\n  berth deploy my-app --image registry.example.com/my-app:1.2.4 --timings\n  berth deploy my-app --image nginx:1.27 --dry-run --show-secrets | kubectl apply -f -\n\nThe deploy waits for every process type to be ready (deploy-timeout, or --timeout), showing\neach one's ready/desired count; on failure it names the reason and what to run next.\n\nEnvironment:\n  BERTH_HOME           berth's state directory (default /var/lib/berth)\n  BERTH_LOCK_TIMEOUT   seconds to wait for a state lock another berth command holds (30)\n  NO_COLOR             no colour under --color auto\n  RUST_LOG             tracing filter for --trace (e.g. kube=debug)"
    )]
    Deploy(DeployArgs),
}

/// The deploy `args` ask for.
pub fn deploy_opts(ctx: &Ctx, args: &DeployArgs) -> Result<DeployOpts, CliError> {
    Ok(DeployOpts {
        app: existing_app(&ctx.store, &args.app)?,
        image: args.image.clone(),
        procfile: args.procfile.clone(),
        app_json: args.app_json.clone(),
        builder: args
            .builder
            .as_deref()
            .map(|b| {
                BuilderType::parse(b).ok_or_else(|| {
                    CliError::msg(format!(
                        "Invalid --builder {b:?} (valid values: {})",
                        BuilderType::NAMES.join(", ")
                    ))
                })
            })
            .transpose()?,
        timeout: args.timeout,
        wait: if args.no_wait {
            LockWait::NoWait
        } else {
            LockWait::DeployTimeout
        },
    })
}

impl Deploy {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let Deploy::Deploy(args) = self;
        let opts = deploy_opts(ctx, &args)?;
        if !args.dry_run && args.format == ManifestFormat::Json {
            // CI: the progress as JSON lines on stdout, the outcome as the last one.
            return super::json_events::run(opts.app.as_str(), "deployed", |events| {
                let timings = Timings::new(events);
                let result = deploy::deploy(ctx, &opts, &timings);
                if args.timings {
                    events.emit("timings", timings.json());
                }
                let done = result?;
                Ok(serde_json::json!({"image": done.image, "revision": done.revision}))
            });
        }
        if !args.dry_run {
            let terminal = Terminal::new(args.quiet);
            let timings = Timings::new(&terminal);
            let result = deploy::deploy(ctx, &opts, &timings);
            if args.timings {
                timings.print();
            }
            let done = result?;
            info1(format!(
                "Deployed {} ({}), revision {}",
                opts.app, done.image, done.revision
            ));
            return Ok(());
        }
        let mut manifests = deploy::dry_run(ctx, &opts, &Terminal::plain())?;
        if !args.show_secrets && manifests.iter().any(|m| matches!(m, Manifest::Secret(_))) {
            manifests.iter_mut().for_each(Manifest::redact_secrets);
            warn("Secret values are shown as <redacted>; pass --show-secrets to print them");
        }
        let text = match args.format {
            ManifestFormat::Yaml => render::to_yaml(&manifests),
            ManifestFormat::Json => render::to_json(&manifests),
        };
        print!("{text}");
        Ok(())
    }
}

/// `--timeout`: a duration as `deploy-timeout` takes it.
fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    crate::model::duration::parse_duration(s)
        .map(|(d, _)| d)
        .map_err(|e| e.0)
}
