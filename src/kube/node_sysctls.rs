//! Keep the node sysctl DaemonSets what the stored scopes say: apply the wanted ones
//! (server-side, berth's field manager) and delete the managed ones no scope wants any more
//! (an emptied scope, a removed profile). Values a removed DaemonSet wrote stay on the nodes
//! until they reboot, as in Dokku.

use anyhow::{Context, Result};
use k8s_openapi::api::apps::v1::DaemonSet;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt};

use super::apply::FIELD_MANAGER;
use super::errors::describe;
use crate::render::meta::DOKKU_MANAGED;
use crate::render::node_sysctls::NODE_SYSCTLS_NAMESPACE;

/// What a sync did: the DaemonSets applied and those deleted, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synced {
    pub applied: Vec<String>,
    pub deleted: Vec<String>,
}

/// Apply `wanted` and delete every other node sysctl DaemonSet berth or Dokku manages.
pub async fn sync(client: &Client, wanted: &[DaemonSet]) -> Result<Synced> {
    let api: Api<DaemonSet> = Api::namespaced(client.clone(), NODE_SYSCTLS_NAMESPACE);
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut done = Synced::default();
    for ds in wanted {
        let name = ds.name_any();
        api.patch(&name, &params, &Patch::Apply(ds))
            .await
            .map_err(describe)
            .with_context(|| format!("applying DaemonSet {NODE_SYSCTLS_NAMESPACE}/{name}"))?;
        done.applied.push(name);
    }
    let existing = api
        .list(&ListParams::default().labels(&crate::render::selectors::node_sysctls()))
        .await
        .map_err(describe)
        .context("listing the node sysctl DaemonSets")?;
    for ds in existing.items {
        let name = ds.name_any();
        let managed = ds
            .annotations()
            .get(DOKKU_MANAGED)
            .is_some_and(|v| v == "true");
        if !managed || !name.starts_with("dokku-node-sysctls-") || done.applied.contains(&name) {
            continue;
        }
        match api.delete(&name, &DeleteParams::background()).await {
            Ok(_) => done.deleted.push(name),
            Err(e) if super::errors::is_not_found(&e) => {}
            Err(e) => {
                return Err(describe(e)).with_context(|| {
                    format!("deleting DaemonSet {NODE_SYSCTLS_NAMESPACE}/{name}")
                });
            }
        }
    }
    Ok(done)
}
