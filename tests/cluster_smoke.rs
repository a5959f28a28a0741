//! Proves the local control plane (scripts/test-cluster) does what berth's tests rely on, through
//! kube-rs: rollouts with Ready pods, Jobs and CronJob Jobs completing, kwok's simulated logs and
//! exec, the failure stages, and the shared CRDs validating server-side apply.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Container, Namespace, Node, Pod, PodSpec, PodTemplateSpec, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference};
use kube::api::{
    AttachParams, DeleteParams, DynamicObject, EvictParams, GroupVersionKind, ListParams,
    LogParams, ObjectMeta, Patch, PatchParams, PostParams,
};
use kube::runtime::wait::conditions;
use kube::{Api, Resource, ResourceExt, discovery};
use serde_json::json;
use support::{TestNamespace, client, kwok_log_fixture, wait_for, wait_for_all};
use tokio::io::AsyncReadExt;

const TIMEOUT: Duration = Duration::from_secs(30);

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pod_template(
    pod_labels: BTreeMap<String, String>,
    restart_policy: Option<&str>,
) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(pod_labels),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "app".into(),
                image: Some("registry.invalid/berth-smoke:1".into()),
                ..Container::default()
            }],
            restart_policy: restart_policy.map(str::to_string),
            ..PodSpec::default()
        }),
    }
}

fn deployment(name: &str, replicas: i32, pod_labels: &[(&str, &str)]) -> Deployment {
    let mut template_labels = labels(pod_labels);
    template_labels.insert("app".into(), name.into());
    Deployment {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(labels(&[("app", name)])),
                ..LabelSelector::default()
            },
            template: pod_template(template_labels, None),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn job_spec(pod_labels: &[(&str, &str)]) -> JobSpec {
    JobSpec {
        backoff_limit: Some(0),
        template: pod_template(labels(pod_labels), Some("Never")),
        ..JobSpec::default()
    }
}

fn is_pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Creates a one-replica Deployment and returns the name of its Ready pod.
async fn ready_pod(ns: &TestNamespace, name: &str) -> String {
    let deployments: Api<Deployment> = ns.api();
    deployments
        .create(&PostParams::default(), &deployment(name, 1, &[]))
        .await
        .expect("create deployment");
    wait_for(
        deployments,
        name,
        |d: Option<&Deployment>| {
            d.and_then(|d| d.status.as_ref())
                .is_some_and(|s| s.ready_replicas == Some(1))
        },
        TIMEOUT,
        "one Ready replica",
    )
    .await;
    let pods: Api<Pod> = ns.api();
    let list = pods
        .list(&ListParams::default().labels(&format!("app={name}")))
        .await
        .expect("list pods");
    let pod = list
        .items
        .into_iter()
        .find(is_pod_ready)
        .expect("a Ready pod of the deployment");
    pod.name_any()
}

#[tokio::test]
async fn deployment_with_three_replicas_gets_three_ready_pods_within_seconds() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-deploy").await;
    let deployments: Api<Deployment> = ns.api();
    deployments
        .create(&PostParams::default(), &deployment("web", 3, &[]))
        .await
        .expect("create deployment");

    wait_for(
        deployments,
        "web",
        |d: Option<&Deployment>| {
            d.and_then(|d| d.status.as_ref())
                .is_some_and(|s| s.ready_replicas == Some(3) && s.updated_replicas == Some(3))
        },
        TIMEOUT,
        "3 ready replicas",
    )
    .await;

    let pods: Api<Pod> = ns.api();
    let list = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("list pods");
    assert_eq!(
        list.items.len(),
        3,
        "pods: {:?}",
        list.items
            .iter()
            .map(ResourceExt::name_any)
            .collect::<Vec<_>>()
    );
    for pod in &list.items {
        assert!(
            is_pod_ready(pod),
            "pod {} is not Ready: {:?}",
            pod.name_any(),
            pod.status
        );
        let status = pod.status.as_ref().expect("pod status");
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert!(status.pod_ip.is_some(), "kwok gives Ready pods an IP");
        assert!(
            pod.spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .is_some(),
            "scheduled to a node"
        );
    }
    ns.cleanup().await;
}

#[tokio::test]
async fn job_completes() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-job").await;
    let jobs: Api<Job> = ns.api();
    let job = Job {
        metadata: ObjectMeta {
            name: Some("once".into()),
            ..ObjectMeta::default()
        },
        spec: Some(job_spec(&[])),
        ..Job::default()
    };
    jobs.create(&PostParams::default(), &job)
        .await
        .expect("create job");
    let done = wait_for(
        jobs,
        "once",
        conditions::is_job_completed(),
        TIMEOUT,
        "Job completion",
    )
    .await;
    assert_eq!(done.status.and_then(|s| s.succeeded), Some(1));
    ns.cleanup().await;
}

#[tokio::test]
async fn job_created_from_a_cronjob_completes() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-cron").await;
    let cronjobs: Api<CronJob> = ns.api();
    let cronjob = CronJob {
        metadata: ObjectMeta {
            name: Some("nightly".into()),
            ..ObjectMeta::default()
        },
        spec: CronJobSpec {
            schedule: "0 3 * * *".into(),
            suspend: Some(true),
            job_template: JobTemplateSpec {
                metadata: None,
                spec: Some(job_spec(&[])),
            },
            ..CronJobSpec::default()
        },
        ..CronJob::default()
    };
    let cronjob = cronjobs
        .create(&PostParams::default(), &cronjob)
        .await
        .expect("create cronjob");

    // What `kubectl create job --from=cronjob/nightly` does: the CronJob's template, owned by it.
    let owner = OwnerReference {
        api_version: CronJob::api_version(&()).into(),
        kind: CronJob::kind(&()).into(),
        name: cronjob.name_any(),
        uid: cronjob.uid().expect("cronjob uid"),
        controller: Some(true),
        ..OwnerReference::default()
    };
    let template = cronjob.spec.job_template;
    let job = Job {
        metadata: ObjectMeta {
            name: Some("nightly-manual".into()),
            annotations: Some(labels(&[("cronjob.kubernetes.io/instantiate", "manual")])),
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        ..Job::default()
    };
    let jobs: Api<Job> = ns.api();
    jobs.create(&PostParams::default(), &job)
        .await
        .expect("create job from cronjob");
    let done = wait_for(
        jobs,
        "nightly-manual",
        conditions::is_job_completed(),
        TIMEOUT,
        "CronJob's manual Job",
    )
    .await;
    assert_eq!(done.status.and_then(|s| s.succeeded), Some(1));
    ns.cleanup().await;
}

#[tokio::test]
async fn log_stream_returns_kwoks_fixture_lines() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-logs").await;
    let pod = ready_pod(&ns, "logs").await;
    let pods: Api<Pod> = ns.api();

    let lines: Vec<String> = pods
        .log_stream(&pod, &LogParams::default())
        .await
        .expect("log stream")
        .lines()
        .try_collect()
        .await
        .expect("read log lines");
    let fixture = kwok_log_fixture();
    assert_eq!(fixture.len(), 3);
    assert_eq!(lines, fixture);

    let last = pods
        .logs(
            &pod,
            &LogParams {
                tail_lines: Some(1),
                ..LogParams::default()
            },
        )
        .await
        .expect("tail 1");
    assert_eq!(last.trim_end(), fixture[2]);
    ns.cleanup().await;
}

#[tokio::test]
async fn exec_runs_the_command_and_returns_its_output() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-exec").await;
    let pod = ready_pod(&ns, "exec").await;
    let pods: Api<Pod> = ns.api();

    let params = AttachParams::default().stdout(true).stderr(false);
    let mut process = pods
        .exec(
            &pod,
            [
                "sh",
                "-c",
                "echo berth-exec-ok; echo \"kwok=$BERTH_KWOK_EXEC\"",
            ],
            &params,
        )
        .await
        .expect("exec through the API server (WebSocket) to kwok");
    let mut stdout = String::new();
    process
        .stdout()
        .expect("stdout stream")
        .read_to_string(&mut stdout)
        .await
        .expect("read stdout");
    let status = process.take_status().expect("status channel").await;
    process.join().await.expect("exec finished");
    assert_eq!(stdout, "berth-exec-ok\nkwok=1\n");
    assert_eq!(status.and_then(|s| s.status).as_deref(), Some("Success"));

    // A failing command fails the exec. kwok reports the exit code only inside an InternalError
    // message ("exit status 3"), not as a NonZeroExitCode cause like a real kubelet.
    let mut failing = pods
        .exec(&pod, ["sh", "-c", "exit 3"], &params)
        .await
        .expect("exec exit 3");
    let status = failing
        .take_status()
        .expect("status channel")
        .await
        .expect("a status");
    failing.join().await.expect("exec finished");
    assert_eq!(status.status.as_deref(), Some("Failure"), "{status:?}");
    assert!(
        status
            .message
            .as_deref()
            .is_some_and(|m| m.contains("exit status 3")),
        "{status:?}"
    );
    ns.cleanup().await;
}

#[tokio::test]
async fn never_ready_label_keeps_pods_unready() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-never-ready").await;
    let deployments: Api<Deployment> = ns.api();
    let broken = deployment("broken", 2, &[("berth.test/never-ready", "true")]);
    deployments
        .create(&PostParams::default(), &broken)
        .await
        .expect("create deployment");

    // Wait until kwok has handled both pods (they run, crash-looping), then check none is Ready.
    let running = |pods: &[Pod]| {
        pods.len() == 2
            && pods
                .iter()
                .all(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    };
    let pods = wait_for_all(
        ns.api::<Pod>(),
        "app=broken",
        running,
        TIMEOUT,
        "2 Running pods",
    )
    .await;
    for pod in &pods {
        assert!(!is_pod_ready(pod), "pod {} became Ready", pod.name_any());
        let container = &pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .expect("container statuses")[0];
        assert!(
            container
                .state
                .as_ref()
                .is_some_and(|s| s.running.is_some())
                && !container.ready,
            "running but not ready: {container:?}"
        );
    }
    let status = deployments
        .get("broken")
        .await
        .expect("get deployment")
        .status
        .expect("status");
    assert_eq!(status.ready_replicas.unwrap_or(0), 0);
    ns.cleanup().await;
}

#[tokio::test]
async fn fail_label_makes_a_job_fail() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-job-fail").await;
    let jobs: Api<Job> = ns.api();
    let job = Job {
        metadata: ObjectMeta {
            name: Some("doomed".into()),
            ..ObjectMeta::default()
        },
        spec: Some(job_spec(&[("berth.test/fail", "true")])),
        ..Job::default()
    };
    jobs.create(&PostParams::default(), &job)
        .await
        .expect("create job");
    let is_failed = |job: Option<&Job>| {
        job.and_then(|j| j.status.as_ref())
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Failed" && c.status == "True"))
    };
    let failed = wait_for(jobs, "doomed", is_failed, TIMEOUT, "Job failure").await;
    let status = failed.status.expect("job status");
    assert_eq!(status.failed, Some(1));
    assert_eq!(status.succeeded.unwrap_or(0), 0);
    ns.cleanup().await;
}

/// One custom resource of each shared CRD: a valid object, and the same object with one field of
/// the wrong type.
struct CrdCase {
    gvk: GroupVersionKind,
    valid: serde_json::Value,
    invalid: serde_json::Value,
    bad_field: &'static str,
}

fn crd_cases() -> Vec<CrdCase> {
    vec![
        CrdCase {
            gvk: GroupVersionKind::gvk("traefik.io", "v1alpha1", "IngressRoute"),
            valid: json!({"spec": {"entryPoints": ["web"], "routes": [{"match": "Host(`app.example.com`)",
                "kind": "Rule", "services": [{"name": "app-web", "port": 5000}]}]}}),
            invalid: json!({"spec": {"entryPoints": ["web"], "routes": "Host(`app.example.com`)"}}),
            bad_field: "spec.routes",
        },
        CrdCase {
            gvk: GroupVersionKind::gvk("cert-manager.io", "v1", "Certificate"),
            valid: json!({"spec": {"secretName": "app-tls", "dnsNames": ["app.example.com"],
                "issuerRef": {"name": "letsencrypt-prod", "kind": "ClusterIssuer"}}}),
            invalid: json!({"spec": {"secretName": "app-tls", "dnsNames": "app.example.com",
                "issuerRef": {"name": "letsencrypt-prod", "kind": "ClusterIssuer"}}}),
            bad_field: "spec.dnsNames",
        },
        CrdCase {
            gvk: GroupVersionKind::gvk("keda.sh", "v1alpha1", "ScaledObject"),
            valid: json!({"spec": {"scaleTargetRef": {"name": "app-web"}, "minReplicaCount": 1,
                "maxReplicaCount": 5, "triggers": [{"type": "cpu", "metricType": "Utilization",
                "metadata": {"value": "60"}}]}}),
            invalid: json!({"spec": {"scaleTargetRef": {"name": "app-web"}, "minReplicaCount": "one",
                "maxReplicaCount": 5, "triggers": [{"type": "cpu", "metricType": "Utilization",
                "metadata": {"value": "60"}}]}}),
            bad_field: "spec.minReplicaCount",
        },
        CrdCase {
            gvk: GroupVersionKind::gvk("helm.cattle.io", "v1", "HelmChart"),
            valid: json!({"spec": {"chart": "traefik", "repo": "https://traefik.github.io/charts",
                "version": "41.3.0", "targetNamespace": "kube-system", "valuesContent": "deployment:\n  replicas: 1\n"}}),
            invalid: json!({"spec": {"chart": "traefik", "repo": "https://traefik.github.io/charts",
                "version": "41.3.0", "targetNamespace": "kube-system", "valuesContent": {"deployment": {"replicas": 1}}}}),
            bad_field: "spec.valuesContent",
        },
    ]
}

#[tokio::test]
async fn server_side_apply_of_shared_crds_validates_against_their_schemas() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-crds").await;
    let params = PatchParams::apply("berth-smoke").force();
    for case in crd_cases() {
        let kind = &case.gvk.kind;
        let (resource, _) = discovery::pinned_kind(&client, &case.gvk)
            .await
            .unwrap_or_else(|e| panic!("{kind} is not served; are the shared CRDs installed? {e}"));
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns.name(), &resource);
        let object = |name: &str, body: &serde_json::Value| {
            let mut object = json!({"apiVersion": resource.api_version, "kind": resource.kind,
                "metadata": {"name": name}});
            object["spec"] = body["spec"].clone();
            object
        };

        let applied = api
            .patch(
                "valid",
                &params,
                &Patch::Apply(object("valid", &case.valid)),
            )
            .await
            .unwrap_or_else(|e| panic!("valid {kind} was rejected: {e}"));
        assert!(applied.uid().is_some());
        let stored = api.get("valid").await.expect("get applied object");
        // The stored spec holds every applied field (plus the CRD's schema defaults).
        for (field, value) in case.valid["spec"].as_object().expect("spec object") {
            assert_eq!(
                &stored.data["spec"][field], value,
                "{kind} spec.{field} round-trips"
            );
        }

        // Server-side apply fails while converting the patch to the schema's typed form (the API
        // server answers 500 for that, not 422); a plain create goes through schema validation
        // and gets 422 Invalid. Both name the bad field.
        match api
            .patch(
                "invalid",
                &params,
                &Patch::Apply(object("invalid", &case.invalid)),
            )
            .await
        {
            Ok(_) => panic!(
                "{kind} with a wrong type in {} was accepted by server-side apply",
                case.bad_field
            ),
            Err(kube::Error::Api(status)) => {
                assert!(
                    status.message.contains(case.bad_field),
                    "{kind}: {status:?} names {}",
                    case.bad_field
                );
            }
            Err(e) => panic!("{kind}: unexpected error {e}"),
        }
        let invalid: DynamicObject =
            serde_json::from_value(object("invalid", &case.invalid)).expect("object");
        match api.create(&PostParams::default(), &invalid).await {
            Ok(_) => panic!(
                "{kind} with a wrong type in {} was accepted by create",
                case.bad_field
            ),
            Err(kube::Error::Api(status)) => {
                assert_eq!(status.code, 422, "{kind}: {status:?}");
                assert!(
                    status.message.contains(case.bad_field),
                    "{kind}: {status:?} names {}",
                    case.bad_field
                );
            }
            Err(e) => panic!("{kind}: unexpected error {e}"),
        }
        assert!(
            api.get_opt("invalid").await.expect("get").is_none(),
            "rejected {kind} must not exist"
        );
    }
    ns.cleanup().await;
}

#[tokio::test]
async fn test_namespace_is_deleted_even_when_the_test_panics() {
    let client = client().await;
    let (name_tx, name_rx) = tokio::sync::oneshot::channel();
    let failing_test = tokio::spawn({
        let client = client.clone();
        async move {
            let ns = TestNamespace::create(&client, "smoke-panic").await;
            name_tx.send(ns.name().to_string()).expect("send name");
            panic!("a failing test");
        }
    });
    assert!(failing_test.await.is_err_and(|e| e.is_panic()));
    let name = name_rx.await.expect("namespace name");
    let namespaces: Api<Namespace> = Api::all(client);
    let gone_or_terminating = namespaces
        .get_opt(&name)
        .await
        .expect("get namespace")
        .is_none_or(|ns| ns.metadata.deletion_timestamp.is_some());
    assert!(
        gone_or_terminating,
        "namespace {name} outlived its panicking test"
    );
}

#[tokio::test]
async fn pods_of_a_deleted_deployment_go_away() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-delete").await;
    let deployments: Api<Deployment> = ns.api();
    deployments
        .create(&PostParams::default(), &deployment("gone", 2, &[]))
        .await
        .expect("create deployment");
    let two_ready = |pods: &[Pod]| pods.len() == 2 && pods.iter().all(is_pod_ready);
    wait_for_all(
        ns.api::<Pod>(),
        "app=gone",
        two_ready,
        TIMEOUT,
        "2 Ready pods",
    )
    .await;

    deployments
        .delete("gone", &DeleteParams::background())
        .await
        .expect("delete deployment");
    wait_for_all(
        ns.api::<Pod>(),
        "app=gone",
        |pods: &[Pod]| pods.is_empty(),
        TIMEOUT,
        "no pods left",
    )
    .await;
    ns.cleanup().await;
}

/// A simulated node only this test's pods can use (label + taint `berth.test/pool=<pool>`), so
/// cordoning and draining it never disturbs tests running in parallel on the shared nodes.
fn pool_node(name: &str, pool: &str) -> Node {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        // kwok manages only nodes carrying this annotation (the real node is not one of them).
        "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
            "labels": {"berth.test/pool": pool, "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux", "type": "kwok"}},
        "spec": {"taints": [{"key": "berth.test/pool", "value": pool, "effect": "NoSchedule"}]},
        "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}
    }))
    .expect("node")
}

/// Deletes the test's nodes when the test ends, also when it panics.
struct TestNodes(Vec<String>);

impl Drop for TestNodes {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.0);
        support::cleanup_blocking(move |client| async move {
            let nodes: Api<Node> = Api::all(client);
            let mut outcome = Ok(());
            for name in names {
                match nodes.delete(&name, &DeleteParams::default()).await {
                    Err(kube::Error::Api(status)) if status.code == 404 => {}
                    Err(e) => outcome = Err(e),
                    Ok(_) => {}
                }
            }
            outcome
        });
    }
}

async fn create_ready_node(nodes: &Api<Node>, node: &Node) {
    nodes
        .create(&PostParams::default(), node)
        .await
        .expect("create node");
    let ready = |n: Option<&Node>| {
        n.and_then(|n| n.status.as_ref())
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
    };
    wait_for(
        nodes.clone(),
        &node.name_any(),
        ready,
        TIMEOUT,
        "node Ready (kwok)",
    )
    .await;
}

fn node_of(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref())
}

#[tokio::test]
async fn a_cordoned_node_can_be_drained() {
    let client = client().await;
    let ns = TestNamespace::create(&client, "smoke-drain").await;
    let pool = ns.name().to_string();
    let (first, second) = (format!("{pool}-a"), format!("{pool}-b"));
    let nodes: Api<Node> = Api::all(client.clone());
    let _cleanup = TestNodes(vec![first.clone(), second.clone()]);
    create_ready_node(&nodes, &pool_node(&first, &pool)).await;

    let mut pinned = deployment("drained", 2, &[]);
    let pod_spec = pinned
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .expect("pod spec");
    pod_spec.node_selector = Some(labels(&[("berth.test/pool", &pool)]));
    pod_spec.tolerations = Some(vec![Toleration {
        key: Some("berth.test/pool".into()),
        operator: Some("Equal".into()),
        value: Some(pool.clone()),
        effect: Some("NoSchedule".into()),
        ..Toleration::default()
    }]);
    ns.api::<Deployment>()
        .create(&PostParams::default(), &pinned)
        .await
        .expect("create deployment");
    let on_first = |pods: &[Pod]| {
        pods.len() == 2
            && pods
                .iter()
                .all(|p| is_pod_ready(p) && node_of(p) == Some(&first))
    };
    let before = wait_for_all(
        ns.api::<Pod>(),
        "app=drained",
        on_first,
        TIMEOUT,
        "2 Ready pods on the first node",
    )
    .await;

    create_ready_node(&nodes, &pool_node(&second, &pool)).await;
    let cordoned = nodes.cordon(&first).await.expect("cordon");
    assert_eq!(cordoned.spec.and_then(|s| s.unschedulable), Some(true));
    // Drain = evict every pod on the node (what `kubectl drain` does).
    let pods: Api<Pod> = ns.api();
    for pod in &before {
        pods.evict(&pod.name_any(), &EvictParams::default())
            .await
            .expect("evict");
    }
    let on_second = |pods: &[Pod]| {
        pods.len() == 2
            && pods
                .iter()
                .all(|p| is_pod_ready(p) && node_of(p) == Some(&second))
    };
    let after = wait_for_all(
        ns.api::<Pod>(),
        "app=drained",
        on_second,
        TIMEOUT,
        "2 Ready pods moved to the second node",
    )
    .await;
    assert!(
        after
            .iter()
            .all(|p| before.iter().all(|b| b.name_any() != p.name_any())),
        "pods were replaced"
    );
    ns.cleanup().await;
}
