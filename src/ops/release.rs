//! An app's release against the cluster, the one flow end to end: store → `model::Release` →
//! `render` → `kube::deploy` (apply, prune, wait, rollback, record).

use anyhow::{Context, Result, anyhow};
use serde_json::{Map, Value, json};

use super::connect::AppCluster;
use super::release_inputs::{Overrides, release_from_store};
use super::restore;
use crate::kube::deploy::{self, DeployFailed, DeployRequest, Deployed};
use crate::kube::helm_release::HelmRelease;
use crate::kube::{history, ps};
use crate::model::release::Release;
use crate::progress::Reporter;
use crate::render::{self, Manifest, recorded, restart};
use crate::store::{Scope, ScopeLock, Secrecy};
use k8s_openapi::api::batch::v1::Job;

/// The values recorded with a revision (`helm get values`), in the shape of Dokku's chart
/// values: enough for `run`, restarts and rebuilds to find the deployed image again. No config
/// values: those live in the `config-<app>` Secret only.
pub fn release_values(r: &Release) -> Map<String, Value> {
    let processes: Map<String, Value> = r
        .processes
        .iter()
        .map(|p| {
            (
                p.proc_type.to_string(),
                json!({"process_type": p.proc_type.as_str(), "replicas": p.replicas,
                       "deployment_id": r.deployment_id}),
            )
        })
        .collect();
    let mut image = json!({"name": r.image, "type": r.builder.as_str()});
    if let Some(wd) = &r.working_dir {
        image["working_dir"] = json!(wd);
    }
    json!({
        "global": {"app_name": r.app.as_str(), "deployment_id": r.deployment_id,
                   "namespace": r.namespace, "image": image},
        "processes": processes,
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// Typed manifests as the JSON the deploy engine applies.
pub fn manifests_to_objects(manifests: &[Manifest]) -> Result<Vec<Value>> {
    manifests
        .iter()
        .map(|m| {
            serde_json::to_value(m)
                .with_context(|| format!("serialising {} {}", m.kind(), m.name()))
        })
        .collect()
}

/// The image of the deployed revision (from its values, else its first container).
pub fn deployed_image(release: &HelmRelease) -> Result<String> {
    if let Some(name) = release.config["global"]["image"]["name"].as_str() {
        return Ok(name.to_owned());
    }
    crate::kube::jobs::run_base(release).map(|b| b.image)
}

/// The deployment id of the deployed revision.
pub fn deployed_id(release: &HelmRelease) -> Option<String> {
    release.config["global"]["deployment_id"]
        .as_str()
        .map(str::to_owned)
}

/// Unix seconds, Dokku's deployment id.
pub fn new_deployment_id() -> String {
    jiff::Timestamp::now().as_second().to_string()
}

/// Deploy `release` (already rendered into `manifests`) and wait for it.
pub async fn deploy_release(
    lock: &ScopeLock<'_>,
    cluster: &AppCluster,
    release: &Release,
    manifests: &[Manifest],
    progress: &dyn Reporter,
) -> Result<Deployed> {
    let req = DeployRequest {
        app: cluster.app.to_string(),
        release: cluster.app.object_name().to_owned(),
        action: "Deploying",
        namespace: cluster.namespace.clone(),
        objects: manifests_to_objects(manifests)?,
        values: recorded_values(lock, release)?,
        chart_version: format!("0.0.{}", release.deployment_id),
        timeout: cluster.deploy_timeout(),
        rollback_on_failure: cluster.props.rollback_on_failure(),
        server: cluster.server.clone(),
    };
    deploy_recorded(lock, cluster, req, progress).await
}

/// [`release_values`] plus the app-scope config keys, so a rollback to this revision can put
/// the app's config back in the store ([`restore`](super::restore)).
fn recorded_values(lock: &ScopeLock<'_>, release: &Release) -> Result<Map<String, Value>> {
    let mut values = release_values(release);
    let keys: Vec<String> = lock
        .store()
        .env(&release.app, false)
        .map_err(|e| anyhow!(e.to_string()))?
        .into_keys()
        .collect();
    if let Some(global) = values.get_mut("global").and_then(Value::as_object_mut) {
        global.insert(restore::CONFIG_KEYS.to_owned(), json!(keys));
    }
    Ok(values)
}

/// Deploy `req`; when the deploy failed and rollback-on-failure rolled it back, the store's
/// config and scale are put back to the rolled-back revision's too, and the message says so.
/// Dokku's `apps:lock`: no deploy, restart or rollback while the app is locked.
pub fn refuse_if_deploy_locked(
    store: &crate::store::Store,
    app: &crate::model::AppName,
) -> Result<()> {
    if store.deploy_locked(app)? {
        return Err(anyhow::anyhow!(
            "{app} currently has a deploy lock in place. Exiting... (run 'berth apps:unlock {app}' to release the existing deploy lock)"
        ));
    }
    Ok(())
}

async fn deploy_recorded(
    lock: &ScopeLock<'_>,
    cluster: &AppCluster,
    mut req: DeployRequest,
    progress: &dyn Reporter,
) -> Result<Deployed> {
    refuse_if_deploy_locked(lock.store(), &cluster.app)?;
    // Heroku's postdeploy runs once, after the app's first successful rollout: drop it when the
    // app already ran it or is deployed; record it as soon as it has been started (as Dokku does,
    // so a failed one never runs twice).
    let once: Vec<String> = req
        .objects
        .iter()
        .filter(|o| is_first_rollout_task(o))
        .map(|o| recorded::head(o).name().to_owned())
        .collect();
    if !once.is_empty() {
        let ran = lock
            .store()
            .property(
                &Scope::App(cluster.app.clone()),
                "app-json",
                HEROKU_POSTDEPLOY,
            )
            .map_err(|e| anyhow!(e.to_string()))?
            .as_deref()
            == Some("executed");
        if ran || is_deployed(cluster).await? {
            req.objects.retain(|o| !is_first_rollout_task(o));
        }
    }
    let result = deploy::deploy(&cluster.client, req, progress).await;
    let started = match &result {
        Ok(done) => done.tasks.clone(),
        Err(e) => e
            .downcast_ref::<DeployFailed>()
            .map(|f| f.tasks.clone())
            .unwrap_or_default(),
    };
    if started.iter().any(|t| once.contains(t)) {
        lock.set_property(
            "app-json",
            HEROKU_POSTDEPLOY,
            Some("executed"),
            Secrecy::Public,
        )
        .map_err(|e| anyhow!(e.to_string()))?;
    }
    let err = match result {
        Ok(done) => return Ok(done),
        Err(err) => err,
    };
    let Some(failed) = err.downcast_ref::<DeployFailed>() else {
        return Err(err);
    };
    let Some(revision) = failed.rolled_back else {
        return Err(err);
    };
    let told = match restore_store(lock, cluster, revision).await {
        Ok(sentence) => sentence,
        Err(e) => format!(
            "the stored config and scale could not be restored: {}",
            crate::kube::errors::with_hint(&e)
        ),
    };
    Err(DeployFailed {
        message: format!("{}; {told}", failed.message),
        hint: failed.hint.clone(),
        revision: failed.revision,
        rolled_back: failed.rolled_back,
        tasks: failed.tasks.clone(),
    }
    .into())
}

/// Dokku's property recording that Heroku's `scripts.postdeploy` was started.
const HEROKU_POSTDEPLOY: &str = "heroku.postdeploy";

fn is_first_rollout_task(o: &Value) -> bool {
    let head = recorded::head(o);
    head.is::<Job>() && head.annotation(crate::render::TASK_RUNS) == Some("after-first-rollout")
}

/// Put revision `revision`'s recorded config and scale back in the store.
pub async fn restore_store(
    lock: &ScopeLock<'_>,
    cluster: &AppCluster,
    revision: u32,
) -> Result<String> {
    let past = history::list(
        &cluster.client,
        &cluster.namespace,
        cluster.app.object_name(),
    )
    .await?;
    let record = past
        .iter()
        .find(|r| r.version == revision)
        .ok_or_else(|| anyhow!("revision {revision} of {} is gone", cluster.app))?;
    let recorded = restore::recorded(record)?;
    restore::restore(lock, revision, &recorded)
}

/// How a redeploy of the current image treats pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeploy {
    /// Re-render with the deployed id: only changed objects roll (a settings change).
    Keep,
    /// As `Keep`, for `ps:scale`.
    Scale,
    /// As `Keep`, for `ps:start`.
    Start,
    /// New deployment id: every pod is replaced (`ps:rebuild`).
    Rebuild,
    /// Keep the id, stamp the pod template of one process type (all when `None`) so only those
    /// pods are replaced (`ps:restart [process]`).
    Restart(Option<String>),
}

impl Redeploy {
    /// What the step line says is happening.
    pub fn action(&self) -> &'static str {
        match self {
            Redeploy::Keep => "Updating",
            Redeploy::Scale => "Scaling",
            Redeploy::Start => "Starting",
            Redeploy::Rebuild => "Rebuilding",
            Redeploy::Restart(_) => "Restarting",
        }
    }
}

/// Re-render the app from the store with its deployed image and deploy that. Errors when the
/// app has never been deployed.
pub async fn redeploy(
    lock: &ScopeLock<'_>,
    cluster: &AppCluster,
    mode: Redeploy,
    progress: &dyn Reporter,
) -> Result<Deployed> {
    let store = lock.store();
    let current = ps::deployed_release(
        &cluster.client,
        &cluster.namespace,
        cluster.app.object_name(),
    )
    .await?;
    let (release, objects) = redeploy_objects(store, cluster, &current, &mode)?;
    let req = DeployRequest {
        app: cluster.app.to_string(),
        release: cluster.app.object_name().to_owned(),
        action: mode.action(),
        namespace: cluster.namespace.clone(),
        objects,
        values: recorded_values(lock, &release)?,
        chart_version: format!("0.0.{}", release.deployment_id),
        timeout: cluster.deploy_timeout(),
        rollback_on_failure: cluster.props.rollback_on_failure(),
        server: cluster.server.clone(),
    };
    deploy_recorded(lock, cluster, req, progress).await
}

/// What a redeploy of the deployed revision `current` in `mode` applies: the release rendered
/// from the store with the deployed image (and, but for a rebuild, the deployed id and restart
/// stamps), without release-task Jobs. `scheduler-k3s:preview` compares exactly this.
pub fn redeploy_objects(
    store: &crate::store::Store,
    cluster: &AppCluster,
    current: &HelmRelease,
    mode: &Redeploy,
) -> Result<(Release, Vec<Value>)> {
    let image = deployed_image(current)?;
    let deployment_id = match (mode, deployed_id(current)) {
        (Redeploy::Rebuild, _) | (_, None) => new_deployment_id(),
        (_, Some(id)) => id,
    };
    let release = release_for(store, cluster, &image, deployment_id)?;
    // Release tasks ran when the image was deployed; a restart or scale does not re-run them.
    let mut objects = recorded_objects(&release)?;
    if *mode != Redeploy::Rebuild {
        // The deployed release's restart stamps are not in the store: keep them, or a scale
        // would replace every pod an earlier restart already replaced.
        let deployed = crate::kube::helm_release::manifest_objects(&current.manifest)
            .map_err(|e| anyhow!(e))?;
        objects = restart::keep_restart_stamps(objects, &deployed)?;
    }
    if let Redeploy::Restart(process) = mode {
        objects = restart::with_restart(
            objects,
            process.as_deref(),
            &jiff::Timestamp::now().to_string(),
        )?;
    }
    Ok((release, objects))
}

/// Dokku's advisory check: an app whose TLS comes from a named issuer (`cert-issuer-name`)
/// that the cluster lacks gets no certificate, though its deploy succeeds. Never fails.
pub async fn warn_missing_issuer(cluster: &AppCluster, release: &Release, r: &dyn Reporter) {
    let crate::model::release::Tls::Issued { kind, name } = &release.tls else {
        return;
    };
    if cluster.props.cert_issuer_name() != Some(name.as_str()) {
        return;
    }
    match crate::kube::cluster_objects::issuer_exists(
        &cluster.client,
        *kind,
        name,
        &cluster.namespace,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => r.warn(&match kind {
            crate::model::release::CertIssuerKind::Issuer => format!(
                "Issuer {name} not found in namespace {}, certificates will not be issued for {}",
                cluster.namespace, cluster.app
            ),
            crate::model::release::CertIssuerKind::ClusterIssuer => format!(
                "ClusterIssuer {name} not found, certificates will not be issued for {}",
                cluster.app
            ),
        }),
        Err(e) => tracing::debug!("skipping the cert issuer check for {}: {e:#}", cluster.app),
    }
}

/// The release a deploy of `image` renders from the store, with deployment id `id`, for the
/// cluster `cluster` (which decides the KEDA HTTP add-on objects).
pub fn release_for(
    store: &crate::store::Store,
    cluster: &AppCluster,
    image: &str,
    id: String,
) -> Result<Release> {
    let mut release = release_from_store(
        store,
        &cluster.app,
        image,
        Overrides {
            deployment_id: id,
            ..Overrides::default()
        },
    )
    // One line, not a chain that repeats its cause.
    .map_err(|e| anyhow!(e.to_string()))?;
    release.http_addon = cluster.http_addon;
    Ok(release)
}

/// The objects a revision of `release` records: release-task Jobs run once and are not part
/// of it.
pub fn recorded_objects(release: &Release) -> Result<Vec<Value>> {
    let mut manifests = render::render(release);
    manifests.retain(|m| !matches!(m, Manifest::Job(_)));
    manifests_to_objects(&manifests)
}

/// True when the app has a deployed revision in its namespace.
pub async fn is_deployed(cluster: &AppCluster) -> Result<bool> {
    let past = history::list(
        &cluster.client,
        &cluster.namespace,
        cluster.app.object_name(),
    )
    .await?;
    Ok(history::deployed(&past).is_some())
}

/// Remove everything the app has in the cluster: its objects, every Job (runs, cron runs,
/// release tasks) and the release records; waits until they are gone.
pub async fn destroy(cluster: &AppCluster, progress: &dyn Reporter) -> Result<Vec<String>> {
    let app = cluster.app.object_name();
    let ns = &cluster.namespace;
    let timeout = cluster.deploy_timeout();
    let mut removed =
        crate::kube::run::delete_app_jobs(&cluster.client, ns, app, timeout, progress).await?;
    let objects = deploy::uninstall(&cluster.client, ns, app, timeout, progress).await?;
    removed.extend(objects.iter().map(ToString::to_string));
    Ok(removed)
}

/// The deployed image of `cluster.app`, `None` when it has no deployed revision.
pub async fn deployed_image_of(cluster: &AppCluster) -> Result<Option<String>> {
    let past = history::list(
        &cluster.client,
        &cluster.namespace,
        cluster.app.object_name(),
    )
    .await?;
    history::deployed(&past).map(deployed_image).transpose()
}

/// Deploy `image` for `app` from the store with a new deployment id (rename, clone on request).
pub async fn deploy_image(
    lock: &ScopeLock<'_>,
    cluster: &AppCluster,
    image: &str,
    progress: &dyn Reporter,
) -> Result<Deployed> {
    let release = release_for(lock.store(), cluster, image, new_deployment_id())?;
    let manifests = render::render(&release);
    deploy_release(lock, cluster, &release, &manifests, progress).await
}
