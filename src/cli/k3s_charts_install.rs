//! `scheduler-k3s:ensure-charts`: install or upgrade the cluster components (cert-manager,
//! Longhorn, the ingress controller, KEDA, KEDA HTTP add-on, Vector) as k3s HelmCharts.

use std::time::Duration;

use clap::Subcommand;

use super::output::info2;
use super::{CliError, Ctx};
use crate::model::duration::parse_duration;
use crate::model::scheduler_k3s::validate_chart;
use crate::ops::charts::EnsureOptions;

#[derive(Debug, Subcommand)]
pub enum K3sChartsInstall {
    /// Install missing cluster component charts and upgrade changed ones (k3s HelmCharts)
    #[command(
        name = "scheduler-k3s:ensure-charts",
        after_help = "Each chart is a k3s HelmChart in kube-system, installed by k3s's Helm controller. \
A chart whose version, values or overrides (scheduler-k3s:charts:set) changed is upgraded; \
an unchanged one is left alone unless forced.\n\n\
Examples:\n  berth scheduler-k3s:ensure-charts\n  berth scheduler-k3s:ensure-charts --charts traefik,vector --wait\n  berth scheduler-k3s:ensure-charts --force --wait --timeout 10m"
    )]
    EnsureCharts {
        /// Re-run the install of every chart, even unchanged ones
        #[arg(long)]
        force: bool,
        /// Only these charts (comma-separated), each re-installed
        #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
        charts: Vec<String>,
        /// Wait until each chart's install job has completed
        #[arg(long)]
        wait: bool,
        /// How long to wait for each chart (implies --wait; default 300s), e.g. 300s or 10m
        #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
        timeout: Option<Duration>,
    },
}

/// `--timeout` when not given: Dokku's helm timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

fn parse_timeout(s: &str) -> Result<Duration, String> {
    parse_duration(s).map(|(d, _)| d).map_err(|e| e.0)
}

impl K3sChartsInstall {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let K3sChartsInstall::EnsureCharts {
            force,
            charts,
            wait,
            timeout,
        } = self;
        let only: Vec<String> = charts
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        for name in &only {
            validate_chart(name)?;
        }
        let opts = EnsureOptions {
            force,
            only,
            wait: (wait || timeout.is_some()).then(|| timeout.unwrap_or(DEFAULT_TIMEOUT)),
            // The global log sinks: ops reads them from the store.
            vector_sinks: None,
        };
        let log = |line: &str| println!("{line}");
        crate::ops::charts::ensure_charts(ctx, &opts, &log)?;
        info2("Done");
        Ok(())
    }
}
