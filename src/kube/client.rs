//! The one client constructor: a kube client from a kubeconfig file (+ context), checked with one
//! request so an unreachable or unusable cluster is reported at connect time, naming the file,
//! the server and the properties that change them.

use std::time::Duration;

use anyhow::{Result, anyhow};
use kube::Client;

/// A client for `kubeconfig` (+ `context`), checked with one request so an unreachable server is
/// reported here, naming the server and the properties to change.
pub async fn connect_client(kubeconfig: &str, context: Option<&str>) -> Result<Client> {
    connect_client_with_retry(kubeconfig, context, true).await
}

/// [`connect_client`], also returning the API server's URL (for messages that must name it).
pub async fn connect_client_at(
    kubeconfig: &str,
    context: Option<&str>,
) -> Result<(Client, String)> {
    connect_checked(kubeconfig, context, true).await
}

/// [`connect_client`], choosing whether kube's built-in retry of 429/503/504 answers is on. Off
/// where berth handles 429 itself (evictions blocked by a PodDisruptionBudget answer 429 and
/// must be retried within the drain's own deadline).
pub async fn connect_client_with_retry(
    kubeconfig: &str,
    context: Option<&str>,
    default_retry: bool,
) -> Result<Client> {
    Ok(connect_checked(kubeconfig, context, default_retry).await?.0)
}

async fn connect_checked(
    kubeconfig: &str,
    context: Option<&str>,
    default_retry: bool,
) -> Result<(Client, String)> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    const FIX: &str =
        "berth scheduler-k3s:set --global kubeconfig-path <file> / kube-context <name>";
    if !std::path::Path::new(kubeconfig).exists() {
        return Err(anyhow!(
            "kubeconfig {kubeconfig} does not exist: install k3s (scheduler-k3s:initialize) or point berth at a cluster with: {FIX}"
        ));
    }
    let text = crate::input::read_text(std::path::Path::new(kubeconfig), crate::input::KUBECONFIG)
        .map_err(|e| anyhow!("{e} (change it with: {FIX})"))?;
    let kc = Kubeconfig::from_yaml(&text)
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
        Ok(Ok(_)) => Ok((client, server.trim_end_matches('/').to_owned())),
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

/// Whether the cluster serves `kind` in `group_version` (e.g. the KEDA HTTP add-on's
/// `http.keda.sh/v1alpha1` `HTTPScaledObject`): Dokku renders such objects only when it does.
pub async fn serves(client: &Client, group_version: &str, kind: &str) -> bool {
    match client.list_api_group_resources(group_version).await {
        Ok(list) => list.resources.iter().any(|r| r.kind == kind),
        Err(_) => false,
    }
}

/// Context names of a kubeconfig file; a file that is not a kubeconfig is an error naming it.
pub fn kubeconfig_contexts(path: &str) -> Result<Vec<String>, String> {
    let text = crate::input::read_text(std::path::Path::new(path), crate::input::KUBECONFIG)
        .map_err(|e| e.to_string())?;
    let kc = kube::config::Kubeconfig::from_yaml(&text).map_err(|e| {
        let e = e.to_string();
        format!(
            "not a kubeconfig ({})",
            e.lines().next().unwrap_or_default()
        )
    })?;
    Ok(kc.contexts.into_iter().map(|c| c.name).collect())
}
