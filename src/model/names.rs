//! Names that end up in Kubernetes object names: apps and process types, plus the DNS-1123 rules
//! they are checked against. Every error names the bad value and the rule.

use std::fmt;

use sha2::{Digest, Sha256};
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

/// Object names are shortened the same way everywhere: `name` if it fits in `max` chars, else a deterministic shortened form of exactly `max` chars or fewer.
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let digest = hex::encode(Sha256::digest(name.as_bytes()));
    // Names are ASCII by construction; stay on a char boundary anyway rather than risk a panic.
    let mut keep = max.saturating_sub(11);
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    let prefix = name[..keep].trim_end_matches(['-', '.']);
    format!("{prefix}-{}", &digest[..10])
}

/// Longest app name berth accepts. Dokku sets no limit of its own; this one keeps every file the
/// store names after an app (`<app>/`, `<app>.lock`) within the 255 bytes a file name may have.
pub const APP_NAME_MAX: usize = 200;

/// Longest object name an app's own name becomes: `<app>-<process>` and `<app>-cron-<suffix>`
/// must stay usable within Kubernetes' 63-character labels.
pub const APP_OBJECT_NAME_MAX: usize = 48;

/// A Dokku app name, as Dokku accepts it (`^[a-z0-9][a-z0-9.-]*$`), and the name its Kubernetes
/// objects are built from ([`AppName::object_name`]).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct AppName {
    name: String,
    object: String,
}

impl AppName {
    /// The name as the user gave it: the store, messages, `DOKKU_APP_NAME` and vhosts use it.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The name object names, label values and the release record are built from: the app name
    /// itself when it is a DNS-1123 label of at most 48 characters; otherwise dots become dashes,
    /// trailing dashes go, and a name still too long keeps a prefix and a hash of the whole name
    /// (`test.dokku.test` → `test-dokku-test`). Two apps whose object names would be equal are
    /// refused at `apps:create` ([`AppName::shares_objects_with`]).
    pub fn object_name(&self) -> &str {
        &self.object
    }

    /// True when `self` and `other` are different apps whose objects would have the same names.
    pub fn shares_objects_with(&self, other: &AppName) -> bool {
        self.name != other.name && self.object == other.object
    }
}

/// See [`AppName::object_name`].
fn object_name_of(name: &str) -> String {
    if name.len() <= APP_OBJECT_NAME_MAX && is_dns1123_label(name) {
        return name.to_owned();
    }
    let dashed = name.replace('.', "-");
    let dashed = dashed.trim_end_matches('-');
    fit(dashed, APP_OBJECT_NAME_MAX)
}

impl FromStr for AppName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError(
                "Please specify an app to run the command on".into(),
            ));
        }
        let mut bytes = s.bytes();
        let first_ok = bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok =
            bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !first_ok || !rest_ok {
            return Err(NameError(format!(
                "Invalid app name {s:?}: App name must begin with lowercase alphanumeric character, and may only contain lowercase alphanumerics, dots, and hyphens"
            )));
        }
        if s.len() > APP_NAME_MAX {
            return Err(NameError(format!(
                "Invalid app name {:?}...: {} characters, at most {APP_NAME_MAX} are allowed",
                &s[..20],
                s.len()
            )));
        }
        Ok(AppName {
            name: s.to_owned(),
            object: object_name_of(s),
        })
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
        a.name
    }
}

impl fmt::Display for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
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
        // Dokku's own test suite creates these.
        for good in [
            "1994testapp",
            "test.dokku.test",
            "a-",
            "a.",
            &"x".repeat(60),
        ] {
            assert!(good.parse::<AppName>().is_ok(), "{good:?} refused");
        }
        for bad in [
            "",
            "-a",
            ".a",
            "My",
            "TestApp",
            "a_b",
            "a:b",
            "testapp:latest",
            "test/app",
            "test;id",
            "test$cmd",
            "test|cmd",
            "test&cmd",
            "a b",
            &"x".repeat(201),
        ] {
            assert!(bad.parse::<AppName>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn object_names_are_labels_and_keep_valid_names() {
        let name = |s: &str| s.parse::<AppName>().unwrap().object_name().to_owned();
        assert_eq!(name("my-app"), "my-app");
        assert_eq!(name("1994testapp"), "1994testapp");
        assert_eq!(name("test.dokku.test"), "test-dokku-test");
        assert_eq!(name("a-"), "a");
        assert_eq!(name("a..b."), "a--b");
        let long = format!("{}.example.com", "x".repeat(60));
        let fitted = name(&long);
        assert!(fitted.len() <= APP_OBJECT_NAME_MAX, "{fitted}");
        assert!(is_dns1123_label(&fitted), "{fitted}");
        assert_ne!(fitted, name(&format!("{}.example.org", "x".repeat(60))));
        let dotted: AppName = "a.b".parse().unwrap();
        assert!(dotted.shares_objects_with(&"a-b".parse().unwrap()));
        assert!(!dotted.shares_objects_with(&dotted.clone()));
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
