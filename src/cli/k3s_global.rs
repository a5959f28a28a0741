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

use anyhow::{Context, anyhow};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams};

use super::CliError;
use super::on_cluster::block_on;
use super::output::verbose;
use crate::model::properties::ResolvedProperties;
use crate::model::release::IngressClass;
use crate::render::cluster_issuers;
use crate::render::crds::cert_manager::ClusterIssuer;
use crate::render::crds::keda::ClusterTriggerAuthentication;
use crate::store::Store;

/// A client from the global kubeconfig-path / kube-context (`None`: no kubeconfig file), checked
/// with one request like every other cluster command's.
async fn global_client(props: &ResolvedProperties) -> anyhow::Result<Option<kube::Client>> {
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(None);
    }
    crate::app_ops::connect_client(props.kubeconfig_path(), props.kube_context())
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
/// is no longer set. Returns without doing anything when no kubeconfig exists.
pub fn sync_cluster_issuers(store: &Store) -> Result<(), CliError> {
    let props = store.scheduler_k3s_properties(None)?;
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(());
    }
    let class = if props.ingress_class() == "traefik" {
        IngressClass::Traefik
    } else {
        IngressClass::Nginx
    };
    let wanted = cluster_issuers(
        props.letsencrypt_email_prod(),
        props.letsencrypt_email_stag(),
        class,
    );
    let (applied, deleted) = block_on(async move {
        let Some(client) = global_client(&props).await? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let api: Api<ClusterIssuer> = Api::all(client);
        let params = PatchParams::apply("berth").force();
        let mut applied = Vec::new();
        for issuer in &wanted {
            let name = issuer.name_any();
            api.patch(&name, &params, &Patch::Apply(issuer))
                .await
                .with_context(|| format!("applying ClusterIssuer {name} (is cert-manager installed? scheduler-k3s:ensure-charts installs it)"))?;
            applied.push(name);
        }
        let mut deleted = Vec::new();
        for name in ISSUER_NAMES {
            if applied.iter().any(|a| a == name) {
                continue;
            }
            // Only issuers berth (or Dokku) created are removed.
            let ours = api
                .get_opt(name)
                .await
                .with_context(|| format!("reading ClusterIssuer {name}"))?
                .is_some_and(|i| i.annotations().get("dokku.com/managed").is_some_and(|v| v == "true"));
            if ours {
                api.delete(name, &DeleteParams::default())
                    .await
                    .with_context(|| format!("deleting ClusterIssuer {name}"))?;
                deleted.push(name.to_owned());
            }
        }
        Ok((applied, deleted))
    })
    .map_err(|e| CliError::msg(format!("property saved, but updating the cluster's letsencrypt issuers failed: {}", e.message)))?;
    for name in applied {
        verbose(format!("ClusterIssuer {name} applied"));
    }
    for name in deleted {
        verbose(format!("ClusterIssuer {name} removed"));
    }
    Ok(())
}

/// Apply (metadata present) or remove (empty) the cluster-wide trigger authentication `trigger`.
pub fn sync_cluster_trigger_auth(
    store: &Store,
    trigger: &str,
    metadata: &BTreeMap<String, String>,
) -> Result<(), CliError> {
    let props = store.scheduler_k3s_properties(None)?;
    if !std::path::Path::new(props.kubeconfig_path()).exists() {
        return Ok(());
    }
    let (secret, auth) = crate::render::cluster_trigger_authentications(trigger, metadata);
    let remove = metadata.is_empty();
    let done = block_on(async move {
        let Some(client) = global_client(&props).await? else {
            return Ok(String::new());
        };
        // KEDA reads ClusterTriggerAuthentication Secrets from its own namespace.
        let ns = secret.metadata.namespace.clone().unwrap_or_else(|| "keda".to_owned());
        let ns = ns.as_str();
        let auths: Api<ClusterTriggerAuthentication> = Api::all(client.clone());
        let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
        let (auth_name, secret_name) = (auth.name_any(), secret.name_any());
        if remove {
            for r in [
                auths.delete(&auth_name, &DeleteParams::default()).await.map(|_| ()),
                secrets.delete(&secret_name, &DeleteParams::default()).await.map(|_| ()),
            ] {
                match r {
                    Ok(()) => {}
                    Err(kube::Error::Api(e)) if e.code == 404 => {}
                    Err(e) => return Err(anyhow!(e).context(format!("removing trigger authentication {trigger}"))),
                }
            }
            return Ok(format!("ClusterTriggerAuthentication {auth_name} removed"));
        }
        let params = PatchParams::apply("berth").force();
        // KEDA's namespace exists once KEDA is installed; create it so the Secret has a home.
        let namespaces: Api<Namespace> = Api::all(client.clone());
        if namespaces.get_opt(ns).await?.is_none() {
            let namespace = Namespace {
                metadata: kube::api::ObjectMeta { name: Some(ns.to_owned()), ..Default::default() },
                ..Namespace::default()
            };
            namespaces.patch(ns, &params, &Patch::Apply(&namespace)).await
                .with_context(|| format!("creating namespace {ns}"))?;
        }
        secrets
            .patch(&secret_name, &params, &Patch::Apply(&secret))
            .await
            .with_context(|| format!("applying Secret {ns}/{secret_name}"))?;
        auths
            .patch(&auth_name, &params, &Patch::Apply(&auth))
            .await
            .with_context(|| format!("applying ClusterTriggerAuthentication {auth_name} (is KEDA installed? scheduler-k3s:ensure-charts installs it)"))?;
        Ok(format!("ClusterTriggerAuthentication {auth_name} applied"))
    })
    .map_err(|e| CliError::msg(format!("settings saved, but updating the cluster's trigger authentication failed: {}", e.message)))?;
    if !done.is_empty() {
        verbose(done);
    }
    Ok(())
}
