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
use crate::model::app_json::{AppJson, EnvPlan, plan_env};
use crate::model::env::EnvMap;
use crate::model::procfile::Procfile;
use crate::model::properties::validate_image_reference;
use crate::model::release::Release;
use crate::progress::{Reporter, timed};
use crate::render::{self, Manifest};
use crate::store::{Scope, ScopeLock, Secrecy, docs};

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
    /// `--builder`: how the image was built, for this deploy (else `builder:set`, else
    /// dockerfile).
    pub builder: Option<crate::model::release::BuilderType>,
    /// `--timeout`: the rollout deadline for this deploy instead of `deploy-timeout`.
    pub timeout: Option<std::time::Duration>,
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
    builder: Option<crate::model::release::BuilderType>,
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
        builder: opts.builder,
        procfile,
        app_json,
    })
}

/// The property recording that an app's app.json `env` was applied once (Dokku's name).
const ENV_PROCESSED: &str = "appjson-env-processed";
const APP_JSON_PLUGIN: &str = "app-json";

/// What app.json `env` sets on this deploy (Dokku's rule: every key without a value on the first
/// deploy, `sync` keys on later ones); a required key with no value refuses the deploy here,
/// before anything is applied. With `generate` false (a dry run) secrets are placeholders.
/// `None` when the app.json has no `env`.
fn app_json_env(
    ctx: &Ctx,
    app: &AppName,
    given: &Given,
    generate: bool,
) -> Result<Option<EnvPlan>> {
    let app_json = match &given.app_json {
        Some((a, _)) => a.clone(),
        None => match ctx.store.app_json_text(app)? {
            Some(t) => AppJson::parse(&t)?,
            None => return Ok(None),
        },
    };
    if app_json.env.is_empty() {
        return Ok(None);
    }
    let current = ctx.store.env(app, true)?;
    let first = ctx
        .store
        .property(&Scope::App(app.clone()), APP_JSON_PLUGIN, ENV_PROCESSED)?
        .as_deref()
        != Some("executed");
    let mut secret = || {
        if generate {
            hex::encode(rand::random::<[u8; 32]>())
        } else {
            "<generated on deploy>".to_owned()
        }
    };
    plan_env(&app_json.env, &current, first, &mut secret)
        .map(Some)
        .map_err(|e| crate::model::InvalidValue::new(e.to_string()).into())
}

/// The release of `given` for `app` from the store; its warnings go to `r`.
fn build(
    ctx: &Ctx,
    app: &AppName,
    given: Given,
    extra_env: std::collections::BTreeMap<String, String>,
    r: &dyn Reporter,
) -> Result<Plan> {
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
            extra_env,
            builder: given.builder,
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
    let env = app_json_env(ctx, &opts.app, &given, false)?.unwrap_or_default();
    build(ctx, &opts.app, given, env.set, r)
}

/// `deploy --dry-run`: every object the deploy would apply.
pub fn dry_run(ctx: &Ctx, opts: &DeployOpts, r: &dyn Reporter) -> Result<Vec<Manifest>> {
    Ok(render::render(&plan(ctx, opts, r)?.release))
}

/// Store what app.json `env` sets (like any config: 0600, only the keys shown) and record that
/// the app's env was processed, so later deploys only redo `sync` keys.
fn apply_app_json_env(lock: &ScopeLock<'_>, env: &EnvPlan, r: &dyn Reporter) -> Result<()> {
    if !env.set.is_empty() {
        lock.update_json(docs::CONFIG, |config: &mut EnvMap| {
            config.extend(env.set.clone());
            Ok::<_, crate::store::StoreError>(())
        })?;
        let keys: Vec<&str> = env.set.keys().map(String::as_str).collect();
        r.info(&format!(
            "Setting {} env var(s) from app.json: {}",
            keys.len(),
            keys.join(", ")
        ));
    }
    lock.set_property(
        APP_JSON_PLUGIN,
        ENV_PROCESSED,
        Some("executed"),
        Secrecy::Public,
    )?;
    Ok(())
}

/// `deploy`: render from the store, apply, prune, wait, record (rolling back on failure when
/// `rollback-on-failure` is set). The app lock is held throughout, so a second deploy of the
/// app waits (or fails at once with `LockWait::NoWait`).
pub fn deploy(ctx: &Ctx, opts: &DeployOpts, r: &dyn Reporter) -> Result<Deployed> {
    ctx.store.require_app(&opts.app)?;
    let given = given(opts)?;
    // The stored inputs are read under the lock: a concurrent config change lands before or after.
    let locked = std::time::Instant::now();
    let lock = lock_app(ctx, &opts.app, opts.wait)?;
    r.timing("lock", locked.elapsed());
    let built = std::time::Instant::now();
    super::release::refuse_if_deploy_locked(&ctx.store, &opts.app)?;
    if let Some(env) = app_json_env(ctx, &opts.app, &given, true)? {
        apply_app_json_env(&lock, &env, r)?;
    }
    let mut plan = build(ctx, &opts.app, given, Default::default(), r)?;
    r.timing("build release", built.elapsed());
    let done = block_on(async {
        let mut cluster = timed(r, "connect", connect(&ctx.store, &opts.app)).await?;
        cluster.timeout_override = opts.timeout;
        // What the cluster serves decides some objects, as Helm capabilities do for Dokku.
        plan.release.http_addon = cluster.http_addon;
        super::release::warn_missing_issuer(&cluster, &plan.release, r).await;
        let rendered = std::time::Instant::now();
        let manifests = render::render(&plan.release);
        r.timing("render", rendered.elapsed());
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
    // The scale that runs becomes the app's (Dokku keeps the app.json formation of a deploy as
    // its scale), so ps:scale / ps:report show it and a later deploy without app.json keeps it.
    let deployed_scale: crate::model::resources::Scale = plan
        .release
        .processes
        .iter()
        .map(|p| (p.proc_type.clone(), p.replicas))
        .collect();
    lock.write_json(docs::SCALE, &deployed_scale)?;
    // Dokku's `apps:report --app-deploy-source(-metadata)` after `git:from-image`.
    for (name, value) in [
        ("deploy-source", "docker-image"),
        ("deploy-source-metadata", plan.release.image.as_str()),
    ] {
        lock.set_property("apps", name, Some(value), crate::store::Secrecy::Public)?;
    }
    Ok(Deployed {
        image: plan.release.image.clone(),
        revision: done.revision,
    })
}
