//! Cluster-wide objects kept in step with `--global` settings, as the original does at once:
//! - reference §1.1: a global `letsencrypt-*` change re-creates the letsencrypt ClusterIssuers
//!   (`letsencrypt-prod` / `letsencrypt-stag`, one per global email; an unset email removes its
//!   issuer);
//! - reference §1.6/§5.8: `autoscaling-auth:set --global <trigger>` creates the
//!   ClusterTriggerAuthentication `<trigger>` and its Secret in namespace `keda`; no metadata
//!   removes them.
//!
//! Without a kubeconfig there is no cluster yet and nothing is contacted (`scheduler-k3s:initialize`
//! / `ensure-charts` create these later from the same stored settings).

use std::collections::BTreeMap;

use anyhow::anyhow;
use kube::ResourceExt;

use super::error::Result;
use super::runtime::block_on;
use crate::model::properties::ResolvedProperties;
use crate::render::cluster_issuers;
use crate::store::Store;

/// A client from the global kubeconfig-path / kube-context (`None`: no kubeconfig file), checked
/// with one request like every other cluster command's.
async fn global_client(props: &ResolvedProperties) -> anyhow::Result<Option<kube::Client>> {
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(None);
    }
    crate::kube::client::connect_client(props.kubeconfig_path(), props.kube_context())
        .await
        .map(Some)
}

/// The global properties whose change re-creates the ClusterIssuers.
pub const LETSENCRYPT_PROPERTIES: [&str; 3] = [
    "letsencrypt-email-prod",
    "letsencrypt-email-stag",
    "letsencrypt-server",
];

const ISSUER_NAMES: [&str; 2] = ["letsencrypt-prod", "letsencrypt-stag"];

/// Apply the ClusterIssuers the global properties call for and delete berth's issuers whose email
/// is no longer set. Nothing is done when no kubeconfig exists. Returns what changed, a line each.
pub fn sync_cluster_issuers(store: &Store) -> Result<Vec<String>> {
    let props = store.scheduler_k3s_properties(None)?;
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(Vec::new());
    }
    let class = props.ingress_class();
    let wanted = cluster_issuers(
        props.letsencrypt_email_prod(),
        props.letsencrypt_email_stag(),
        class,
    );
    let (applied, deleted) = block_on(async move {
        let Some(client) = global_client(&props).await? else {
            return Ok((Vec::new(), Vec::new()));
        };
        crate::kube::cluster_objects::sync_cluster_issuers(&client, &wanted, &ISSUER_NAMES).await
    })
    .map_err(|e| {
        let e = e.with_hint();
        anyhow!(
            "the letsencrypt property is saved, but the cluster's ClusterIssuers were not updated: {e} (re-run the same scheduler-k3s:set command once the cluster answers to apply them)"
        )
    })?;
    let mut done: Vec<String> = applied
        .iter()
        .map(|name| format!("ClusterIssuer {name} applied"))
        .collect();
    done.extend(
        deleted
            .iter()
            .map(|name| format!("ClusterIssuer {name} removed")),
    );
    Ok(done)
}

/// Apply (metadata present) or remove (empty) the cluster-wide trigger authentication `trigger`.
/// Nothing is done when no kubeconfig exists. Returns what changed, a line each.
pub fn sync_cluster_trigger_auth(
    store: &Store,
    trigger: &str,
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<String>> {
    let props = store.scheduler_k3s_properties(None)?;
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(Vec::new());
    }
    let (secret, auth) = crate::render::cluster_trigger_authentications(trigger, metadata);
    let remove = metadata.is_empty();
    let auth_name = auth.name_any();
    let auth_label = auth_name.clone();
    let verb = if remove { "removed" } else { "applied" };
    let done = block_on(async move {
        let Some(client) = global_client(&props).await? else {
            return Ok(Vec::new());
        };
        if remove {
            crate::kube::cluster_objects::remove_trigger_auth(&client, &secret, &auth)
                .await
                .map_err(|e| e.context(format!("removing trigger authentication {trigger}")))?;
            return Ok(vec![format!(
                "ClusterTriggerAuthentication {auth_name} removed"
            )]);
        }
        crate::kube::cluster_objects::apply_trigger_auth(&client, &secret, &auth).await?;
        Ok(vec![format!(
            "ClusterTriggerAuthentication {auth_name} applied"
        )])
    })
    .map_err(|e| {
        let e = e.with_hint();
        anyhow!(
            "the global autoscaling-auth settings for {trigger} are saved, but ClusterTriggerAuthentication {auth_label} was not {verb}: {e} (re-run the same scheduler-k3s:autoscaling-auth:set command once the cluster answers to apply it)"
        )
    })?;
    Ok(done)
}
