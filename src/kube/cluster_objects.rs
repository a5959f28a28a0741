//! Cluster-wide objects kept in step with `--global` settings: the letsencrypt ClusterIssuers
//! and KEDA ClusterTriggerAuthentications (with their Secrets).

use anyhow::{Context, Result, anyhow};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::{Client, ResourceExt};

use super::apply::{FIELD_MANAGER, ensure_namespace};
use crate::crds::cert_manager::ClusterIssuer;
use crate::crds::keda::ClusterTriggerAuthentication;

/// Apply `wanted` and delete those of `known` that are not wanted and that berth (or Dokku)
/// created (`dokku.com/managed: "true"`). Returns the names applied and the names deleted.
pub async fn sync_cluster_issuers(
    client: &Client,
    wanted: &[ClusterIssuer],
    known: &[&str],
) -> Result<(Vec<String>, Vec<String>)> {
    let api: Api<ClusterIssuer> = Api::all(client.clone());
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut applied = Vec::new();
    for issuer in wanted {
        let name = issuer.name_any();
        api.patch(&name, &params, &Patch::Apply(issuer))
            .await
            .with_context(|| {
                format!(
                    "applying ClusterIssuer {name} (is cert-manager installed? \
                     scheduler-k3s:ensure-charts installs it)"
                )
            })?;
        applied.push(name);
    }
    let mut deleted = Vec::new();
    for name in known {
        if applied.iter().any(|a| a == name) {
            continue;
        }
        let ours = api
            .get_opt(name)
            .await
            .with_context(|| format!("reading ClusterIssuer {name}"))?
            .is_some_and(|i| {
                i.annotations()
                    .get("dokku.com/managed")
                    .is_some_and(|v| v == "true")
            });
        if ours {
            api.delete(name, &DeleteParams::default())
                .await
                .with_context(|| format!("deleting ClusterIssuer {name}"))?;
            deleted.push((*name).to_owned());
        }
    }
    Ok((applied, deleted))
}

/// Apply the trigger authentication `auth` and its Secret (creating the Secret's namespace).
pub async fn apply_trigger_auth(
    client: &Client,
    secret: &Secret,
    auth: &ClusterTriggerAuthentication,
) -> Result<()> {
    let ns = secret_namespace(secret);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    // KEDA's namespace exists once KEDA is installed; create it so the Secret has a home.
    ensure_namespace(client, &ns).await?;
    let secret_name = secret.name_any();
    Api::<Secret>::namespaced(client.clone(), &ns)
        .patch(&secret_name, &params, &Patch::Apply(secret))
        .await
        .with_context(|| format!("applying Secret {ns}/{secret_name}"))?;
    let auth_name = auth.name_any();
    Api::<ClusterTriggerAuthentication>::all(client.clone())
        .patch(&auth_name, &params, &Patch::Apply(auth))
        .await
        .with_context(|| {
            format!(
                "applying ClusterTriggerAuthentication {auth_name} (is KEDA installed? \
                 scheduler-k3s:ensure-charts installs it)"
            )
        })?;
    Ok(())
}

/// Delete the trigger authentication `auth` and its Secret (missing ones are fine).
pub async fn remove_trigger_auth(
    client: &Client,
    secret: &Secret,
    auth: &ClusterTriggerAuthentication,
) -> Result<()> {
    let ns = secret_namespace(secret);
    let auths: Api<ClusterTriggerAuthentication> = Api::all(client.clone());
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    for r in [
        auths
            .delete(&auth.name_any(), &DeleteParams::default())
            .await
            .map(|_| ()),
        secrets
            .delete(&secret.name_any(), &DeleteParams::default())
            .await
            .map(|_| ()),
    ] {
        match r {
            Ok(()) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(anyhow!(e)),
        }
    }
    Ok(())
}

/// KEDA reads ClusterTriggerAuthentication Secrets from its own namespace.
fn secret_namespace(secret: &Secret) -> String {
    secret
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "keda".to_owned())
}

/// Whether the cert-manager issuer `name` exists: a ClusterIssuer, or an Issuer in `ns`. A
/// cluster without cert-manager's CRDs has none.
pub async fn issuer_exists(
    client: &Client,
    kind: crate::model::release::CertIssuerKind,
    name: &str,
    ns: &str,
) -> Result<bool> {
    use crate::crds::cert_manager::Issuer;
    use crate::model::release::CertIssuerKind;
    let found = match kind {
        CertIssuerKind::ClusterIssuer => Api::<ClusterIssuer>::all(client.clone())
            .get_opt(name)
            .await
            .map(|i| i.is_some()),
        CertIssuerKind::Issuer => Api::<Issuer>::namespaced(client.clone(), ns)
            .get_opt(name)
            .await
            .map(|i| i.is_some()),
    };
    match found {
        Ok(found) => Ok(found),
        Err(e) if super::errors::is_not_found(&e) => Ok(false),
        Err(e) => Err(super::errors::describe(e)),
    }
}
