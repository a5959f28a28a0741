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

/// One chart value override (`scheduler-k3s:charts:set <chart>.<key> <value>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartOverride {
    pub chart: &'static str,
    pub key: String,
    pub value: String,
}

/// `scheduler-k3s:charts:report [<chart>]`: the charts reported on (the catalogue, or the one
/// named) and their stored overrides, in catalogue then key order.
pub fn overrides(
    ctx: &Ctx,
    chart: Option<&str>,
) -> Result<(Vec<&'static str>, Vec<ChartOverride>)> {
    use crate::model::scheduler_k3s::{CHART_NAMES, ChartOverrides, validate_chart};
    use crate::store::{Scope, docs};
    if let Some(c) = chart {
        validate_chart(c)?;
    }
    let stored: ChartOverrides = ctx.store.read_json(&Scope::Global, docs::CHART_OVERRIDES)?;
    let selected: Vec<&'static str> = CHART_NAMES
        .iter()
        .copied()
        .filter(|c| chart.is_none_or(|s| s == *c))
        .collect();
    let entries = selected
        .iter()
        .flat_map(|c| {
            stored.get(*c).into_iter().flat_map(move |m| {
                m.iter().map(move |(k, v)| ChartOverride {
                    chart: c,
                    key: k.clone(),
                    value: v.clone(),
                })
            })
        })
        .collect();
    Ok((selected, entries))
}
