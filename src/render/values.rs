//! The release's Helm-style values (reference §5.2 "Values schema"), stored in the Helm release
//! record so `helm get values` and later commands (`run`, restarts) can read the deployed image,
//! builder type, working dir and deployment ids back. Secret values are never included.

use serde_json::{Map, Value, json};

use super::{cron_job, process_name};
use crate::model::release::{CertIssuerKind, ImagePull, Process, Release, Tls};

fn resources(r: &crate::model::release::Resources) -> Value {
    let pick = |pairs: &[(&str, &Option<String>)]| -> Map<String, Value> {
        pairs
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| ((*k).to_owned(), json!(v))))
            .collect()
    };
    let limits = pick(&[
        ("cpu", &r.limit_cpu),
        ("memory", &r.limit_memory),
        ("nvidia.com/gpu", &r.limit_gpu),
    ]);
    let requests = pick(&[("cpu", &r.request_cpu), ("memory", &r.request_memory)]);
    json!({ "limits": limits, "requests": requests })
}

fn process(r: &Release, p: &Process) -> Value {
    let mut v = json!({
        "process_type": if p.proc_type.is_web() { "web" } else { "worker" },
        "replicas": p.replicas,
        "args": p.args,
        "deployment_id": r.deployment_id,
        "resources": resources(&p.resources),
        "healthchecks": {
            "startup": p.probes.startup, "liveness": p.probes.liveness, "readiness": p.probes.readiness,
        },
    });
    if let Some(a) = &p.autoscaling {
        v["autoscaling"] = json!({
            "enabled": true, "type": "keda",
            "min_replicas": a.min_replicas, "max_replicas": a.max_replicas,
            "polling_interval_seconds": a.polling_interval_seconds,
            "cooldown_period_seconds": a.cooldown_seconds,
            "triggers": a.triggers.iter().map(|t| json!({"name": t.name, "type": t.kind, "metadata": t.metadata})).collect::<Vec<_>>(),
        });
    }
    if let Some(w) = &p.web {
        let (issuer_kind, issuer_name) = match &r.tls {
            Tls::Issued { kind, name } => (kind.as_str(), name.as_str()),
            _ => (CertIssuerKind::ClusterIssuer.as_str(), ""),
        };
        v["web"] = json!({
            "domains": w.domains.iter().map(|d| json!({"name": d.name, "slug": d.slug})).collect::<Vec<_>>(),
            "port_maps": w.port_maps.iter().map(|m| json!({
                "name": m.name(), "scheme": m.scheme, "protocol": "TCP",
                "host_port": m.host_port, "container_port": m.container_port,
            })).collect::<Vec<_>>(),
            "tls": {
                "enabled": w.tls, "issuer_kind": issuer_kind, "issuer_name": issuer_name,
                "use_imported_cert": r.tls == Tls::Imported,
            },
        });
    }
    v
}

/// The values map of a release.
pub fn values(r: &Release) -> Map<String, Value> {
    let pull_secrets = match &r.image_pull {
        ImagePull::None => String::new(),
        ImagePull::Named(names) => names.join(","),
        ImagePull::Managed { .. } => super::secret::pull_secret_name(r),
    };
    let web = r
        .processes
        .iter()
        .find_map(|p| p.web.as_ref().filter(|_| p.proc_type.is_web()));
    let mut processes = Map::new();
    for p in &r.processes {
        processes.insert(p.proc_type.to_string(), process(r, p));
    }
    for c in &r.cron_tasks {
        processes.insert(
            c.id.clone(),
            json!({
                "process_type": "cron",
                "replicas": 1,
                "args": c.args,
                "deployment_id": r.deployment_id,
                "resources": resources(&c.resources),
                "cron": {
                    "id": c.id, "hash": c.hash, "schedule": c.schedule, "suffix": c.suffix,
                    "suspend": c.suspend, "concurrency_policy": c.concurrency_policy,
                    "active_deadline_seconds": 86_400, "name": cron_job::name(r, c),
                },
            }),
        );
    }
    let authentications: Map<String, Value> = r
        .trigger_auth
        .keys()
        .map(|t| {
            (
                t.clone(),
                json!({"name": format!("{}-{t}", r.app.object_name()), "kind": "TriggerAuthentication", "type": t}),
            )
        })
        .collect();
    let global = json!({
        "app_name": r.app,
        "deployment_id": r.deployment_id,
        "namespace": r.namespace,
        "image": {
            "name": r.image, "type": r.builder.as_str(),
            "working_dir": r.working_dir.clone().unwrap_or_default(),
            "image_pull_secrets": pull_secrets,
        },
        "issuer": {
            "enabled": r.app_issuer.is_some(),
            "email": r.app_issuer.as_ref().map(|i| i.email.clone()).unwrap_or_default(),
            "name": r.app_issuer.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
            "server": r.app_issuer.as_ref().map(|i| i.server_url.clone()).unwrap_or_default(),
            "ingress_class": r.ingress_class.as_str(),
        },
        "network": {
            "ingress_class": r.ingress_class.as_str(),
            "primary_port": web.map_or(5000, |w| w.primary_port),
            "primary_service_port": web
                .and_then(|w| w.port_maps.iter().find(|m| m.container_port == w.primary_port))
                .map_or(80, |m| m.host_port),
        },
        "keda": { "authentications": authentications },
        "deployments": r.processes.iter().map(|p| process_name(r, p.proc_type.as_str())).collect::<Vec<_>>(),
    });
    let mut out = Map::new();
    out.insert("global".into(), global);
    out.insert("processes".into(), Value::Object(processes));
    out
}
