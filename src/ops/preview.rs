//! `scheduler-k3s:preview`: what the next deploy would change against the live release. The
//! next deploy is the app re-rendered from the store with its deployed image and deployment id
//! (what `ps:rebuild` or a redeploy of the same image applies), so a clean state shows nothing;
//! an app never deployed shows every object as added.

use super::Ctx;
use super::connect::connect;
use super::error::{Error, Result};
use super::release::{
    Redeploy, new_deployment_id, recorded_objects, redeploy_objects, release_for,
};
use super::runtime::block_on;
use crate::kube::{helm_release, history};
use crate::model::AppName;
use crate::model::preview::{ObjectDiff, SecretView, compare};
use crate::progress::Reporter;
use crate::render;

/// What to preview.
#[derive(Debug, Clone)]
pub struct PreviewOpts {
    pub app: AppName,
    pub secrets: SecretView,
    /// `--image`: preview `deploy --image IMAGE` instead of a redeploy of the deployed image.
    pub image: Option<String>,
}

/// The changes the next deploy would make.
#[derive(Debug, Clone)]
pub struct Preview {
    pub app: AppName,
    pub namespace: String,
    /// The live (deployed) revision compared against; `None` when the app was never deployed.
    pub revision: Option<u32>,
    pub objects: Vec<ObjectDiff>,
}

/// The image a never-deployed app is previewed with when `--image` is not given.
const NEXT_IMAGE: &str = "IMAGE-OF-THE-NEXT-DEPLOY";

/// Compare the live release of `opts.app` with what its next deploy applies. Touches nothing.
pub fn preview(ctx: &Ctx, opts: &PreviewOpts, r: &dyn Reporter) -> Result<Preview> {
    ctx.store.require_app(&opts.app)?;
    let image = match &opts.image {
        Some(given) => Some(
            crate::model::properties::validate_image_reference(given).map_err(|e| {
                Error::Image {
                    image: given.clone(),
                    reason: e.to_string(),
                }
            })?,
        ),
        None => None,
    };
    block_on(async {
        let cluster = connect(&ctx.store, &opts.app).await?;
        let past = history::list(
            &cluster.client,
            &cluster.namespace,
            cluster.app.object_name(),
        )
        .await?;
        let live = history::deployed(&past);
        let (release, current, proposed) = match (live, &image) {
            (Some(live), Some(image)) => {
                // A new image keeps the deployed id here, so only what the image and the
                // settings change shows (a deploy also stamps a new id on every pod template).
                let id = super::release::deployed_id(live).unwrap_or_else(new_deployment_id);
                let release = release_for(&ctx.store, &cluster, image, id)?;
                let current = helm_release::manifest_objects(&live.manifest)
                    .map_err(|e| anyhow::anyhow!(e))?;
                let proposed = recorded_objects(&release)?;
                (release, current, proposed)
            }
            (Some(live), None) => {
                let (release, proposed) =
                    redeploy_objects(&ctx.store, &cluster, live, &Redeploy::Keep)?;
                let current = helm_release::manifest_objects(&live.manifest)
                    .map_err(|e| anyhow::anyhow!(e))?;
                (release, current, proposed)
            }
            (None, image) => {
                let image = image.as_deref().unwrap_or(NEXT_IMAGE);
                let release = release_for(&ctx.store, &cluster, image, new_deployment_id())?;
                (release.clone(), Vec::new(), recorded_objects(&release)?)
            }
        };
        // Recorded objects carry Helm's ownership marks, as the deploy applies them.
        let mut proposed = proposed;
        for obj in &mut proposed {
            render::meta::mark_helm_owned(obj, cluster.app.object_name(), &cluster.namespace);
        }
        super::release::warn_missing_issuer(&cluster, &release, r).await;
        Ok(Preview {
            app: opts.app.clone(),
            namespace: cluster.namespace.clone(),
            revision: live.map(|l| l.version),
            objects: compare(&current, &proposed, &cluster.namespace, opts.secrets),
        })
    })
    .map_err(|e: Error| e)
}
