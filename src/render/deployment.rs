//! Deployment `<app>-<process>` per process type (reference §5.4).

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::meta::{self, fixed_labels, layer, object_meta, template_meta, workload_annotations};
use super::{pod, process_name};
use crate::model::release::{Process, Release};

pub fn render(r: &Release, p: &Process) -> Deployment {
    let app = r.app.object_name();
    let proc_type = p.proc_type.as_str();
    let name = process_name(r, proc_type);
    let fixed = fixed_labels(&name, proc_type, app);
    let fixed_annotations = workload_annotations(r, &name);

    let labels = layer(
        fixed.clone(),
        meta::user_labels(r, Some(proc_type), "deployment"),
    );
    let annotations = layer(
        fixed_annotations.clone(),
        meta::user_annotations(r, Some(proc_type), "deployment"),
    );
    let pod_labels = layer(fixed.clone(), meta::user_labels(r, Some(proc_type), "pod"));
    let pod_annotations = layer(
        fixed_annotations,
        meta::user_annotations(r, Some(proc_type), "pod"),
    );
    // app.json `uptime`: the original computes it and drops it; a pod counts as available only
    // after running that long, which is what minReadySeconds means.
    let min_ready = [&p.probes.startup, &p.probes.liveness, &p.probes.readiness]
        .into_iter()
        .flatten()
        .filter_map(|h| h.uptime)
        .max()
        .and_then(|u| i32::try_from(u).ok())
        .filter(|u| *u > 0);

    Deployment {
        metadata: object_meta(
            r,
            &name,
            Some(&r.namespace),
            app,
            Some(proc_type),
            labels,
            annotations,
        ),
        spec: Some(DeploymentSpec {
            // KEDA owns the replica count of autoscaled processes.
            replicas: match p.autoscaling {
                Some(_) => None,
                None => Some(i32::try_from(p.replicas).unwrap_or(i32::MAX)),
            },
            revision_history_limit: Some(5),
            min_ready_seconds: min_ready,
            // Only the fixed labels: user pod labels in an (immutable) selector would make every
            // later labels:set break the upgrade.
            selector: LabelSelector {
                match_labels: Some(fixed),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(template_meta(pod_labels, pod_annotations)),
                spec: Some(PodSpec {
                    security_context: pod::pod_security_context(&p.security),
                    ..pod::pod_spec(r, pod::process_container(r, p, &name), false)
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}
