//! Cluster components against the real control plane (which has k3s's HelmChart CRD installed,
//! but no Helm controller): `ensure_components` applies every HelmChart, creates the target
//! namespaces, is idempotent, upgrades what changed, and `wait` watches the install Jobs (which
//! the tests create themselves, standing in for the Helm controller; kwok completes them).
//!
//! HelmCharts in `kube-system` are shared by everything using this control plane, so the
//! detailed sequence runs with the HelmCharts in the test's own namespace
//! (`ensure_components_in`); one test applies to `kube-system` and asserts only what cannot
//! depend on another test.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use berth::crds::helm::HelmChart;
use berth::kube::charts::{
    ComponentOutcome, EnsureOptions, ensure_components, ensure_components_in, install_job_name,
};
use berth::model::scheduler_k3s::ChartOverrides;
use berth::render::components::{COMPONENT_CHARTS, COMPONENT_NAMESPACE, component_charts};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{Container, Namespace, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::conditions;
use kube::runtime::wait::await_condition;
use kube::{Api, Client, ResourceExt};
use serde_json::json;
use support::{TestNamespace, client, wait_for};

/// Collects the log lines `ensure_components` prints.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn sink(&self) -> impl Fn(&str) + Send + Sync + use<> {
        let lines = self.0.clone();
        move |line: &str| lines.lock().unwrap().push(line.to_owned())
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn releases_except(skip: &str) -> Vec<&'static str> {
    COMPONENT_CHARTS
        .iter()
        .map(|c| c.release)
        .filter(|r| *r != skip)
        .collect()
}

fn unchanged(release: &str) -> ComponentOutcome {
    let version = COMPONENT_CHARTS
        .iter()
        .find(|c| c.release == release)
        .unwrap()
        .version;
    ComponentOutcome::Unchanged {
        release: release.into(),
        version: version.into(),
    }
}

/// All charts unchanged (nginx class: traefik skipped).
fn all_unchanged() -> Vec<ComponentOutcome> {
    COMPONENT_CHARTS
        .iter()
        .map(|c| {
            if c.release == "traefik" {
                ComponentOutcome::SkippedIngressMismatch {
                    release: "traefik".into(),
                }
            } else {
                unchanged(c.release)
            }
        })
        .collect()
}

/// A stand-in for the Helm controller's install Job; kwok runs its pod to success.
fn install_job(release: &str) -> Job {
    Job {
        metadata: ObjectMeta {
            name: Some(install_job_name(release)),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            template: PodTemplateSpec {
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    containers: vec![Container {
                        name: "helm".into(),
                        image: Some("rancher/klipper-helm:v0.9.4-build20250113".into()),
                        ..Container::default()
                    }],
                    ..PodSpec::default()
                }),
                ..PodTemplateSpec::default()
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

/// What the Helm controller does after a spec change: replace the install Job with a new one.
async fn replace_install_job(jobs: &Api<Job>, release: &str) {
    let name = install_job_name(release);
    if let Some(old) = jobs.get_opt(&name).await.unwrap() {
        jobs.delete(&name, &DeleteParams::background())
            .await
            .unwrap();
        let uid = old.uid().unwrap();
        tokio::time::timeout(
            Duration::from_secs(30),
            await_condition(jobs.clone(), &name, conditions::is_deleted(&uid)),
        )
        .await
        .expect("old install Job deleted within 30 s")
        .unwrap();
    }
    jobs.create(&PostParams::default(), &install_job(release))
        .await
        .unwrap();
}

fn run_opts(wait: Option<Duration>) -> EnsureOptions {
    EnsureOptions {
        wait,
        ..EnsureOptions::default()
    }
}

async fn ensure(
    client: &Client,
    ns: &str,
    overrides: &ChartOverrides,
    opts: &EnsureOptions,
    log: &Log,
) -> anyhow::Result<Vec<ComponentOutcome>> {
    let sink = log.sink();
    ensure_components_in(client, ns, "nginx", overrides, opts, &sink).await
}

#[tokio::test]
async fn ensure_components_installs_upgrades_and_waits() {
    let client = client().await;
    let test_ns = TestNamespace::create(&client, "components").await;
    let ns = test_ns.name();
    let charts: Api<HelmChart> = test_ns.api();
    let jobs: Api<Job> = test_ns.api();
    let log = Log::default();
    let mut overrides = ChartOverrides::new();

    // 1. First run: every chart but the other ingress controller is created, and the API server
    //    (with the real HelmChart CRD) accepts each as rendered.
    let outcomes = ensure(&client, ns, &overrides, &run_opts(None), &log)
        .await
        .unwrap();
    let expected: Vec<ComponentOutcome> = COMPONENT_CHARTS
        .iter()
        .map(|c| {
            if c.release == "traefik" {
                ComponentOutcome::SkippedIngressMismatch {
                    release: "traefik".into(),
                }
            } else {
                ComponentOutcome::Installed {
                    release: c.release.into(),
                    version: c.version.into(),
                }
            }
        })
        .collect();
    assert_eq!(outcomes, expected);
    let lines = log.take();
    assert_eq!(lines[0], "=====> Installing helm charts");
    assert!(lines.contains(&"-----> Processing chart cert-manager@v1.13.3".to_owned()));
    assert!(lines.contains(&"       Installing missing chart".to_owned()));
    assert!(lines.contains(&"       Skipping chart due to ingress-class mismatch".to_owned()));
    for wanted in component_charts("nginx", &overrides) {
        let name = wanted.name_any();
        let on_cluster = charts.get(&name).await.unwrap();
        assert_eq!(on_cluster.spec, wanted.spec, "{name}");
        assert_eq!(
            on_cluster.labels().get("app.kubernetes.io/managed-by"),
            Some(&"berth".to_owned())
        );
        assert!(
            on_cluster
                .managed_fields()
                .iter()
                .any(|f| f.manager.as_deref() == Some("berth")),
            "{name} is applied with field manager berth"
        );
    }
    assert!(charts.get_opt("traefik").await.unwrap().is_none());

    // Target namespaces exist; the ones only the components use carry Dokku's marker. (`keda`
    // is also created by other tests, so only its existence is checked.)
    let namespaces: Api<Namespace> = Api::all(client.clone());
    for name in ["cert-manager", "longhorn-system", "ingress-nginx", "vector"] {
        let namespace = namespaces.get(name).await.unwrap();
        assert_eq!(
            namespace.labels().get("dokku.com/managed"),
            Some(&"true".to_owned()),
            "{name}"
        );
        assert_eq!(
            namespace.annotations().get("dokku.com/managed"),
            Some(&"true".to_owned()),
            "{name}"
        );
    }

    // 2. Second run: nothing to do.
    let outcomes = ensure(&client, ns, &overrides, &run_opts(None), &log)
        .await
        .unwrap();
    assert_eq!(outcomes, all_unchanged());
    assert!(
        log.take()
            .contains(&"       Skipping chart: already installed".to_owned())
    );

    // 3. A changed override upgrades that chart only, and lands in spec.set typed like --set.
    overrides
        .entry("vector".into())
        .or_default()
        .insert("podMonitor.enabled".into(), "true".into());
    overrides
        .entry("vector".into())
        .or_default()
        .insert("replicas".into(), "2".into());
    let outcomes = ensure(&client, ns, &overrides, &run_opts(None), &log)
        .await
        .unwrap();
    let mut expected = all_unchanged();
    expected[6] = ComponentOutcome::Upgraded {
        release: "vector".into(),
        from: "0.52.0".into(),
        to: "0.52.0".into(),
    };
    assert_eq!(outcomes, expected);
    assert!(
        log.take()
            .contains(&"       Upgrading chart: values or overrides changed".to_owned())
    );
    let vector = charts.get("vector").await.unwrap();
    assert_eq!(
        vector.spec.set.get("podMonitor.enabled"),
        Some(&IntOrString::String("true".into()))
    );
    assert_eq!(vector.spec.set.get("replicas"), Some(&IntOrString::Int(2)));

    // Removing an override removes it from the HelmChart (berth owns the field).
    overrides
        .get_mut("vector")
        .unwrap()
        .remove("podMonitor.enabled");
    ensure(&client, ns, &overrides, &run_opts(None), &log)
        .await
        .unwrap();
    let vector = charts.get("vector").await.unwrap();
    assert!(!vector.spec.set.contains_key("podMonitor.enabled"));

    // 4. A HelmChart left at another version (an older berth) is upgraded to the pinned one.
    charts
        .patch(
            "keda",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"version": "2.10.0"}})),
        )
        .await
        .unwrap();
    let outcomes = ensure(&client, ns, &overrides, &run_opts(None), &log)
        .await
        .unwrap();
    assert!(outcomes.contains(&ComponentOutcome::Upgraded {
        release: "keda".into(),
        from: "2.10.0".into(),
        to: "2.19.0".into(),
    }));
    assert!(
        log.take().contains(
            &"       Upgrading chart due to version mismatch: 2.10.0 != 2.19.0".to_owned()
        )
    );
    assert_eq!(charts.get("keda").await.unwrap().spec.version, "2.19.0");

    // 5. `only` accepts catalogue names only, and fails before touching anything.
    let bad = EnsureOptions {
        only: vec!["traefik".into(), "nope".into()],
        ..EnsureOptions::default()
    };
    let err = ensure(&client, ns, &overrides, &bad, &log)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Invalid chart name \"nope\"") && err.contains("cert-manager, ingress-nginx"),
        "{err}"
    );
    assert!(log.take().is_empty());

    // 6. wait: with every install Job complete, an unchanged run waits for nothing new.
    for release in releases_except("traefik") {
        jobs.create(&PostParams::default(), &install_job(release))
            .await
            .unwrap();
    }
    let outcomes = ensure(
        &client,
        ns,
        &overrides,
        &run_opts(Some(Duration::from_secs(60))),
        &log,
    )
    .await
    .unwrap();
    assert_eq!(outcomes, all_unchanged());
    assert!(
        log.take()
            .contains(&"       Chart vector@0.52.0 installed".to_owned())
    );

    // 7. wait after a change: the finished Job from before the change does not count; the run
    //    completes once the "controller" has replaced it and the new Job has completed.
    overrides
        .get_mut("vector")
        .unwrap()
        .insert("replicas".into(), "3".into());
    let controller = async {
        wait_for(
            charts.clone(),
            "vector",
            |c: Option<&HelmChart>| {
                c.is_some_and(|c| c.spec.set.get("replicas") == Some(&IntOrString::Int(3)))
            },
            Duration::from_secs(60),
            "the vector HelmChart with the new override",
        )
        .await;
        replace_install_job(&jobs, "vector").await;
    };
    let waiting = run_opts(Some(Duration::from_secs(60)));
    let (outcomes, ()) = tokio::join!(ensure(&client, ns, &overrides, &waiting, &log), controller);
    assert!(outcomes.unwrap().contains(&ComponentOutcome::Upgraded {
        release: "vector".into(),
        from: "0.52.0".into(),
        to: "0.52.0".into(),
    }));
    log.take();

    // 8. wait times out naming the chart and what it last saw (no install Job at all).
    let longhorn_job = jobs.get(&install_job_name("longhorn")).await.unwrap();
    jobs.delete(&install_job_name("longhorn"), &DeleteParams::background())
        .await
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(30),
        await_condition(
            jobs.clone(),
            &install_job_name("longhorn"),
            conditions::is_deleted(&longhorn_job.uid().unwrap()),
        ),
    )
    .await
    .expect("longhorn's install Job deleted within 30 s")
    .unwrap();
    let forced_longhorn = EnsureOptions {
        only: vec!["longhorn".into()],
        wait: Some(Duration::from_secs(3)),
        ..EnsureOptions::default()
    };
    let err = ensure(&client, ns, &overrides, &forced_longhorn, &log)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("timed out after 3s waiting for chart longhorn to install")
            && err.contains(&format!("no Job {ns}/helm-install-longhorn yet")),
        "{err}"
    );
    assert!(
        log.take()
            .contains(&"       Force installing chart due to flag".to_owned())
    );

    // 9. wait fails fast when the controller reports the chart Failed (status subresource).
    charts
        .patch_status(
            "cert-manager",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"jobName": "helm-install-cert-manager",
                "conditions": [
                    {"type": "JobCreated", "status": "True", "reason": "Job created"},
                    {"type": "Failed", "status": "True", "reason": "Job failed",
                     "message": "Helm install failed: UPGRADE FAILED: timed out"}]}})),
        )
        .await
        .unwrap();
    let err = ensure(
        &client,
        ns,
        &overrides,
        &run_opts(Some(Duration::from_secs(60))),
        &log,
    )
    .await
    .unwrap_err()
    .to_string();
    // It failed on the Job's own failure, not by waiting out the 60 s.
    assert!(!err.contains("timed out after"), "failed fast: {err}");
    assert!(
        err.contains("chart cert-manager failed")
            && err.contains("Job failed: Helm install failed: UPGRADE FAILED: timed out"),
        "{err}"
    );

    test_ns.cleanup().await;
}

/// A failed install Job (not only the HelmChart's condition) ends the wait at once.
#[tokio::test]
async fn wait_fails_fast_on_a_failed_install_job() {
    let client = client().await;
    let test_ns = TestNamespace::create(&client, "components-fail").await;
    let ns = test_ns.name();
    let jobs: Api<Job> = test_ns.api();
    let log = Log::default();
    let overrides = ChartOverrides::new();
    // cert-manager's install Job fails (kwok fails pods labelled berth.test/fail=true).
    let mut failing = install_job("cert-manager");
    failing
        .spec
        .as_mut()
        .unwrap()
        .template
        .metadata
        .get_or_insert_default()
        .labels = Some([("berth.test/fail".to_owned(), "true".to_owned())].into());
    let mut opts = EnsureOptions {
        only: vec!["cert-manager".into()],
        ..EnsureOptions::default()
    };
    let installed = ensure(&client, ns, &overrides, &opts, &log).await.unwrap();
    assert!(
        matches!(&installed[..], [ComponentOutcome::Installed { release, .. }] if release == "cert-manager")
    );
    jobs.create(&PostParams::default(), &failing).await.unwrap();
    opts.wait = Some(Duration::from_secs(60));
    // Forced: the existing Job is removed so the controller re-runs it; here the test is the
    // controller and puts the failing Job back.
    let controller = async {
        let name = install_job_name("cert-manager");
        let old = jobs.get(&name).await.unwrap();
        tokio::time::timeout(
            Duration::from_secs(30),
            await_condition(
                jobs.clone(),
                &name,
                conditions::is_deleted(&old.uid().unwrap()),
            ),
        )
        .await
        .expect("ensure_components deletes the finished Job to re-run it")
        .unwrap();
        jobs.create(&PostParams::default(), &failing).await.unwrap();
    };
    let (result, ()) = tokio::join!(ensure(&client, ns, &overrides, &opts, &log), controller);
    let err = result.unwrap_err().to_string();
    assert!(
        !err.contains("timed out after"),
        "failed on the Job, not the wait: {err}"
    );
    assert!(
        err.contains(&format!(
            "Job {ns}/helm-install-cert-manager installing chart cert-manager failed"
        )),
        "{err}"
    );
    test_ns.cleanup().await;
}

/// The real entry point applies to kube-system. Other tests may apply the same HelmCharts, so
/// only what does not depend on them is asserted.
#[tokio::test]
async fn ensure_components_applies_helmcharts_in_kube_system() {
    let client = client().await;
    let log = Log::default();
    let sink = log.sink();
    let outcomes = ensure_components(
        &client,
        "traefik",
        &ChartOverrides::new(),
        &EnsureOptions::default(),
        &sink,
    )
    .await
    .unwrap();
    assert_eq!(outcomes.len(), COMPONENT_CHARTS.len());
    assert!(
        outcomes.contains(&ComponentOutcome::SkippedIngressMismatch {
            release: "ingress-nginx".into()
        })
    );
    let charts: Api<HelmChart> = Api::namespaced(client.clone(), COMPONENT_NAMESPACE);
    for c in COMPONENT_CHARTS
        .iter()
        .filter(|c| c.release != "ingress-nginx")
    {
        let on_cluster = charts.get(c.release).await.unwrap();
        assert_eq!(on_cluster.spec.version, c.version);
        assert_eq!(on_cluster.spec.repo, c.repo);
        assert_eq!(on_cluster.spec.target_namespace, c.namespace);
        assert!(on_cluster.spec.create_namespace);
    }
}

fn deployment_labelled(name: &str, instance: &str) -> k8s_openapi::api::apps::v1::Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/instance": instance}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"hook-test": name}},
            "template": {"metadata": {"labels": {"hook-test": name}},
                         "spec": {"containers": [{"name": "c", "image": "registry.invalid/x:1"}]}}
        }
    }))
    .unwrap()
}

/// Reference §4.3: upgrading keda-add-ons-http across 0.12.2 first deletes its Deployments
/// (their selectors changed; a selector is immutable), and only those.
#[tokio::test]
async fn keda_http_upgrade_hook_deletes_its_deployments_first() {
    use k8s_openapi::api::apps::v1::Deployment;
    let client = client().await;
    let test_ns = TestNamespace::create(&client, "chart-hooks").await;
    let ns = test_ns.name();
    let log = Log::default();
    let only = EnsureOptions {
        only: vec!["keda-add-ons-http".into()],
        ..EnsureOptions::default()
    };
    ensure(&client, ns, &ChartOverrides::new(), &only, &log)
        .await
        .unwrap();
    assert!(
        !log.take().iter().any(|l| l.contains("pre-upgrade hook")),
        "a fresh install runs no hook"
    );
    let charts: Api<HelmChart> = Api::namespaced(client.clone(), ns);
    charts
        .patch(
            "keda-add-ons-http",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"version": "0.11.0"}})),
        )
        .await
        .unwrap();
    // The chart's target namespace `keda` exists once the chart was applied.
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "keda");
    let (ours, other) = ("hook-addon-old", "hook-unrelated");
    for (name, instance) in [(ours, "keda-add-ons-http"), (other, "something-else")] {
        let _ = deployments.delete(name, &DeleteParams::default()).await;
        deployments
            .create(&PostParams::default(), &deployment_labelled(name, instance))
            .await
            .unwrap();
    }

    let outcomes = ensure(&client, ns, &ChartOverrides::new(), &only, &log)
        .await
        .unwrap();
    assert!(outcomes.contains(&ComponentOutcome::Upgraded {
        release: "keda-add-ons-http".into(),
        from: "0.11.0".into(),
        to: "0.12.2".into(),
    }));
    let lines = log.take();
    assert!(
        lines.contains(&"       Running pre-upgrade hook keda-add-ons-http@0.12.2".to_owned()),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("intermediate")),
        "the hook's target is the pinned version: no intermediate step: {lines:?}"
    );
    let gone = deployments
        .get_opt(ours)
        .await
        .unwrap()
        .is_none_or(|d| d.metadata.deletion_timestamp.is_some());
    assert!(gone, "the add-on's Deployment was not deleted");
    assert!(
        deployments.get_opt(other).await.unwrap().is_some(),
        "an unrelated Deployment was deleted"
    );
    assert_eq!(
        charts.get("keda-add-ons-http").await.unwrap().spec.version,
        "0.12.2"
    );
    let _ = deployments.delete(other, &DeleteParams::default()).await;
    test_ns.cleanup().await;
}
