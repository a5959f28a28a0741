//! `deploy`: render an app's release. With `--dry-run` it prints every object (touching no cluster
//! and no state), ready for `kubectl apply -f -`.

use clap::{Args, Subcommand};

use super::args::existing_app;
use super::output::warn;
use super::{CliError, Ctx};
use crate::model::app_json::AppJson;
use crate::model::procfile::Procfile;
use crate::model::properties::validate_image_reference;
use crate::ops::release_inputs::{Overrides, release_from_store};
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
    /// Print the manifests instead of applying them
    #[arg(long)]
    pub dry_run: bool,
    /// Manifest output format for --dry-run
    #[arg(long, value_enum, default_value_t)]
    pub format: ManifestFormat,
    /// Print Secret values instead of `<redacted>` in --dry-run output
    #[arg(long)]
    pub show_secrets: bool,
    /// Fail at once if another deploy of the app is running instead of waiting for it
    #[arg(long)]
    pub no_wait: bool,
    /// Plain progress lines instead of live ones
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Deploy {
    /// Deploy an image (with --dry-run: print the Kubernetes objects it would create)
    #[command(
        name = "deploy",
        after_help = "Examples:\n  berth deploy my-app --image registry.example.com/my-app:1.2.3 --dry-run\n  berth deploy my-app --image nginx:1.27 --procfile Procfile --app-json app.json --dry-run --show-secrets | kubectl apply -f -"
    )]
    Deploy(DeployArgs),
}

fn read_file(path: &std::path::Path, what: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::msg(format!("cannot read {what} {}: {e}", path.display())))
}

/// Unix seconds, Dokku's deployment id.
fn now_deployment_id() -> String {
    jiff::Timestamp::now().as_second().to_string()
}

/// Render the manifests of `args` from the store and the given files.
pub fn render_manifests(ctx: &Ctx, args: &DeployArgs) -> Result<Vec<Manifest>, CliError> {
    Ok(render::render(&build_release(ctx, args)?))
}

/// The release `args` describe, from the store and the given files.
pub fn build_release(
    ctx: &Ctx,
    args: &DeployArgs,
) -> Result<crate::model::release::Release, CliError> {
    let app = existing_app(&ctx.store, &args.app)?;
    let image = validate_image_reference(&args.image)
        .map_err(|e| CliError::msg(format!("invalid image {:?}: {e}", args.image)))?;
    let procfile = match &args.procfile {
        Some(p) => Some(
            Procfile::parse(&read_file(p, "Procfile")?)
                .map_err(|e| CliError::msg(format!("{}: {e}", p.display())))?,
        ),
        None => None,
    };
    let app_json = match &args.app_json {
        Some(p) => Some(
            AppJson::parse(&read_file(p, "app.json")?)
                .map_err(|e| CliError::msg(format!("{}: {e}", p.display())))?,
        ),
        None => None,
    };
    let release = release_from_store(
        &ctx.store,
        &app,
        &image,
        Overrides {
            procfile,
            app_json,
            deployment_id: now_deployment_id(),
        },
    )
    .map_err(CliError::msg)?;
    for w in &release.warnings {
        warn(w);
    }
    Ok(release)
}

impl Deploy {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let Deploy::Deploy(args) = self;
        if !args.dry_run {
            return super::deploy_cluster::deploy(ctx, &args);
        }
        let mut manifests = render_manifests(ctx, &args)?;
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
