//! Names that end up in Kubernetes object names: apps and process types, plus the DNS-1123 rules
//! they are checked against. Every error names the bad value and the rule.

use std::fmt;
use std::str::FromStr;

/// A name failed validation; the message is one line naming the value and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NameError(pub String);

/// Longest DNS-1123 label Kubernetes accepts (Service, namespace, label-value length).
pub const DNS1123_LABEL_MAX: usize = 63;
/// Longest DNS-1123 subdomain Kubernetes accepts (most object names).
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;

/// True when `s` is a DNS-1123 label: 1–63 chars of `[a-z0-9-]`, alphanumeric at both ends.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= DNS1123_LABEL_MAX
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// True when `s` is a DNS-1123 subdomain: dot-separated labels, at most 253 chars.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= DNS1123_SUBDOMAIN_MAX && s.split('.').all(is_dns1123_label)
}

/// Longest app name: `<app>-<process>` and `<app>-cron-<suffix>` names must stay usable.
pub const APP_NAME_MAX: usize = 48;

/// A Dokku app name, restricted to what Kubernetes accepts in object names and label values.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct AppName(String);

impl AppName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AppName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError("app name must not be empty".into()));
        }
        if s.len() > APP_NAME_MAX || !is_dns1123_label(s) {
            return Err(NameError(format!(
                "Invalid app name {s:?}: use 1-{APP_NAME_MAX} lowercase letters, digits and dashes, starting and ending with a letter or digit"
            )));
        }
        Ok(AppName(s.to_owned()))
    }
}

impl TryFrom<String> for AppName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        s.parse()
    }
}

impl From<AppName> for String {
    fn from(a: AppName) -> String {
        a.0
    }
}

impl fmt::Display for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest process type (Procfile entry or app.json cron id).
pub const PROCESS_TYPE_MAX: usize = 32;

/// A process type from the Procfile (`web`, `worker`) or a cron task id used as one.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ProcessType(String);

impl ProcessType {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The `web` process type, the only one that gets ingress.
    pub fn web() -> Self {
        ProcessType("web".into())
    }
    pub fn is_web(&self) -> bool {
        self.0 == "web"
    }
}

impl FromStr for ProcessType {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        if s.len() > PROCESS_TYPE_MAX || !is_dns1123_label(s) {
            return Err(NameError(format!(
                "Invalid process type {s:?}: use 1-{PROCESS_TYPE_MAX} lowercase letters, digits and dashes, starting and ending with a letter or digit"
            )));
        }
        Ok(ProcessType(s.to_owned()))
    }
}

impl TryFrom<String> for ProcessType {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        s.parse()
    }
}

impl From<ProcessType> for String {
    fn from(p: ProcessType) -> String {
        p.0
    }
}

impl fmt::Display for ProcessType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names() {
        assert!("my-app".parse::<AppName>().is_ok());
        assert!("a".parse::<AppName>().is_ok());
        for bad in ["", "-a", "a-", "My", "a_b", "a.b", "a:b", &"x".repeat(49)] {
            assert!(bad.parse::<AppName>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn process_types() {
        assert!("worker-2".parse::<ProcessType>().is_ok());
        assert!("Worker".parse::<ProcessType>().is_err());
        assert!("".parse::<ProcessType>().is_err());
    }

    #[test]
    fn subdomains() {
        assert!(is_dns1123_subdomain("letsencrypt-prod"));
        assert!(is_dns1123_subdomain("a.b-c.d"));
        assert!(!is_dns1123_subdomain("a..b"));
        assert!(!is_dns1123_subdomain("A"));
    }
}
