//! Release history in the cluster: read and write Helm v3 release records (one Secret per
//! revision, see [`super::helm_release`]) so berth and `helm` see the same history.

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};

use super::errors::{describe, is_not_found};
use super::helm_release::{self, HelmRelease, Status};

/// Revisions Helm (and Dokku, through its SDK) keeps per release.
pub const MAX_HISTORY: usize = 10;

fn secrets(client: &Client, ns: &str) -> Api<Secret> {
    Api::namespaced(client.clone(), ns)
}

/// Every revision of `release` in `ns`, oldest first. Unreadable records are an error naming
/// the Secret.
pub async fn list(client: &Client, ns: &str, release: &str) -> Result<Vec<HelmRelease>> {
    let list = secrets(client, ns)
        .list(&ListParams::default().labels(&helm_release::release_selector(release)))
        .await
        .map_err(describe)
        .with_context(|| format!("reading the release history of {release} in namespace {ns}"))?;
    let mut out = list
        .items
        .iter()
        .filter(|s| s.type_.as_deref() == Some(helm_release::SECRET_TYPE))
        .map(helm_release::from_secret)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|r| r.version);
    Ok(out)
}

/// The newest revision whose status is `deployed`.
pub fn deployed(history: &[HelmRelease]) -> Option<&HelmRelease> {
    history
        .iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed)
}

/// The revision `scheduler-k3s:rollback` without a revision goes back to: the newest revision
/// before the latest one that once ran successfully (`deployed` or `superseded`). After a failed
/// deploy that is the release that last served, not the one before it. `None` when there is none.
pub fn rollback_target(history: &[HelmRelease]) -> Option<u32> {
    let latest = history.iter().map(|r| r.version).max()?;
    history
        .iter()
        .rev()
        .filter(|r| r.version < latest)
        .find(|r| matches!(r.info.status, Status::Deployed | Status::Superseded))
        .map(|r| r.version)
}

/// Write a new revision (its Secret must not exist yet).
pub async fn create(client: &Client, release: &HelmRelease) -> Result<()> {
    let secret = helm_release::to_secret(release, jiff::Timestamp::now().as_second());
    secrets(client, &release.namespace)
        .create(&PostParams::default(), &secret)
        .await
        .map_err(describe)
        .with_context(|| {
            format!(
                "recording revision {} of {} (another deploy of this app may be running)",
                release.version, release.name
            )
        })?;
    Ok(())
}

/// Rewrite an existing revision (status change), the way Helm's driver updates a record.
pub async fn update(client: &Client, release: &HelmRelease) -> Result<()> {
    // Secret `data` is base64 on the wire; the stored bytes are Helm's base64(gzip(JSON)) text.
    let patch = serde_json::json!({
        "metadata": {"labels": {
            "status": release.info.status.as_str(),
            "modifiedAt": jiff::Timestamp::now().as_second().to_string(),
        }},
        "data": {"release": base64_wire(&helm_release::encode(release))},
    });
    secrets(client, &release.namespace)
        .patch(
            &helm_release::secret_name(&release.name, release.version),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .map_err(describe)
        .with_context(|| format!("updating revision {} of {}", release.version, release.name))?;
    Ok(())
}

fn base64_wire(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Set `status` on revision `release` and write it.
pub async fn set_status(
    client: &Client,
    release: &mut HelmRelease,
    status: Status,
    description: &str,
) -> Result<()> {
    release.info.status = status;
    release.info.description = description.to_owned();
    update(client, release).await
}

/// Keep at most [`MAX_HISTORY`] revisions: delete the oldest ones that are not deployed.
pub async fn trim(client: &Client, ns: &str, release: &str) -> Result<()> {
    let history = list(client, ns, release).await?;
    if history.len() <= MAX_HISTORY {
        return Ok(());
    }
    let excess = history.len() - MAX_HISTORY;
    for old in history
        .iter()
        .filter(|r| r.info.status != Status::Deployed)
        .take(excess)
    {
        delete_revision(client, ns, release, old.version).await?;
    }
    Ok(())
}

async fn delete_revision(client: &Client, ns: &str, release: &str, version: u32) -> Result<()> {
    match secrets(client, ns)
        .delete(
            &helm_release::secret_name(release, version),
            &DeleteParams::default(),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(describe(e)),
    }
}

/// Delete every revision of `release` (uninstall / destroy).
pub async fn delete_all(client: &Client, ns: &str, release: &str) -> Result<()> {
    for rev in list(client, ns, release).await? {
        delete_revision(client, ns, release, rev.version).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(statuses: &[Status]) -> Vec<HelmRelease> {
        statuses
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut r = helm_release::tests::sample();
                r.version = u32::try_from(i).unwrap() + 1;
                r.info.status = *s;
                r
            })
            .collect()
    }

    #[test]
    fn rollback_goes_to_the_release_that_last_served() {
        use Status::*;
        // Normal: the one before the deployed latest.
        assert_eq!(rollback_target(&history(&[Superseded, Deployed])), Some(1));
        // After a failed deploy: the deployed revision it left in charge (not the one before).
        assert_eq!(rollback_target(&history(&[Deployed, Failed])), Some(1));
        assert_eq!(
            rollback_target(&history(&[Superseded, Deployed, Failed])),
            Some(2)
        );
        // Failed revisions are skipped.
        assert_eq!(
            rollback_target(&history(&[Superseded, Failed, Deployed])),
            Some(1)
        );
        assert_eq!(rollback_target(&history(&[Deployed])), None);
        assert_eq!(rollback_target(&[]), None);
    }
}
