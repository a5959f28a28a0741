//! `scheduler-k3s:ensure-charts`: install or upgrade the cluster components (ingress,
//! cert-manager, KEDA, …) through k3s's HelmChart controller.

use super::Ctx;
use super::error::Result;
use super::runtime::block_on;
pub use crate::kube::charts::EnsureOptions;
use crate::kube::charts::ensure_components;

/// Ensure the components `opts` name (all when empty) from the global settings and chart
/// overrides; each line of progress goes to `log`.
pub fn ensure_charts(
    ctx: &Ctx,
    opts: &EnsureOptions,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<()> {
    let props = ctx.store.scheduler_k3s_properties(None)?;
    let overrides = ctx.store.chart_overrides()?;
    let opts = EnsureOptions {
        vector_sinks: super::logs::vector_sinks(&ctx.store)?,
        ..opts.clone()
    };
    let opts = &opts;
    block_on(async {
        let client =
            crate::kube::client::connect_client(props.kubeconfig_path(), props.kube_context())
                .await?;
        ensure_components(
            &client,
            props.ingress_class().as_str(),
            &overrides,
            opts,
            log,
        )
        .await?;
        Ok(())
    })
}
