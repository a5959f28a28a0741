//! Reference §1.1: changing a global `letsencrypt-*` property immediately re-creates the cluster's
//! letsencrypt ClusterIssuers (`letsencrypt-prod` / `letsencrypt-stag`, one per global email; an
//! unset email removes its issuer). Without a kubeconfig there is no cluster yet and nothing to do:
//! `scheduler-k3s:initialize` / `ensure-charts` create them later from the same properties.

use anyhow::{Context, anyhow};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::CliError;
use super::on_cluster::block_on;
use super::output::verbose;
use crate::model::release::IngressClass;
use crate::render::cluster_issuers;
use crate::render::crds::cert_manager::ClusterIssuer;
use crate::store::Store;

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
    let kubeconfig = props.kubeconfig_path().to_owned();
    if !std::path::Path::new(&kubeconfig).exists() {
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
    let context = props.kube_context().map(str::to_owned);
    let (applied, deleted) = block_on(async move {
        let kc = Kubeconfig::read_from(&kubeconfig)
            .map_err(|e| anyhow!("cannot read kubeconfig {kubeconfig}: {e}"))?;
        let options = KubeConfigOptions {
            context,
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kc, &options)
            .await
            .map_err(|e| anyhow!("cannot use kubeconfig {kubeconfig}: {e}"))?;
        let client = kube::Client::try_from(config)?;
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
