//! Where an app's cluster is: the connected client, the app's namespace and its resolved
//! scheduler-k3s properties.

use std::time::Duration;

use anyhow::Result;
use kube::Client;

use crate::model::AppName;
use crate::model::properties::ResolvedProperties;
use crate::store::Store;

/// A connected client plus where the app lives.
pub struct AppCluster {
    pub client: Client,
    /// The API server's URL (named when it does not answer).
    pub server: String,
    /// The cluster serves the KEDA HTTP add-on (`http` triggers get an HTTPScaledObject).
    pub http_addon: bool,
    pub app: AppName,
    pub namespace: String,
    pub props: ResolvedProperties,
    /// `deploy --timeout`: this command's deadline instead of `deploy-timeout`.
    pub timeout_override: Option<Duration>,
}

impl AppCluster {
    pub fn deploy_timeout(&self) -> Duration {
        self.timeout_override
            .unwrap_or_else(|| self.props.deploy_timeout())
    }
}

/// Connect to the cluster `app` uses (global `kubeconfig-path` / `kube-context`, the app's
/// `namespace`). Fails with one line naming the kubeconfig or server and the property to change.
pub async fn connect(store: &Store, app: &AppName) -> Result<AppCluster> {
    let props = store.scheduler_k3s_properties(Some(app))?;
    let (client, server) =
        crate::kube::client::connect_client_at(props.kubeconfig_path(), props.kube_context())
            .await?;
    let http_addon =
        crate::kube::client::serves(&client, "http.keda.sh/v1alpha1", "HTTPScaledObject").await;
    Ok(AppCluster {
        client,
        server,
        http_addon,
        app: app.clone(),
        namespace: props.namespace().to_owned(),
        props,
        timeout_override: None,
    })
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
