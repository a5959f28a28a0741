//! KEDA autoscaling of one process (reference §5.8): min/max defaults, trigger names, metadata
//! placeholders, the http trigger's external-push form and authentication references.

use std::collections::{BTreeMap, BTreeSet};

use super::build::{ReleaseError, fail};
use super::interpolate;
use super::{Autoscaling, ScaleTrigger, TriggerAuthRef};
use crate::model::app_json;
use crate::model::names::ProcessType;

/// The process's autoscaling, `None` without triggers.
pub(crate) fn resolve(
    a: &str,
    proc_type: &ProcessType,
    auto: Option<&app_json::Autoscaling>,
    replicas: u32,
    trigger_auth: &BTreeMap<String, BTreeMap<String, String>>,
    global_trigger_auth: &BTreeSet<String>,
) -> Result<Option<Autoscaling>, ReleaseError> {
    let p = proc_type.as_str();
    let deployment_name = format!("{a}-{p}");
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
            })
        }
        _ => None,
    })
}
