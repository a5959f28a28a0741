//! KEDA: ScaledObject per autoscaled process, TriggerAuthentication per app-level trigger auth,
//! and the cluster-wide ClusterTriggerAuthentication + Secret of `autoscaling-auth:set --global`
//! (reference §5.8).

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Secret, Service, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::meta::{self, fixed_labels, layer, map, object_meta};
use super::naming::{LABEL_MAX, SUBDOMAIN_MAX, fit};
use super::{process_name, secret};
use crate::crds::keda::{
    AuthenticationRef, ClusterTriggerAuthentication, ClusterTriggerAuthenticationSpec, Fallback,
    ScaleTargetRef, ScaleTrigger, ScaledObject, ScaledObjectSpec, SecretTargetRef,
    TriggerAuthentication, TriggerAuthenticationSpec,
};
use crate::crds::keda_http::{
    Concurrency, HTTPScaledObject, HTTPScaledObjectSpec, HttpReplicas, HttpScaleTargetRef,
    RequestRate, ScalingMetric,
};
use crate::model::release::{HttpMetric, Process, Release};

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn target_refs(keys: impl Iterator<Item = String>, secret_name: &str) -> Vec<SecretTargetRef> {
    keys.map(|k| SecretTargetRef {
        parameter: k.clone(),
        name: secret_name.to_owned(),
        key: k,
    })
    .collect()
}

pub fn scaled_object(r: &Release, p: &Process) -> Option<ScaledObject> {
    let auto = p.autoscaling.as_ref()?;
    let app = r.app.object_name();
    let proc_type = p.proc_type.as_str();
    let name = process_name(r, proc_type);
    let labels = layer(
        fixed_labels(&name, proc_type, app),
        meta::user_labels(r, Some(proc_type), "keda_scaled_object"),
    );
    let annotations = layer(
        map([(meta::VERSION, r.deployment_id.as_str())]),
        meta::user_annotations(r, Some(proc_type), "keda_scaled_object"),
    );
    let triggers: Vec<ScaleTrigger> = auto
        .triggers
        .iter()
        .map(|t| ScaleTrigger {
            type_: t.kind.clone(),
            name: t.name.clone(),
            metadata: t.metadata.clone(),
            authentication_ref: t.auth.as_ref().map(|a| AuthenticationRef {
                name: if a.cluster {
                    a.name.clone()
                } else {
                    fit(&a.name, SUBDOMAIN_MAX)
                },
                kind: if a.cluster {
                    "ClusterTriggerAuthentication".into()
                } else {
                    "TriggerAuthentication".into()
                },
            }),
        })
        .collect();
    // A fallback only makes sense for scalers that can fail to reach their source.
    let fallback = auto
        .triggers
        .iter()
        .any(|t| t.kind != "cpu" && t.kind != "memory")
        .then(|| Fallback {
            failure_threshold: 3,
            replicas: int(auto.fallback_replicas),
        });
    Some(ScaledObject {
        metadata: object_meta(
            r,
            &name,
            Some(&r.namespace),
            app,
            Some(proc_type),
            labels,
            annotations,
        ),
        spec: ScaledObjectSpec {
            scale_target_ref: ScaleTargetRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                name: name.clone(),
                env_source_container_name: name.clone(),
            },
            cooldown_period: int(auto.cooldown_seconds),
            polling_interval: int(auto.polling_interval_seconds),
            min_replica_count: int(auto.min_replicas),
            max_replica_count: int(auto.max_replicas),
            fallback,
            triggers,
        },
    })
}

/// `TriggerAuthentication` `<app>-<trigger>` per app-level trigger auth, reading `kta-<app>-<trigger>`.
pub fn trigger_authentications(r: &Release) -> Vec<TriggerAuthentication> {
    let app = r.app.object_name();
    r.trigger_auth
        .iter()
        .map(|(trigger, metadata)| {
            let instance = fit(&format!("{app}-{trigger}"), LABEL_MAX);
            let labels = layer(
                fixed_labels(&instance, trigger, app),
                meta::user_labels(r, None, "keda_trigger_authentication"),
            );
            let annotations = layer(
                map([(meta::VERSION, r.deployment_id.as_str())]),
                meta::user_annotations(r, None, "keda_trigger_authentication"),
            );
            let name = fit(&format!("{app}-{trigger}"), SUBDOMAIN_MAX);
            TriggerAuthentication {
                metadata: object_meta(r, &name, Some(&r.namespace), app, None, labels, annotations),
                spec: TriggerAuthenticationSpec {
                    secret_target_ref: target_refs(
                        metadata.keys().cloned(),
                        &secret::keda_secret_name(r, trigger),
                    ),
                },
            }
        })
        .collect()
}

/// Namespace of the cluster-wide trigger auth Secrets (KEDA reads ClusterTriggerAuthentication
/// secrets from its own namespace).
pub const KEDA_NAMESPACE: &str = "keda";

/// Secret `ckta-<trigger>` (namespace `keda`) and ClusterTriggerAuthentication `<trigger>` for a
/// global `autoscaling-auth:set --global <trigger>`. Not part of any app's release.
pub fn cluster_trigger_authentications(
    trigger: &str,
    metadata: &BTreeMap<String, String>,
) -> (Secret, ClusterTriggerAuthentication) {
    let release = format!("keda-cluster-trigger-authentications-{trigger}");
    let labels = || {
        map([
            (meta::INSTANCE, trigger),
            (meta::NAME, trigger),
            (meta::PART_OF, "cluster"),
            (meta::MANAGED_BY, meta::MANAGED_BY_VALUE),
        ])
    };
    let annotations = |ns: &str| {
        map([
            (meta::DOKKU_MANAGED, "true"),
            (meta::HELM_RELEASE_NAME, release.as_str()),
            (meta::HELM_RELEASE_NAMESPACE, ns),
        ])
    };
    let secret_name = fit(&format!("ckta-{trigger}"), SUBDOMAIN_MAX);
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(secret_name.clone()),
            namespace: Some(KEDA_NAMESPACE.into()),
            labels: Some(labels()),
            annotations: Some(annotations(KEDA_NAMESPACE)),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".into()),
        data: Some(
            metadata
                .iter()
                .map(|(k, v)| (k.clone(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Secret::default()
    };
    let auth = ClusterTriggerAuthentication {
        metadata: ObjectMeta {
            name: Some(trigger.to_owned()),
            labels: Some(labels()),
            annotations: Some(annotations(KEDA_NAMESPACE)),
            ..ObjectMeta::default()
        },
        spec: ClusterTriggerAuthenticationSpec {
            secret_target_ref: target_refs(metadata.keys().cloned(), &secret_name),
        },
    };
    (secret, auth)
}

/// The interceptor proxy's address in the add-on's namespace.
const INTERCEPTOR: &str = "keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local";
/// The interceptor proxy's port.
pub const INTERCEPTOR_PORT: i32 = 8080;

/// Whether requests to `p` go through the KEDA HTTP add-on: an `http` trigger on a web process,
/// in a cluster that serves `http.keda.sh/v1alpha1`.
pub fn http_routed(r: &Release, p: &Process) -> bool {
    r.http_addon && p.web.is_some() && p.autoscaling.as_ref().is_some_and(|a| a.http.is_some())
}

/// `kip-<app>-<process>`: the ExternalName Service the Ingress points at instead of the app's
/// Service, so requests reach the add-on's interceptor (which counts them and wakes the app).
pub fn interceptor_service_name(r: &Release, p: &Process) -> String {
    fit(
        &format!("kip-{}", process_name(r, p.proc_type.as_str())),
        LABEL_MAX,
    )
}

/// The HTTPScaledObject of a process routed through the add-on (reference §5.8).
pub fn http_scaled_object(r: &Release, p: &Process) -> Option<HTTPScaledObject> {
    if !http_routed(r, p) {
        return None;
    }
    let auto = p.autoscaling.as_ref()?;
    let http = auto.http.as_ref()?;
    let web = p.web.as_ref()?;
    let app = r.app.object_name();
    let proc_type = p.proc_type.as_str();
    let name = process_name(r, proc_type);
    let annotations = map([
        (meta::VERSION, r.deployment_id.as_str()),
        // berth renders the ScaledObject itself (with the external-push trigger).
        (
            "httpscaledobject.keda.sh/skip-scaledobject-creation",
            "true",
        ),
    ]);
    let port = web
        .port_maps
        .iter()
        .find(|m| m.container_port == web.primary_port)
        .or(web.port_maps.first())
        .map_or(80, |m| i32::from(m.host_port));
    let scaling_metric = match &http.metric {
        HttpMetric::RequestRate {
            granularity_seconds,
            target_value,
            window_seconds,
        } => ScalingMetric {
            request_rate: Some(RequestRate {
                granularity: format!("{granularity_seconds}s"),
                target_value: i64::from(*target_value),
                window: format!("{window_seconds}s"),
            }),
            concurrency: None,
        },
        HttpMetric::Concurrency { target_value } => ScalingMetric {
            request_rate: None,
            concurrency: Some(Concurrency {
                target_value: i64::from(*target_value),
            }),
        },
    };
    Some(HTTPScaledObject {
        metadata: object_meta(
            r,
            &name,
            Some(&r.namespace),
            app,
            Some(proc_type),
            fixed_labels(&name, proc_type, app),
            annotations,
        ),
        spec: HTTPScaledObjectSpec {
            hosts: web.domains.iter().map(|d| d.name.clone()).collect(),
            scale_target_ref: HttpScaleTargetRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                name: name.clone(),
                service: super::service::name(r, p),
                port,
            },
            replicas: HttpReplicas {
                min: int(auto.min_replicas),
                max: int(auto.max_replicas),
            },
            scaledown_period: int(http.scaledown_period_seconds),
            scaling_metric,
        },
    })
}

/// The `kip-<app>-<process>` ExternalName Service of a process routed through the add-on.
pub fn interceptor_service(r: &Release, p: &Process) -> Option<Service> {
    if !http_routed(r, p) {
        return None;
    }
    let app = r.app.object_name();
    let proc_type = p.proc_type.as_str();
    let instance = process_name(r, proc_type);
    Some(Service {
        metadata: object_meta(
            r,
            &interceptor_service_name(r, p),
            Some(&r.namespace),
            app,
            Some(proc_type),
            fixed_labels(&instance, proc_type, app),
            map([(meta::VERSION, r.deployment_id.as_str())]),
        ),
        spec: Some(ServiceSpec {
            type_: Some("ExternalName".into()),
            external_name: Some(INTERCEPTOR.into()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}
