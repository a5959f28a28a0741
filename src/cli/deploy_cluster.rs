//! `deploy` without `--dry-run`: the one flow against the cluster, under the app lock.

use super::args::existing_app;
use super::deploy::{DeployArgs, build_release};
use super::on_cluster::{LockWait, block_on, connect, lock_app};
use super::output::info1;
use super::{CliError, Ctx};
use crate::ops::release as app_ops;
use crate::ops::release_inputs::PROCFILE;
use crate::render;
use crate::store::docs;

/// Deploy `args.image`: render from the store, apply, prune, wait, record (rolling back on
/// failure when `rollback-on-failure` is set). The app lock is held throughout, so a second
/// deploy of the app waits (or fails at once with `--no-wait`).
pub fn deploy(ctx: &Ctx, args: &DeployArgs) -> Result<(), CliError> {
    let app = existing_app(&ctx.store, &args.app)?;
    let wait = if args.no_wait {
        LockWait::NoWait
    } else {
        LockWait::DeployTimeout
    };
    let lock = lock_app(ctx, &app, wait)?;
    let release = build_release(ctx, args)?;
    let manifests = render::render(&release);
    let progress = super::terminal::Terminal::new(args.quiet);
    let done = block_on(async {
        let cluster = connect(ctx, &app).await?;
        app_ops::deploy_release(&cluster, &release, &manifests, &progress).await
    })?;
    // The Procfile / app.json this revision was deployed with become the app's, so restarts,
    // scaling and rebuilds render the same processes.
    if let Some(p) = &args.procfile {
        let text = std::fs::read_to_string(p)?;
        lock.write_text(PROCFILE, &text)?;
    }
    if let Some(p) = &args.app_json {
        let text = std::fs::read_to_string(p)?;
        lock.write_text(docs::APP_JSON, &text)?;
    }
    info1(format!(
        "Deployed {app} ({}), revision {}",
        release.image, done.revision
    ));
    Ok(())
}
