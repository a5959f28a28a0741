//! App operations against the cluster, the one flow end to end: store → `model::Release` →
//! `render` → `kube::deploy` (apply, prune, wait, rollback, record). CLI handlers call one
//! function here; everything that talks to the cluster on behalf of an app goes through it.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use kube::Client;
use serde_json::{Map, Value, json};

use crate::kube::deploy::{self, DeployRequest, Deployed};
use crate::kube::helm_release::HelmRelease;
use crate::kube::{history, ps};
use crate::model::AppName;
use crate::model::properties::ResolvedProperties;
use crate::model::release::Release;
use crate::progress::Reporter;
use crate::release_inputs::{Overrides, release_from_store};
use crate::render::{self, Manifest};
use crate::store::Store;

/// A connected client plus where the app lives.
pub struct AppCluster {
    pub client: Client,
    pub app: AppName,
    pub namespace: String,
    pub props: ResolvedProperties,
}

impl AppCluster {
    pub fn deploy_timeout(&self) -> Duration {
        self.props.deploy_timeout()
    }
}

/// Connect to the cluster `app` uses (global `kubeconfig-path` / `kube-context`, the app's
/// `namespace`). Fails with one line naming the kubeconfig or server and the property to change.
pub async fn connect(store: &Store, app: &AppName) -> Result<AppCluster> {
    let props = store.scheduler_k3s_properties(Some(app))?;
    let client = connect_client(props.kubeconfig_path(), props.kube_context()).await?;
    Ok(AppCluster {
        client,
        app: app.clone(),
        namespace: props.namespace().to_owned(),
        props,
    })
}

/// A client for `kubeconfig` (+ `context`), checked with one request so an unreachable server is
/// reported here, naming the server and the properties to change.
pub async fn connect_client(kubeconfig: &str, context: Option<&str>) -> Result<Client> {
    connect_client_with_retry(kubeconfig, context, true).await
}

/// [`connect_client`], choosing whether kube's built-in retry of 429/503/504 answers is on. Off
/// where berth handles 429 itself (evictions blocked by a PodDisruptionBudget answer 429 and
/// must be retried within the drain's own deadline).
pub async fn connect_client_with_retry(
    kubeconfig: &str,
    context: Option<&str>,
    default_retry: bool,
) -> Result<Client> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    const FIX: &str =
        "berth scheduler-k3s:set --global kubeconfig-path <file> / kube-context <name>";
    if !std::path::Path::new(kubeconfig).exists() {
        return Err(anyhow!(
            "kubeconfig {kubeconfig} does not exist: install k3s (scheduler-k3s:initialize) or point berth at a cluster with: {FIX}"
        ));
    }
    let kc = Kubeconfig::read_from(kubeconfig)
        .map_err(|e| anyhow!("cannot read kubeconfig {kubeconfig}: {e} (change it with: {FIX})"))?;
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| {
            anyhow!("kubeconfig {kubeconfig} is not usable: {e} (change it with: {FIX})")
        })?;
    let mut config = config;
    config.default_retry = default_retry;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .map_err(|e| anyhow!("kubeconfig {kubeconfig} is not usable: {e}"))?;
    match tokio::time::timeout(Duration::from_secs(10), client.apiserver_version()).await {
        Ok(Ok(_)) => Ok(client),
        Ok(Err(e)) => Err(anyhow!(
            "Kubernetes API server {} (from {kubeconfig}) is not reachable: {}; start the cluster or change it with: {FIX}",
            server.trim_end_matches('/'),
            crate::kube::errors::causes(&e)
        )),
        Err(_) => Err(anyhow!(
            "Kubernetes API server {} (from {kubeconfig}) did not answer within 10s; start the cluster or change it with: {FIX}",
            server.trim_end_matches('/')
        )),
    }
}

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
    crate::kube::jobs::RunBase::from_release(release).map(|b| b.image)
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
    cluster: &AppCluster,
    release: &Release,
    manifests: &[Manifest],
    progress: &dyn Reporter,
) -> Result<Deployed> {
    let req = DeployRequest {
        app: cluster.app.to_string(),
        namespace: cluster.namespace.clone(),
        objects: manifests_to_objects(manifests)?,
        values: release_values(release),
        chart_version: format!("0.0.{}", release.deployment_id),
        timeout: cluster.deploy_timeout(),
        rollback_on_failure: cluster.props.rollback_on_failure(),
    };
    deploy::deploy(&cluster.client, req, progress).await
}

/// How a redeploy of the current image treats pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeploy {
    /// Re-render with the deployed id: only changed objects roll (scale, start).
    Keep,
    /// New deployment id: every pod is replaced (`ps:rebuild`).
    Rebuild,
    /// Keep the id, stamp the pod template of one process type (all when `None`) so only those
    /// pods are replaced (`ps:restart [process]`).
    Restart(Option<String>),
}

/// Re-render the app from the store with its deployed image and deploy that. Errors when the
/// app has never been deployed.
pub async fn redeploy(
    store: &Store,
    cluster: &AppCluster,
    mode: Redeploy,
    progress: &dyn Reporter,
) -> Result<Deployed> {
    let current =
        ps::deployed_release(&cluster.client, &cluster.namespace, cluster.app.as_str()).await?;
    let image = deployed_image(&current)?;
    let deployment_id = match (&mode, deployed_id(&current)) {
        (Redeploy::Rebuild, _) | (_, None) => new_deployment_id(),
        (_, Some(id)) => id,
    };
    let release = release_from_store(
        store,
        &cluster.app,
        &image,
        Overrides {
            deployment_id,
            ..Overrides::default()
        },
    )
    .map_err(|e| anyhow!(e))?;
    let mut manifests = render::render(&release);
    // Release tasks ran when the image was deployed; a restart or scale does not re-run them.
    manifests.retain(|m| !matches!(m, Manifest::Job(_)));
    let mut objects = manifests_to_objects(&manifests)?;
    if mode != Redeploy::Rebuild {
        // The deployed release's restart stamps are not in the store: keep them, or a scale
        // would replace every pod an earlier restart already replaced.
        let deployed = crate::kube::helm_release::manifest_objects(&current.manifest)
            .map_err(|e| anyhow!(e))?;
        objects = ps::keep_restart_stamps(objects, &deployed);
    }
    if let Redeploy::Restart(process) = &mode {
        objects = ps::with_restart(
            objects,
            process.as_deref(),
            &jiff::Timestamp::now().to_string(),
        )?;
    }
    let req = DeployRequest {
        app: cluster.app.to_string(),
        namespace: cluster.namespace.clone(),
        objects,
        values: release_values(&release),
        chart_version: format!("0.0.{}", release.deployment_id),
        timeout: cluster.deploy_timeout(),
        rollback_on_failure: cluster.props.rollback_on_failure(),
    };
    deploy::deploy(&cluster.client, req, progress).await
}

/// True when the app has a deployed revision in its namespace.
pub async fn is_deployed(cluster: &AppCluster) -> Result<bool> {
    let past = history::list(&cluster.client, &cluster.namespace, cluster.app.as_str()).await?;
    Ok(history::deployed(&past).is_some())
}

/// Remove everything the app has in the cluster: its objects, every Job (runs, cron runs,
/// release tasks) and the release records; waits until they are gone.
pub async fn destroy(cluster: &AppCluster, progress: &dyn Reporter) -> Result<Vec<String>> {
    let app = cluster.app.as_str();
    let ns = &cluster.namespace;
    let timeout = cluster.deploy_timeout();
    let mut removed =
        crate::kube::run::delete_app_jobs(&cluster.client, ns, app, timeout, progress).await?;
    let objects = deploy::uninstall(&cluster.client, ns, app, timeout, progress).await?;
    removed.extend(objects.iter().map(ToString::to_string));
    Ok(removed)
}

/// Connect when a kubeconfig is configured; `None` when the kubeconfig file does not exist (no
/// cluster set up yet: state-only commands go on). A kubeconfig that exists but whose server is
/// unreachable is an error, so the caller can leave its state unchanged.
pub async fn connect_if_configured(store: &Store, app: &AppName) -> Result<Option<AppCluster>> {
    let props = store.scheduler_k3s_properties(Some(app))?;
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(None);
    }
    connect(store, app).await.map(Some)
}

/// The deployed image of `cluster.app`, `None` when it has no deployed revision.
pub async fn deployed_image_of(cluster: &AppCluster) -> Result<Option<String>> {
    let past = history::list(&cluster.client, &cluster.namespace, cluster.app.as_str()).await?;
    history::deployed(&past).map(deployed_image).transpose()
}

/// Deploy `image` for `app` from the store with a new deployment id (rename, clone on request).
pub async fn deploy_image(
    store: &Store,
    cluster: &AppCluster,
    image: &str,
    progress: &dyn Reporter,
) -> Result<Deployed> {
    let release = release_from_store(
        store,
        &cluster.app,
        image,
        Overrides {
            deployment_id: new_deployment_id(),
            ..Overrides::default()
        },
    )
    .map_err(|e| anyhow!(e))?;
    let manifests = render::render(&release);
    deploy_release(cluster, &release, &manifests, progress).await
}
