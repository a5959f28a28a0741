//! User annotations and labels: the resource types they can target and Kubernetes' rules for
//! annotation/label keys and label values.

use std::fmt;
use std::str::FromStr;

use super::error::{InvalidValue, Valid, q};
use super::names::{DNS1123_SUBDOMAIN_MAX, is_dns1123_subdomain};

/// The kinds of object a user annotation or label can be attached to (`--resource-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    Certificate,
    Cronjob,
    Deployment,
    Ingress,
    Job,
    KedaScaledObject,
    KedaSecret,
    KedaTriggerAuthentication,
    Pod,
    Secret,
    Service,
    Serviceaccount,
    TraefikIngressroute,
    TraefikMiddleware,
}

/// Whether a key/value pair is an annotation or a label; the two accept different resource types
/// and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKind {
    Annotation,
    Label,
}

impl MetaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetaKind::Annotation => "annotation",
            MetaKind::Label => "label",
        }
    }
}

impl ResourceType {
    pub const ALL: [ResourceType; 14] = [
        Self::Certificate,
        Self::Cronjob,
        Self::Deployment,
        Self::Ingress,
        Self::Job,
        Self::KedaScaledObject,
        Self::KedaSecret,
        Self::KedaTriggerAuthentication,
        Self::Pod,
        Self::Secret,
        Self::Service,
        Self::Serviceaccount,
        Self::TraefikIngressroute,
        Self::TraefikMiddleware,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Certificate => "certificate",
            Self::Cronjob => "cronjob",
            Self::Deployment => "deployment",
            Self::Ingress => "ingress",
            Self::Job => "job",
            Self::KedaScaledObject => "keda_scaled_object",
            Self::KedaSecret => "keda_secret",
            Self::KedaTriggerAuthentication => "keda_trigger_authentication",
            Self::Pod => "pod",
            Self::Secret => "secret",
            Self::Service => "service",
            Self::Serviceaccount => "serviceaccount",
            Self::TraefikIngressroute => "traefik_ingressroute",
            Self::TraefikMiddleware => "traefik_middleware",
        }
    }

    fn is_keda(self) -> bool {
        matches!(
            self,
            Self::KedaScaledObject | Self::KedaSecret | Self::KedaTriggerAuthentication
        )
    }

    /// The resource types that accept `kind` (labels exclude the three `keda_*` types).
    pub fn allowed_for(kind: MetaKind) -> Vec<ResourceType> {
        Self::ALL
            .into_iter()
            .filter(|r| kind == MetaKind::Annotation || !r.is_keda())
            .collect()
    }

    /// Parse a `--resource-type` value for `kind`.
    pub fn parse_for(s: &str, kind: MetaKind) -> Valid<Self> {
        let allowed = Self::allowed_for(kind);
        allowed
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
                InvalidValue(format!(
                    "Invalid {} resource type {}: use one of {}",
                    kind.as_str(),
                    q(s),
                    names.join(", ")
                ))
            })
    }
}

impl FromStr for ResourceType {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Valid<Self> {
        Self::parse_for(s, MetaKind::Annotation)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest name part of a qualified key and longest label value.
pub const QUALIFIED_NAME_MAX: usize = 63;

/// Kubernetes "qualified name" part: 1–63 chars of `[A-Za-z0-9-_.]`, alphanumeric at both ends.
fn is_qualified_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= QUALIFIED_NAME_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
}

/// Validate an annotation or label key: `[prefix/]name`, prefix a DNS-1123 subdomain (≤253),
/// name 1–63 chars of `[A-Za-z0-9-_.]` starting and ending alphanumeric (Kubernetes' rule).
pub fn validate_meta_key(key: &str, kind: MetaKind) -> Valid<()> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let prefix_ok =
        prefix.is_none_or(|p| p.len() <= DNS1123_SUBDOMAIN_MAX && is_dns1123_subdomain(p));
    if !prefix_ok || !is_qualified_name_part(name) {
        return Err(InvalidValue(format!(
            "Invalid {} key {}: use [prefix/]name where name is 1-63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit, and prefix is a lowercase DNS subdomain",
            kind.as_str(),
            q(key)
        )));
    }
    Ok(())
}

/// Validate a label value: empty, or 1–63 chars of `[A-Za-z0-9-_.]` alphanumeric at both ends.
pub fn validate_label_value(value: &str) -> Valid<()> {
    if value.is_empty() || is_qualified_name_part(value) {
        return Ok(());
    }
    Err(InvalidValue(format!(
        "Invalid label value {}: use at most 63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit",
        q(value)
    )))
}

/// Kubernetes limits all annotations of one object to 256 KiB together; refuse a single value
/// that alone exceeds it.
pub const ANNOTATION_VALUE_MAX: usize = 256 * 1024;

/// Validate an annotation value: any text up to 256 KiB.
pub fn validate_annotation_value(value: &str) -> Valid<()> {
    if value.len() > ANNOTATION_VALUE_MAX {
        return Err(InvalidValue(format!(
            "annotation value is {} bytes: Kubernetes allows at most {} bytes of annotations per object",
            value.len(),
            ANNOTATION_VALUE_MAX
        )));
    }
    Ok(())
}

/// The process-type slot meaning "every process type of the app" (the original's `--global`).
pub const ALL_PROCESSES: &str = "--global";

/// User annotations or labels of one scope (`annotations.json` / `labels.json`):
/// process type (or [`ALL_PROCESSES`]) → resource type → key → value.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct UserMeta(
    pub  std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    >,
);

/// One stored entry, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaEntry {
    /// Stored process slot: a process type or [`ALL_PROCESSES`].
    pub process: String,
    pub resource: String,
    pub key: String,
    pub value: String,
}

impl MetaEntry {
    /// Process type as reports show it: `--global` becomes `global`.
    pub fn shown_process(&self) -> &str {
        if self.process == ALL_PROCESSES {
            "global"
        } else {
            &self.process
        }
    }
}

impl UserMeta {
    /// Set (`Some`) or remove (`None`) `key` for `process` (`None` = all processes) and `resource`.
    pub fn set(
        &mut self,
        process: Option<&str>,
        resource: ResourceType,
        key: &str,
        value: Option<&str>,
    ) {
        let slot = process.unwrap_or(ALL_PROCESSES).to_owned();
        let res = resource.as_str().to_owned();
        match value {
            Some(v) => {
                self.0
                    .entry(slot)
                    .or_default()
                    .entry(res)
                    .or_default()
                    .insert(key.to_owned(), v.to_owned());
            }
            None => {
                if let Some(by_res) = self.0.get_mut(&slot) {
                    if let Some(map) = by_res.get_mut(&res) {
                        map.remove(key);
                        if map.is_empty() {
                            by_res.remove(&res);
                        }
                    }
                    if by_res.is_empty() {
                        self.0.remove(&slot);
                    }
                }
            }
        }
    }

    /// Every entry, sorted by process slot, resource type, key.
    pub fn entries(&self) -> Vec<MetaEntry> {
        let mut out = Vec::new();
        for (process, by_res) in &self.0 {
            for (resource, map) in by_res {
                for (key, value) in map {
                    out.push(MetaEntry {
                        process: process.clone(),
                        resource: resource.clone(),
                        key: key.clone(),
                        value: value.clone(),
                    });
                }
            }
        }
        out
    }

    /// What a resource of `process` gets: the app-wide values overlaid by the process values
    /// (`process = None` gives the app-wide values only).
    pub fn for_resource(
        &self,
        process: Option<&str>,
        resource: ResourceType,
    ) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        let mut slots = vec![ALL_PROCESSES];
        if let Some(p) = process {
            slots.push(p);
        }
        for slot in slots {
            if let Some(map) = self.0.get(slot).and_then(|r| r.get(resource.as_str())) {
                out.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for ok in [
            "a",
            "app.kubernetes.io/name",
            "example.com/Some_Key.1",
            "A-b",
        ] {
            validate_meta_key(ok, MetaKind::Label).unwrap();
        }
        let long = "a".repeat(64);
        for bad in [
            "",
            "/a",
            "a/",
            "-a",
            "a-",
            "Example.com/a",
            "a/b/c",
            "a b",
            "é",
            long.as_str(),
        ] {
            assert!(
                validate_meta_key(bad, MetaKind::Annotation).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn label_values() {
        validate_label_value("").unwrap();
        validate_label_value("v1.2_3-x").unwrap();
        for bad in ["-a", "a b", "a/b", &"x".repeat(64)] {
            assert!(validate_label_value(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn user_meta_overlay() {
        let mut m = UserMeta::default();
        m.set(None, ResourceType::Pod, "a", Some("app"));
        m.set(Some("web"), ResourceType::Pod, "a", Some("web"));
        m.set(Some("web"), ResourceType::Pod, "b", Some("x"));
        assert_eq!(m.for_resource(Some("web"), ResourceType::Pod)["a"], "web");
        assert_eq!(
            m.for_resource(Some("worker"), ResourceType::Pod)["a"],
            "app"
        );
        assert_eq!(m.entries().len(), 3);
        m.set(Some("web"), ResourceType::Pod, "a", None);
        m.set(Some("web"), ResourceType::Pod, "b", None);
        assert_eq!(m.0.len(), 1);
        assert_eq!(m.entries()[0].shown_process(), "global");
    }

    #[test]
    fn resource_types() {
        assert_eq!(
            ResourceType::parse_for("pod", MetaKind::Label).unwrap(),
            ResourceType::Pod
        );
        assert!(ResourceType::parse_for("keda_secret", MetaKind::Annotation).is_ok());
        let e = ResourceType::parse_for("keda_secret", MetaKind::Label).unwrap_err();
        assert!(e.0.contains("\"keda_secret\""));
        assert!(ResourceType::parse_for("Pod", MetaKind::Annotation).is_err());
    }
}
