//! KEDA autoscaling of one process (reference §5.8): min/max defaults, trigger names, metadata
//! placeholders, the http trigger's external-push form and authentication references.

use std::collections::{BTreeMap, BTreeSet};

use super::build::{ReleaseError, fail};
use super::interpolate;
use super::{Autoscaling, HttpMetric, HttpScaling, ScaleTrigger, TriggerAuthRef};
use crate::model::app_json;
use crate::model::names::{AppName, DNS1123_LABEL_MAX, ProcessType, fit};

/// The process's autoscaling, `None` without triggers.
pub(crate) fn resolve(
    app: &AppName,
    proc_type: &ProcessType,
    auto: Option<&app_json::Autoscaling>,
    replicas: u32,
    trigger_auth: &BTreeMap<String, BTreeMap<String, String>>,
    global_trigger_auth: &BTreeSet<String>,
) -> Result<Option<Autoscaling>, ReleaseError> {
    let p = proc_type.as_str();
    let a = app.as_str();
    // The Deployment's name, as render names it.
    let deployment_name = fit(&format!("{}-{p}", app.object_name()), DNS1123_LABEL_MAX);
    Ok(match auto {
        Some(auto) if !auto.triggers.is_empty() => {
            let min = auto.min_quantity.unwrap_or(replicas);
            let max = auto.max_quantity.unwrap_or(replicas.max(min));
            if max < min {
                return fail(format!(
                    "formation.{p}.autoscaling: max_quantity ({max}) must be at least min_quantity ({min})"
                ));
            }
            if max == 0 {
                return fail(format!(
                    "formation.{p}.autoscaling.max_quantity must be at least 1 (the scale of {p} is 0)"
                ));
            }
            let mut triggers = Vec::new();
            let mut http = None;
            if auto.triggers.iter().filter(|t| t.kind == "http").count() > 1 {
                return fail(format!(
                    "formation.{p}.autoscaling: Only one http trigger is allowed"
                ));
            }
            for (idx, t) in auto.triggers.iter().enumerate() {
                let mut metadata = BTreeMap::new();
                for (k, v) in &t.metadata {
                    let v =
                        interpolate::trigger_metadata(v, a, p, &deployment_name).map_err(|e| {
                            ReleaseError(format!(
                                "formation.{p}.autoscaling.triggers[{idx}].metadata.{k}: {e}"
                            ))
                        })?;
                    metadata.insert(k.clone(), v);
                }
                let mut kind = t.kind.clone();
                if kind == "http" {
                    http = Some(http_scaling(p, idx, &metadata)?);
                    // Without the KEDA HTTP add-on berth renders the external-push form
                    // the original falls back to.
                    kind = "external-push".into();
                    metadata = BTreeMap::from([
                        ("httpScaledObject".to_owned(), deployment_name.clone()),
                        (
                            "scalerAddress".to_owned(),
                            "keda-add-ons-http-external-scaler.keda:9090".to_owned(),
                        ),
                    ]);
                }
                let auth = if trigger_auth.contains_key(&t.kind) {
                    Some(TriggerAuthRef {
                        name: format!("{a}-{}", t.kind),
                        cluster: false,
                    })
                } else if global_trigger_auth.contains(&t.kind) {
                    Some(TriggerAuthRef {
                        name: t.kind.clone(),
                        cluster: true,
                    })
                } else {
                    None
                };
                triggers.push(ScaleTrigger {
                    name: t
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("trigger-{}-{}", t.kind, idx + 1)),
                    kind,
                    metadata,
                    auth,
                });
            }
            Some(Autoscaling {
                min_replicas: min,
                max_replicas: max,
                polling_interval_seconds: auto.polling_interval_seconds.unwrap_or(30),
                cooldown_seconds: auto.cooldown_seconds.unwrap_or(300),
                triggers,
                fallback_replicas: replicas,
                http,
            })
        }
        _ => None,
    })
}

/// The `http` trigger's metadata with Dokku's defaults: `scale_by` `request_rate` (or
/// `concurrency`), `scaledown_period_seconds` 300, `request_rate_granularity_seconds` 1,
/// `request_rate_target_value` 100, `request_rate_window_seconds` 60, `concurrency_target_value`
/// 100.
fn http_scaling(
    p: &str,
    idx: usize,
    metadata: &BTreeMap<String, String>,
) -> Result<HttpScaling, ReleaseError> {
    let number = |key: &str, default: u32| -> Result<u32, ReleaseError> {
        match metadata.get(key).map(|v| v.trim()) {
            None | Some("") => Ok(default),
            Some(v) => v.parse::<u32>().map_err(|_| {
                ReleaseError(format!(
                    "formation.{p}.autoscaling.triggers[{idx}].metadata.{key}: {v:?} is not a whole number"
                ))
            }),
        }
    };
    let metric = match metadata.get("scale_by").map(|v| v.trim()) {
        None | Some("") | Some("request_rate") => HttpMetric::RequestRate {
            granularity_seconds: number("request_rate_granularity_seconds", 1)?,
            target_value: number("request_rate_target_value", 100)?,
            window_seconds: number("request_rate_window_seconds", 60)?,
        },
        Some("concurrency") => HttpMetric::Concurrency {
            target_value: number("concurrency_target_value", 100)?,
        },
        Some(other) => {
            return fail(format!(
                "formation.{p}.autoscaling.triggers[{idx}].metadata.scale_by: Invalid http scale method: {other} (use request_rate or concurrency)"
            ));
        }
    };
    Ok(HttpScaling {
        scaledown_period_seconds: number("scaledown_period_seconds", 300)?,
        metric,
    })
}
