//! Resource limits and reservations per process type (`resource:*`), and the `ps:scale` formation.

use std::collections::BTreeMap;

use super::error::{InvalidValue, Valid, q};
use super::names::ProcessType;

/// Process slot holding the app-wide default (Dokku's `_default_`).
pub const DEFAULT_PROCESS: &str = "_default_";

/// CPU, memory and GPU amounts of one kind (limit or reserve), Kubernetes quantity spelling.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResourceValues {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// Limits only.
    #[serde(
        default,
        rename = "nvidia-gpu",
        skip_serializing_if = "Option::is_none"
    )]
    pub nvidia_gpu: Option<String>,
    /// Docker-only settings Dokku accepts and stores (`memory-swap`, `network`,
    /// `network-ingress`, `network-egress`); Kubernetes has no field for them.
    #[serde(
        default,
        flatten,
        skip_serializing_if = "std::collections::BTreeMap::is_empty"
    )]
    pub docker_only: std::collections::BTreeMap<String, String>,
}

impl ResourceValues {
    pub fn is_empty(&self) -> bool {
        *self == ResourceValues::default()
    }
}

/// Limits and reservations (requests) of one process slot:
/// `{"limit": {"cpu", "memory", "nvidia-gpu"}, "reserve": {"cpu", "memory"}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResourceSpec {
    #[serde(default, skip_serializing_if = "ResourceValues::is_empty")]
    pub limit: ResourceValues,
    #[serde(default, skip_serializing_if = "ResourceValues::is_empty")]
    pub reserve: ResourceValues,
}

impl ResourceSpec {
    pub fn is_empty(&self) -> bool {
        self.limit.is_empty() && self.reserve.is_empty()
    }

    /// The half a command touches.
    pub fn values_mut(&mut self, kind: ResourceKind) -> &mut ResourceValues {
        match kind {
            ResourceKind::Limit => &mut self.limit,
            ResourceKind::Reserve => &mut self.reserve,
        }
    }
}

/// `resources.json`: process type or [`DEFAULT_PROCESS`] → spec.
pub type Resources = BTreeMap<String, ResourceSpec>;

/// Which half of a spec a `resource:*` command touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Limit,
    Reserve,
}

/// Validate an `--nvidia-gpu` count (0–64).
pub fn validate_gpu(s: &str) -> Valid<String> {
    match s.parse::<u8>() {
        Ok(n) if n <= 64 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n.to_string()),
        _ => Err(InvalidValue(format!(
            "Invalid nvidia-gpu count {}: use a whole number from 0 to 64",
            q(s)
        ))),
    }
}

/// `ps:scale` values: process type → replica count.
pub type Scale = BTreeMap<ProcessType, u32>;

/// Most replicas one process type may be scaled to.
pub const SCALE_MAX: u32 = 10_000;

/// Parse a `process=count` argument of `ps:scale`.
pub fn parse_scale_arg(s: &str) -> Valid<(ProcessType, u32)> {
    let (p, n) = s.split_once('=').ok_or_else(|| {
        InvalidValue(format!(
            "Invalid scale {}: use process=count, e.g. web=2",
            q(s)
        ))
    })?;
    let process: ProcessType = p.parse()?;
    let count = n
        .parse::<u32>()
        .ok()
        .filter(|c| *c <= SCALE_MAX && n.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            InvalidValue(format!(
                "Invalid scale {}: the count must be a whole number from 0 to {SCALE_MAX}",
                q(s)
            ))
        })?;
    Ok((process, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_args() {
        let (p, n) = parse_scale_arg("web=3").unwrap();
        assert_eq!((p.as_str(), n), ("web", 3));
        for bad in [
            "web",
            "web=",
            "web=-1",
            "web=x",
            "Web=1",
            "=1",
            "web=10001",
            "web=+1",
        ] {
            assert!(parse_scale_arg(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn gpu() {
        assert_eq!(validate_gpu("2").unwrap(), "2");
        assert!(validate_gpu("65").is_err());
        assert!(validate_gpu("-1").is_err());
    }
}
