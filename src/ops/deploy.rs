//! `deploy`: the one flow. [`plan`] reads the store and the given files into a typed release
//! (all that `--dry-run` needs); [`deploy`] then applies it under the app lock, waits, records
//! the revision, and makes the deployed Procfile / app.json the app's.

use std::path::{Path, PathBuf};

use super::Ctx;
use super::connect::connect;
use super::error::{Error, Result};
use super::lock::{LockWait, lock_app};
use super::release::{deploy_release, new_deployment_id};
use super::release_inputs::{Overrides, PROCFILE, release_from_store};
use super::runtime::block_on;
use crate::model::AppName;
use crate::model::app_json::AppJson;
use crate::model::procfile::Procfile;
use crate::model::properties::validate_image_reference;
use crate::model::release::Release;
use crate::progress::Reporter;
use crate::render::{self, Manifest};
use crate::store::docs;

/// What to deploy.
#[derive(Debug, Clone)]
pub struct DeployOpts {
    pub app: AppName,
    /// The image reference as given (validated by [`plan`]).
    pub image: String,
    /// `--procfile`: used instead of the stored one, and stored once deployed.
    pub procfile: Option<PathBuf>,
    /// `--app-json`: used instead of the stored one, and stored once deployed.
    pub app_json: Option<PathBuf>,
    /// How long to wait for another deploy of the app.
    pub wait: LockWait,
}

/// A release ready to render or deploy, with the file texts it was built from.
#[derive(Debug, Clone)]
pub struct Plan {
    pub release: Release,
    procfile_text: Option<String>,
    app_json_text: Option<String>,
}

/// What a deploy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub image: String,
    pub revision: u32,
}

fn read_file(path: &Path, kind: crate::input::FileKind) -> Result<String> {
    Ok(crate::input::read_text(path, kind)?)
}

/// The command-line inputs of a deploy, read and checked.
struct Given {
    image: String,
    procfile: Option<(Procfile, String)>,
    app_json: Option<(AppJson, String)>,
}

/// Check the image and read the given files, before any lock is taken.
fn given(opts: &DeployOpts) -> Result<Given> {
    let image = validate_image_reference(&opts.image).map_err(|e| Error::Image {
        image: opts.image.clone(),
        reason: e.to_string(),
    })?;
    let bad = |path: &Path, message: String| Error::BadFile {
        path: path.to_owned(),
        message,
    };
    let procfile = match &opts.procfile {
        Some(p) => {
            let text = read_file(p, crate::input::PROCFILE)?;
            Some((
                Procfile::parse(&text).map_err(|e| bad(p, e.to_string()))?,
                text,
            ))
        }
        None => None,
    };
    let app_json = match &opts.app_json {
        Some(p) => {
            let text = read_file(p, crate::input::APP_JSON)?;
            Some((
                AppJson::parse(&text).map_err(|e| bad(p, e.to_string()))?,
                text,
            ))
        }
        None => None,
    };
    Ok(Given {
        image,
        procfile,
        app_json,
    })
}

/// The release of `given` for `app` from the store; its warnings go to `r`.
fn build(ctx: &Ctx, app: &AppName, given: Given, r: &dyn Reporter) -> Result<Plan> {
    let (procfile, procfile_text) = given.procfile.unzip();
    let (app_json, app_json_text) = given.app_json.unzip();
    let release = release_from_store(
        &ctx.store,
        app,
        &given.image,
        Overrides {
            procfile,
            app_json,
            deployment_id: new_deployment_id(),
        },
    )?;
    for w in &release.warnings {
        r.warn(w);
    }
    Ok(Plan {
        release,
        procfile_text,
        app_json_text,
    })
}

/// Read and check everything a deploy of `opts` needs, touching nothing. The release's warnings
/// go to `r`.
pub fn plan(ctx: &Ctx, opts: &DeployOpts, r: &dyn Reporter) -> Result<Plan> {
    ctx.store.require_app(&opts.app)?;
    let given = given(opts)?;
    build(ctx, &opts.app, given, r)
}

/// `deploy --dry-run`: every object the deploy would apply.
pub fn dry_run(ctx: &Ctx, opts: &DeployOpts, r: &dyn Reporter) -> Result<Vec<Manifest>> {
    Ok(render::render(&plan(ctx, opts, r)?.release))
}

/// `deploy`: render from the store, apply, prune, wait, record (rolling back on failure when
/// `rollback-on-failure` is set). The app lock is held throughout, so a second deploy of the
/// app waits (or fails at once with `LockWait::NoWait`).
pub fn deploy(ctx: &Ctx, opts: &DeployOpts, r: &dyn Reporter) -> Result<Deployed> {
    ctx.store.require_app(&opts.app)?;
    let given = given(opts)?;
    // The stored inputs are read under the lock: a concurrent config change lands before or after.
    let lock = lock_app(ctx, &opts.app, opts.wait)?;
    let plan = build(ctx, &opts.app, given, r)?;
    let manifests = render::render(&plan.release);
    let done = block_on(async {
        let cluster = connect(&ctx.store, &opts.app).await?;
        deploy_release(&lock, &cluster, &plan.release, &manifests, r).await
    })?;
    // The Procfile / app.json this revision was deployed with become the app's, so restarts,
    // scaling and rebuilds render the same processes.
    if let Some(text) = &plan.procfile_text {
        lock.write_text(PROCFILE, text)?;
    }
    if let Some(text) = &plan.app_json_text {
        lock.write_text(docs::APP_JSON, text)?;
    }
    Ok(Deployed {
        image: plan.release.image.clone(),
        revision: done.revision,
    })
}
