//! What a revision records of the app's own state — its config (the app-scope keys, with the
//! values its config Secret held) and its scale — and putting that back in the store after a
//! rollback, so the next `ps:*` or `config:*` builds on what runs instead of silently undoing
//! the rollback.

use anyhow::{Result, anyhow};
use k8s_openapi::api::core::v1::Secret;
use serde::Deserialize;
use serde_json::Value;

use crate::kube::helm_release::{self, HelmRelease};
use crate::model::env::EnvMap;
use crate::model::resources::Scale;
use crate::store::{ScopeLock, StoreError, docs};

/// The values key listing the app-scope config keys of a revision (not their values: those
/// live in the revision's config Secret only).
pub const CONFIG_KEYS: &str = "config_keys";

/// The app state a revision records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `None` for revisions written before berth recorded config keys.
    pub config: Option<EnvMap>,
    pub scale: Scale,
}

/// Read what `record` (of `app`) recorded: its config Secret's values for the recorded app keys,
/// and `processes.<type>.replicas`.
pub fn recorded(record: &HelmRelease) -> Result<Recorded> {
    let scale = record.config["processes"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(t, v)| {
                    let n = u32::try_from(v["replicas"].as_u64()?).ok()?;
                    Some((t.parse().ok()?, n))
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(keys) = record.config["global"][CONFIG_KEYS].as_array() else {
        return Ok(Recorded {
            config: None,
            scale,
        });
    };
    let objects = helm_release::manifest_objects(&record.manifest).map_err(|e| anyhow!(e))?;
    let secret_name = crate::render::config_name_for(&record.name);
    let secret = objects
        .iter()
        .find(|o| {
            let head = crate::render::recorded::head(o);
            head.is::<Secret>() && head.name() == secret_name
        })
        .map(Secret::deserialize)
        .transpose()
        .map_err(|e| anyhow!("revision {}: config Secret: {e}", record.version))?;
    let data = secret.and_then(|s| s.data).unwrap_or_default();
    let mut config = EnvMap::new();
    for key in keys.iter().filter_map(Value::as_str) {
        let Some(bytes) = data.get(key) else {
            continue;
        };
        let value = String::from_utf8(bytes.0.clone())
            .map_err(|_| anyhow!("revision {} config key {key} is not text", record.version))?;
        config.insert(key.to_owned(), value);
    }
    Ok(Recorded {
        config: Some(config),
        scale,
    })
}

/// Write `recorded` over the app's stored config and scale (the caller holds the app lock).
/// Returns the sentence saying what now matches the revision.
pub fn restore(lock: &ScopeLock<'_>, revision: u32, recorded: &Recorded) -> Result<String> {
    let flat = |e: StoreError| anyhow!(e.to_string());
    lock.write_json(docs::SCALE, &recorded.scale)
        .map_err(flat)?;
    Ok(match &recorded.config {
        Some(config) => {
            lock.write_json(docs::CONFIG, config).map_err(flat)?;
            format!("the stored config and scale now match what runs (revision {revision})")
        }
        None => format!(
            "the stored scale now matches what runs (revision {revision}); its config was not recorded (deployed by an older berth), so the stored config is unchanged"
        ),
    })
}
