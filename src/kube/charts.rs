//! Put the cluster components ([`crate::render::components`]) on the cluster (reference §4.2): for each
//! chart, in order, create its namespace, compare the HelmChart on the cluster with the wanted
//! one, server-side apply it when it differs (or when forced), and optionally watch its
//! `helm-install-<release>` Job until k3s's Helm controller has installed it.
//!
//! Unlike the original, a chart whose version, values or overrides changed is upgraded (the
//! original only logged a version mismatch).

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use futures::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use kube::api::{DeleteParams, Patch, PatchParams};
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};

use crate::crds::helm::{HelmChart, ValuesSecret};
use crate::model::chart_hooks::{self, PreUpgrade};
use crate::model::scheduler_k3s::{ChartOverrides, validate_chart};
use crate::render::components::{
    COMPONENT_CHARTS, COMPONENT_NAMESPACE, ComponentChart, helm_chart, ingress_mismatch,
};
use crate::render::vector_sinks::{
    VECTOR_SINKS_SECRET, VectorSinks, overlay_key, sinks_secret, sinks_values,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;

/// Field manager of berth's server-side applies.
use crate::kube::apply::FIELD_MANAGER;
use crate::kube::watch::{self, Either, Live};

/// What [`ensure_components`] does beyond installing missing and changed charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnsureOptions {
    /// Re-run every chart's install job even when nothing changed (`--force`).
    pub force: bool,
    /// Only these charts (catalogue release names), each re-run like `force`; empty = all.
    pub only: Vec<String>,
    /// Watch each chart's install job until it completes, up to this long per chart.
    pub wait: Option<Duration>,
    /// The global log sinks for the vector chart; `None`: the base values' console sink.
    pub vector_sinks: Option<VectorSinks>,
}

/// What happened to one chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentOutcome {
    /// The HelmChart did not exist and was created.
    Installed { release: String, version: String },
    /// The HelmChart changed (version, values, overrides) or was forced; `from == to` when only
    /// the values changed.
    Upgraded {
        release: String,
        from: String,
        to: String,
    },
    /// Already as wanted; nothing applied.
    Unchanged { release: String, version: String },
    /// The ingress chart the cluster's `ingress-class` does not use.
    SkippedIngressMismatch { release: String },
}

/// Install or upgrade the cluster components: every catalogue chart (or `opts.only`), in order,
/// as HelmCharts in `kube-system`. Logs Dokku-style lines (`=====> `, `-----> `, 7-space
/// verbose) through `log`.
pub async fn ensure_components(
    client: &Client,
    ingress_class: &str,
    overrides: &ChartOverrides,
    opts: &EnsureOptions,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<Vec<ComponentOutcome>> {
    ensure_components_in(
        client,
        COMPONENT_NAMESPACE,
        ingress_class,
        overrides,
        opts,
        log,
    )
    .await
}

/// [`ensure_components`] with the HelmChart objects (and their install Jobs) in
/// `chart_namespace` instead of `kube-system`: lets tests that share one cluster stay apart.
/// k3s's Helm controller only acts on HelmCharts in `kube-system`.
pub async fn ensure_components_in(
    client: &Client,
    chart_namespace: &str,
    ingress_class: &str,
    overrides: &ChartOverrides,
    opts: &EnsureOptions,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<Vec<ComponentOutcome>> {
    for name in &opts.only {
        validate_chart(name)?;
    }
    let charts: Vec<&ComponentChart> = COMPONENT_CHARTS
        .iter()
        .filter(|c| opts.only.is_empty() || opts.only.iter().any(|o| o == c.release))
        .collect();
    log("=====> Installing helm charts");
    let mut outcomes = Vec::new();
    for chart in charts {
        outcomes.push(
            ensure_one(
                client,
                chart_namespace,
                chart,
                ingress_class,
                overrides,
                opts,
                log,
            )
            .await?,
        );
    }
    Ok(outcomes)
}

/// Why a chart is (or is not) applied; each maps to one of the original's log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    IngressMismatch,
    Forced,
    Listed,
    Missing,
    VersionMismatch { installed: String },
    ValuesChanged,
    Unchanged,
}

impl Decision {
    fn message(&self, wanted: &str) -> String {
        match self {
            Decision::IngressMismatch => "Skipping chart due to ingress-class mismatch".into(),
            Decision::Forced => "Force installing chart".into(),
            Decision::Listed => "Force installing chart due to flag".into(),
            Decision::Missing => "Installing missing chart".into(),
            Decision::VersionMismatch { installed } => {
                format!("Upgrading chart due to version mismatch: {installed} != {wanted}")
            }
            Decision::ValuesChanged => "Upgrading chart: values or overrides changed".into(),
            Decision::Unchanged => "Skipping chart: already installed".into(),
        }
    }
}

/// The original's order of checks (reference §4.2, after the ingress-class one), with changes
/// upgrading.
fn decide(
    existing: Option<&HelmChart>,
    wanted: &HelmChart,
    forced: bool,
    listed: bool,
) -> Decision {
    if forced {
        return Decision::Forced;
    }
    if listed {
        return Decision::Listed;
    }
    match existing {
        None => Decision::Missing,
        Some(e) if e.spec.version != wanted.spec.version => Decision::VersionMismatch {
            installed: e.spec.version.clone(),
        },
        Some(e) if e.spec != wanted.spec => Decision::ValuesChanged,
        Some(_) => Decision::Unchanged,
    }
}

async fn ensure_one(
    client: &Client,
    chart_namespace: &str,
    chart: &ComponentChart,
    ingress_class: &str,
    overrides: &ChartOverrides,
    opts: &EnsureOptions,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<ComponentOutcome> {
    let release = chart.release;
    log(&format!(
        "-----> Processing chart {release}@{}",
        chart.version
    ));
    if ingress_mismatch(release, ingress_class) {
        log(&format!(
            "       {}",
            Decision::IngressMismatch.message(chart.version)
        ));
        return Ok(ComponentOutcome::SkippedIngressMismatch {
            release: release.to_owned(),
        });
    }

    crate::kube::apply::ensure_namespace(client, chart.namespace).await?;

    let mut wanted = helm_chart(chart, overrides);
    wanted.metadata.namespace = Some(chart_namespace.to_owned());
    if release == "vector"
        && let Some(sinks) = &opts.vector_sinks
    {
        let (values_content, overlay) =
            sinks_values(&wanted.spec.values_content, sinks).map_err(|e| anyhow!(e))?;
        wanted.spec.values_content = values_content;
        let key = apply_sinks_secret(client, chart_namespace, &overlay).await?;
        wanted.spec.values_secrets = vec![ValuesSecret {
            name: VECTOR_SINKS_SECRET.to_owned(),
            keys: vec![key],
        }];
    }
    let charts: Api<HelmChart> = Api::namespaced(client.clone(), chart_namespace);
    let jobs: Api<Job> = Api::namespaced(client.clone(), chart_namespace);
    let job_name = install_job_name(release);
    let existing = charts
        .get_opt(release)
        .await
        .with_context(|| format!("reading HelmChart {chart_namespace}/{release}"))?;
    let listed = opts.only.iter().any(|o| o == release);
    let decision = decide(existing.as_ref(), &wanted, opts.force, listed);
    log(&format!("       {}", decision.message(chart.version)));

    let outcome = match (&decision, &existing) {
        (Decision::Unchanged, _) => ComponentOutcome::Unchanged {
            release: release.to_owned(),
            version: chart.version.to_owned(),
        },
        (_, None) => ComponentOutcome::Installed {
            release: release.to_owned(),
            version: chart.version.to_owned(),
        },
        (_, Some(e)) => ComponentOutcome::Upgraded {
            release: release.to_owned(),
            from: e.spec.version.clone(),
            to: chart.version.to_owned(),
        },
    };
    let modified = decision != Decision::Unchanged;

    if modified && let Some(e) = &existing {
        run_upgrade_hooks(client, &charts, chart, &e.spec.version, &wanted, opts, log).await?;
    }

    // The install Job seen before this change: watching must not take it for the new one.
    let mut stale_uid = None;
    if modified {
        let previous = jobs
            .get_opt(&job_name)
            .await
            .with_context(|| format!("reading Job {chart_namespace}/{job_name}"))?;
        stale_uid = previous.as_ref().and_then(|j| j.metadata.uid.clone());
        // With an unchanged spec the controller has nothing to redo: removing its finished Job
        // makes it run the install (helm upgrade) again.
        let same_spec = existing.as_ref().is_some_and(|e| e.spec == wanted.spec);
        if same_spec && previous.is_some() {
            match jobs.delete(&job_name, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => {
                    return Err(anyhow!(e)).with_context(|| {
                        format!("deleting Job {chart_namespace}/{job_name} to re-run it")
                    });
                }
            }
        }
        apply_chart(&charts, &wanted).await?;
    }
    if release == "vector" && opts.vector_sinks.is_none() {
        // No sink configured any more: the chart no longer reads the Secret.
        let secrets: Api<Secret> = Api::namespaced(client.clone(), chart_namespace);
        match secrets
            .delete(VECTOR_SINKS_SECRET, &DeleteParams::default())
            .await
        {
            Ok(_) => {}
            Err(e) if super::errors::is_not_found(&e) => {}
            Err(e) => {
                return Err(super::errors::describe(e)).with_context(|| {
                    format!("deleting Secret {chart_namespace}/{VECTOR_SINKS_SECRET}")
                });
            }
        }
    }

    if let Some(timeout) = opts.wait {
        log(&format!(
            "       Waiting for Job {chart_namespace}/{job_name} (up to {}s)",
            timeout.as_secs()
        ));
        wait_installed(
            client,
            chart_namespace,
            release,
            stale_uid,
            !modified,
            timeout,
        )
        .await?;
        log(&format!(
            "       Chart {release}@{} installed",
            chart.version
        ));
    }
    Ok(outcome)
}

/// Run the upgrade hooks (reference §4.3) between `installed` and the wanted version: each
/// hook's pre-upgrade step, then, when the hook's target is not the wanted version itself, an
/// upgrade to that intermediate version, waited for, before going on.
async fn run_upgrade_hooks(
    client: &Client,
    charts: &Api<HelmChart>,
    chart: &ComponentChart,
    installed: &str,
    wanted: &HelmChart,
    opts: &EnsureOptions,
    log: &(dyn Fn(&str) + Send + Sync),
) -> Result<()> {
    let release = chart.release;
    let hooks = chart_hooks::select(release, installed, &wanted.spec.version)
        .map_err(|e| anyhow!("Error selecting upgrade hooks for chart {release}: {e}"))?;
    let chart_namespace = wanted.namespace().unwrap_or_default();
    for hook in hooks {
        log(&format!(
            "       Running pre-upgrade hook {release}@{}",
            hook.target_version
        ));
        match hook.pre_upgrade {
            PreUpgrade::DeleteDeployments { selector } => {
                let deployments: Api<Deployment> = Api::namespaced(client.clone(), chart.namespace);
                deployments
                    .delete_collection(
                        &DeleteParams::foreground(),
                        &kube::api::ListParams::default().labels(selector),
                    )
                    .await
                    .map_err(super::errors::describe)
                    .with_context(|| {
                        format!(
                            "Error running pre-upgrade hook for {release}@{}: deleting the Deployments {selector} in namespace {}",
                            hook.target_version, chart.namespace
                        )
                    })?;
            }
        }
        if hook.target_version.trim_start_matches('v')
            == wanted.spec.version.trim_start_matches('v')
        {
            continue;
        }
        log(&format!(
            "       Upgrading {release} to intermediate version {}",
            hook.target_version
        ));
        let jobs: Api<Job> = Api::namespaced(client.clone(), &chart_namespace);
        let stale_uid = jobs
            .get_opt(&install_job_name(release))
            .await
            .map_err(super::errors::describe)?
            .and_then(|j| j.metadata.uid);
        let mut step = wanted.clone();
        step.spec.version = hook.target_version.to_owned();
        apply_chart(charts, &step).await?;
        let timeout = opts.wait.unwrap_or(INTERMEDIATE_TIMEOUT);
        wait_installed(client, &chart_namespace, release, stale_uid, false, timeout).await?;
    }
    Ok(())
}

/// Apply the Secret holding the log sinks values file; returns the key the HelmChart reads.
async fn apply_sinks_secret(
    client: &Client,
    namespace: &str,
    overlay: &serde_json::Value,
) -> Result<String> {
    let yaml = serde_saphyr::to_string(overlay)
        .map_err(|e| anyhow!("cannot write the log sinks as chart values: {e}"))?;
    let key = overlay_key(&yaml);
    let secret = sinks_secret(namespace, &key, &yaml);
    // Server-side apply drops the key berth applied before: the Secret holds exactly the
    // current values file.
    let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
    secrets
        .patch(
            VECTOR_SINKS_SECRET,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&secret),
        )
        .await
        .map_err(super::errors::describe)
        .with_context(|| format!("applying Secret {namespace}/{VECTOR_SINKS_SECRET}"))?;
    Ok(key)
}

/// How long an intermediate upgrade may take when the caller did not say.
const INTERMEDIATE_TIMEOUT: Duration = Duration::from_secs(300);

/// `helm-install-<release>`: the Job k3s's Helm controller runs for a HelmChart.
pub fn install_job_name(release: &str) -> String {
    format!("helm-install-{release}")
}

async fn apply_chart(api: &Api<HelmChart>, chart: &HelmChart) -> Result<()> {
    let name = chart.name_any();
    let ns = chart.namespace().unwrap_or_default();
    let params = PatchParams::apply(FIELD_MANAGER).force();
    match api.patch(&name, &params, &Patch::Apply(chart)).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Err(anyhow!(
            "applying HelmChart {ns}/{name}: the cluster has no helm.cattle.io/v1 HelmChart API; \
             berth installs its components through k3s's Helm controller, so use a k3s cluster \
             (scheduler-k3s:initialize) with the Helm controller enabled"
        )),
        Err(e) => Err(anyhow!(e)).with_context(|| format!("applying HelmChart {ns}/{name}")),
    }
}

/// Where an install stands, from the last seen Job and HelmChart.
#[derive(Debug, Clone, PartialEq, Eq)]
enum InstallState {
    Done,
    Failed(String),
    Pending(String),
}

/// Judge the install of `release` from its Job and HelmChart. `stale_uid` is the Job that
/// existed before berth's change (ignored); `trust_status` says whether the HelmChart's
/// conditions already describe the current spec (true when berth changed nothing, or once the
/// controller has started a new Job).
fn install_state(
    ns: &str,
    release: &str,
    job: Option<&Job>,
    chart: Option<&HelmChart>,
    stale_uid: Option<&str>,
    trust_status: bool,
) -> InstallState {
    let job_name = install_job_name(release);
    let current_job = job.filter(|j| stale_uid.is_none() || j.metadata.uid.as_deref() != stale_uid);
    if (trust_status || current_job.is_some())
        && let Some(failed) = chart.and_then(HelmChart::failed_condition)
    {
        let detail = [failed.reason.as_deref(), failed.message.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        return InstallState::Failed(format!(
            "the Helm controller reports chart {release} failed ({detail}); see `kubectl -n {ns} logs job/{job_name}`"
        ));
    }
    let Some(job) = current_job else {
        return InstallState::Pending(match job {
            Some(_) => format!(
                "Job {ns}/{job_name} is still the one from before this change (the Helm controller has not started the new install)"
            ),
            None => format!("no Job {ns}/{job_name} yet (is k3s's Helm controller running?)"),
        });
    };
    let status = job.status.clone().unwrap_or_default();
    let conditions = status.conditions.unwrap_or_default();
    let is_true = |t: &str| {
        conditions
            .iter()
            .find(|c| c.type_ == t && c.status == "True")
    };
    if is_true("Complete").is_some() {
        return InstallState::Done;
    }
    if let Some(c) = is_true("Failed") {
        let why = [c.reason.as_deref(), c.message.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        return InstallState::Failed(format!(
            "Job {ns}/{job_name} installing chart {release} failed ({why}); see `kubectl -n {ns} logs job/{job_name}`"
        ));
    }
    InstallState::Pending(format!(
        "Job {ns}/{job_name} running ({} active, {} failed pod(s))",
        status.active.unwrap_or(0),
        status.failed.unwrap_or(0)
    ))
}

/// Watch the install Job and the HelmChart of `release` until the install completes, fails, or
/// `timeout` passes.
async fn wait_installed(
    client: &Client,
    ns: &str,
    release: &str,
    stale_uid: Option<String>,
    mut trust_status: bool,
    timeout: Duration,
) -> Result<()> {
    let job_name = install_job_name(release);
    let jobs: Api<Job> = Api::namespaced(client.clone(), ns);
    let charts: Api<HelmChart> = Api::namespaced(client.clone(), ns);
    let events = watch::pair(
        (
            jobs,
            watcher::Config::default().fields(&format!("metadata.name={job_name}")),
        ),
        (
            charts,
            watcher::Config::default().fields(&format!("metadata.name={release}")),
        ),
    );
    let mut events = std::pin::pin!(events);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut jobs_seen: Live<Job> = Live::default();
    let mut charts_seen: Live<HelmChart> = Live::default();
    let mut last_seen = format!("no Job {ns}/{job_name} yet");
    loop {
        let event = match tokio::time::timeout_at(deadline, events.next()).await {
            Err(_) => {
                return Err(anyhow!(
                    "timed out after {}s waiting for chart {release} to install: {last_seen}",
                    timeout.as_secs()
                ));
            }
            Ok(None) => return Err(anyhow!("watching chart {release} ended unexpectedly")),
            Ok(Some(Err(e))) => {
                last_seen = format!("watch error: {e}");
                continue;
            }
            Ok(Some(Ok(event))) => event,
        };
        match event {
            Either::First(e) => jobs_seen.apply(*e),
            Either::Second(e) => charts_seen.apply(*e),
        }
        let job = jobs_seen.get(&job_name);
        let chart = charts_seen.get(release);
        if job.is_some_and(|j| stale_uid.is_none() || j.metadata.uid != stale_uid) {
            trust_status = true;
        }
        match install_state(ns, release, job, chart, stale_uid.as_deref(), trust_status) {
            InstallState::Done => return Ok(()),
            InstallState::Failed(why) => return Err(anyhow!(why)),
            InstallState::Pending(what) => last_seen = what,
        }
    }
}

/// Track one watched object (the watch is on a single name).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::crds::helm::{HelmChartCondition, HelmChartStatus};
    use crate::render::components::component;
    use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use kube::api::ObjectMeta;

    fn chart(name: &str) -> HelmChart {
        helm_chart(component(name).unwrap(), &ChartOverrides::new())
    }

    #[test]
    fn decisions_follow_the_original_order_and_upgrade_changes() {
        let wanted = chart("keda");
        assert_eq!(decide(Some(&wanted), &wanted, true, true), Decision::Forced);
        assert_eq!(
            decide(Some(&wanted), &wanted, false, true),
            Decision::Listed
        );
        assert_eq!(decide(None, &wanted, false, false), Decision::Missing);
        assert_eq!(
            decide(Some(&wanted), &wanted, false, false),
            Decision::Unchanged
        );
        let mut old = wanted.clone();
        old.spec.version = "2.0.0".into();
        assert_eq!(
            decide(Some(&old), &wanted, false, false),
            Decision::VersionMismatch {
                installed: "2.0.0".into()
            }
        );
        let mut other = wanted.clone();
        other
            .spec
            .set
            .insert("a".into(), IntOrString::String("b".into()));
        assert_eq!(
            decide(Some(&other), &wanted, false, false),
            Decision::ValuesChanged
        );
        // Status and metadata written by others do not count as a change.
        let mut seen = wanted.clone();
        seen.status = Some(HelmChartStatus {
            job_name: Some("x".into()),
            conditions: vec![],
        });
        seen.metadata.resource_version = Some("7".into());
        assert_eq!(
            decide(Some(&seen), &wanted, false, false),
            Decision::Unchanged
        );
    }

    fn job(uid: &str, condition: Option<&str>) -> Job {
        Job {
            metadata: ObjectMeta {
                uid: Some(uid.into()),
                ..ObjectMeta::default()
            },
            status: Some(JobStatus {
                active: Some(u8::from(condition.is_none()).into()),
                conditions: condition.map(|c| {
                    vec![JobCondition {
                        type_: c.into(),
                        status: "True".into(),
                        reason: Some("BackoffLimitExceeded".into()),
                        ..JobCondition::default()
                    }]
                }),
                ..JobStatus::default()
            }),
            ..Job::default()
        }
    }

    fn failed_chart() -> HelmChart {
        let mut c = chart("vector");
        c.status = Some(HelmChartStatus {
            job_name: Some("helm-install-vector".into()),
            conditions: vec![HelmChartCondition {
                type_: "Failed".into(),
                status: "True".into(),
                reason: Some("Job failed".into()),
                message: Some("helm upgrade failed".into()),
            }],
        });
        c
    }

    #[test]
    fn install_state_from_job_and_chart() {
        let st = |job: Option<&Job>, chart: Option<&HelmChart>, stale: Option<&str>, trust| {
            install_state("kube-system", "vector", job, chart, stale, trust)
        };
        assert!(
            matches!(st(None, None, None, true), InstallState::Pending(m) if m.contains("no Job kube-system/helm-install-vector"))
        );
        assert_eq!(
            st(Some(&job("a", Some("Complete"))), None, None, true),
            InstallState::Done
        );
        // The Job from before the change does not count, however it ended.
        assert!(matches!(
            st(Some(&job("a", Some("Complete"))), None, Some("a"), false),
            InstallState::Pending(m) if m.contains("from before this change")
        ));
        assert_eq!(
            st(Some(&job("b", Some("Complete"))), None, Some("a"), false),
            InstallState::Done
        );
        assert!(matches!(
            st(Some(&job("b", Some("Failed"))), None, Some("a"), false),
            InstallState::Failed(m) if m.contains("installing chart vector failed") && m.contains("BackoffLimitExceeded")
        ));
        assert!(matches!(
            st(Some(&job("b", None)), None, None, true),
            InstallState::Pending(m) if m.contains("running (1 active")
        ));
        // A Failed condition counts once it describes the current spec.
        let failed = failed_chart();
        assert!(matches!(
            st(None, Some(&failed), None, true),
            InstallState::Failed(m) if m.contains("chart vector failed (Job failed: helm upgrade failed)")
        ));
        assert!(matches!(
            st(None, Some(&failed), None, false),
            InstallState::Pending(_)
        ));
        assert!(matches!(
            st(Some(&job("a", None)), Some(&failed), Some("a"), false),
            InstallState::Pending(_)
        ));
    }
}
