//! The `scheduler-k3s` property table: every property's name, scopes, default and validator,
//! exactly the set of the reference (§2), plus the resolved (app → global → default) view the
//! deploy code reads.
//!
//! Validators are pure. The one check that needs IO (`kubeconfig-path` must be a readable file) is
//! flagged with [`PropertyDef::must_be_readable_file`] and done by the caller.

use std::collections::BTreeMap;
use std::time::Duration;

use super::domain::Domain;
use super::duration::parse_duration;
use super::error::{InvalidValue, Valid, q};
use super::names::{is_dns1123_label, is_dns1123_subdomain};
use super::quantity::MemoryQuantity;

/// Where a property may be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyScope {
    /// Per app, with a `--global` fallback.
    AppAndGlobal,
    /// Only with `--global` (cluster-wide settings).
    GlobalOnly,
}

/// One `scheduler-k3s` property.
#[derive(Debug)]
pub struct PropertyDef {
    pub name: &'static str,
    pub scope: PropertyScope,
    /// Built-in default used when neither the app nor the global value is set ("" = none).
    pub default: &'static str,
    /// Secret values are stored 0600 and masked in stdout reports.
    pub secret: bool,
    /// The value must name an existing readable file (checked by the caller, which does IO).
    pub must_be_readable_file: bool,
    pub description: &'static str,
    /// Check a non-empty value and return the form to store.
    normalize: fn(&str) -> Valid<String>,
}

impl PropertyDef {
    /// Validate a non-empty value and return its stored (normalised) form. The error names the
    /// property, the value and what is allowed.
    pub fn validate(&self, value: &str) -> Valid<String> {
        if value.chars().any(|c| c.is_control()) {
            return Err(InvalidValue(format!(
                "invalid {} {}: control characters (newlines, tabs) are not allowed",
                self.name,
                q(value)
            )));
        }
        (self.normalize)(value)
            .map_err(|e| InvalidValue(format!("invalid {} {}: {}", self.name, q(value), e.0)))
    }

    /// Refuse an app scope for a global-only property.
    pub fn check_scope(&self, global: bool) -> Valid<()> {
        if !global && self.scope == PropertyScope::GlobalOnly {
            return Err(InvalidValue(format!(
                "property {} can only be set with --global (it is cluster-wide)",
                self.name
            )));
        }
        Ok(())
    }

    pub fn is_app_scoped(&self) -> bool {
        self.scope == PropertyScope::AppAndGlobal
    }
}

fn cert_issuer_kind(s: &str) -> Valid<String> {
    match s.to_ascii_lowercase().as_str() {
        "issuer" => Ok("Issuer".into()),
        "clusterissuer" => Ok("ClusterIssuer".into()),
        _ => Err(InvalidValue::new(
            "valid values are Issuer and ClusterIssuer",
        )),
    }
}

fn cert_issuer_name(s: &str) -> Valid<String> {
    if s == "false" || is_dns1123_subdomain(s) {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue::new(
            "use a DNS-1123 subdomain (lowercase letters, digits, '-' and '.') or false",
        ))
    }
}

fn deploy_timeout(s: &str) -> Valid<String> {
    parse_duration(s).map(|(_, stored)| stored).map_err(|_| {
        InvalidValue::new("use a duration such as 60s, 5m or 1h30m (a bare integer means seconds)")
    })
}

fn secret_names(s: &str) -> Valid<String> {
    // The original reads one name although its docs promise a comma-separated list; berth
    // accepts the documented list.
    if s.split(',').all(is_dns1123_subdomain) {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue::new(
            "use Secret names (DNS-1123 subdomains: lowercase letters, digits, '-' and '.'), comma-separated",
        ))
    }
}

fn ingress_class(s: &str) -> Valid<String> {
    match s {
        "nginx" | "traefik" => Ok(s.to_owned()),
        _ => Err(InvalidValue::new("valid values are nginx and traefik")),
    }
}

fn kube_context(s: &str) -> Valid<String> {
    if s.len() > 253 || s.trim() != s {
        return Err(InvalidValue::new(
            "use a context name from the kubeconfig (at most 253 characters, no surrounding spaces)",
        ));
    }
    Ok(s.to_owned())
}

fn absolute_path(s: &str) -> Valid<String> {
    if !s.starts_with('/') || s.len() > 4096 {
        return Err(InvalidValue::new(
            "use an absolute path to a kubeconfig file",
        ));
    }
    Ok(s.to_owned())
}

fn relative_path(s: &str) -> Valid<String> {
    if s.starts_with('/') || s.split('/').any(|c| c == "..") || s.len() > 4096 {
        return Err(InvalidValue::new(
            "use a path relative to the repository root without '..', e.g. config/kustomize",
        ));
    }
    Ok(s.to_owned())
}

fn email(s: &str) -> Valid<String> {
    let err = || InvalidValue::new("use an email address such as admin@example.com");
    let (local, domain) = s.rsplit_once('@').ok_or_else(err)?;
    if local.is_empty()
        || local.len() > 64
        || local.contains(|c: char| c.is_whitespace() || c == '@' || c == '<' || c == '>')
        || !domain.contains('.')
    {
        return Err(err());
    }
    let d: Domain = domain.parse().map_err(|_| err())?;
    if d.is_wildcard() {
        return Err(err());
    }
    Ok(s.to_owned())
}

fn letsencrypt_server(s: &str) -> Valid<String> {
    match s {
        "prod" | "production" | "stag" | "staging" | "false" => Ok(s.to_owned()),
        _ => Err(InvalidValue::new(
            "valid values are prod, production, stag, staging, and false",
        )),
    }
}

fn namespace(s: &str) -> Valid<String> {
    if is_dns1123_label(s) {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue::new(
            "use a DNS-1123 label: 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit",
        ))
    }
}

fn network_interface(s: &str) -> Valid<String> {
    let ok = s.len() <= 15
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b':'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue::new(
            "use a network interface name such as eth0 (at most 15 letters, digits, '-', '_', '.', '@' or ':')",
        ))
    }
}

fn boolean(s: &str) -> Valid<String> {
    match s {
        "true" | "True" | "TRUE" | "1" | "t" | "T" => Ok("true".into()),
        "false" | "False" | "FALSE" | "0" | "f" | "F" => Ok("false".into()),
        _ => Err(InvalidValue::new("valid values are true and false")),
    }
}

fn shm_size(s: &str) -> Valid<String> {
    let m: MemoryQuantity = s.parse().map_err(|e: InvalidValue| {
        InvalidValue(e.0.split_once(": ").map(|x| x.1.to_owned()).unwrap_or(e.0))
    })?;
    if m.bytes == 0 {
        return Err(InvalidValue::new(
            "the size must be greater than zero, e.g. 64Mi",
        ));
    }
    Ok(m.to_string())
}

fn token(s: &str) -> Valid<String> {
    if s.len() > 512 || s.contains(char::is_whitespace) {
        return Err(InvalidValue::new(
            "use a k3s join token without whitespace (at most 512 characters)",
        ));
    }
    Ok(s.to_owned())
}

/// Container image reference (`[registry[:port]/]path[:tag][@sha256:digest]`), Docker's grammar.
pub fn validate_image_reference(s: &str) -> Valid<String> {
    let err = || {
        InvalidValue::new(
            "use an image reference such as busybox:1.36 or registry.example.com/team/app:tag",
        )
    };
    if s.is_empty() || s.len() > 512 {
        return Err(err());
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let hex = d.strip_prefix("sha256:").ok_or_else(err)?;
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(err());
        }
    }
    // A tag is after the last ':' that comes after the last '/'.
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && (t.as_bytes()[0].is_ascii_alphanumeric() || t.as_bytes()[0] == b'_')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !ok {
            return Err(err());
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    // The first part is a registry host when it has a '.', a ':' or is "localhost".
    if parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
    {
        let host = parts.remove(0);
        let (h, port) = match host.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        };
        let host_ok = !h.is_empty()
            && h.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
        if !host_ok || !port_ok {
            return Err(err());
        }
    }
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && c.as_bytes()[0].is_ascii_alphanumeric()
            && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
    };
    if parts.is_empty() || !parts.iter().all(|c| component_ok(c)) {
        return Err(err());
    }
    Ok(s.to_owned())
}

macro_rules! prop {
    ($name:literal, $scope:ident, $default:literal, $normalize:expr, $desc:literal) => {
        PropertyDef {
            name: $name,
            scope: PropertyScope::$scope,
            default: $default,
            secret: false,
            must_be_readable_file: false,
            description: $desc,
            normalize: $normalize,
        }
    };
}

/// Every `scheduler-k3s` property, sorted by name.
pub static SCHEDULER_K3S_PROPERTIES: &[PropertyDef] = &[
    prop!(
        "cert-issuer-kind",
        AppAndGlobal,
        "ClusterIssuer",
        cert_issuer_kind,
        "Kind of the cert-manager issuer named by cert-issuer-name: Issuer or ClusterIssuer"
    ),
    prop!(
        "cert-issuer-name",
        AppAndGlobal,
        "",
        cert_issuer_name,
        "Existing cert-manager issuer to request certificates from; false opts an app out of a global value"
    ),
    prop!(
        "deploy-timeout",
        AppAndGlobal,
        "300s",
        deploy_timeout,
        "How long a deploy waits for the rollout, as a duration (60s, 5m)"
    ),
    prop!(
        "image-pull-secrets",
        AppAndGlobal,
        "",
        secret_names,
        "Existing image pull Secrets (comma-separated); replace the berth-managed one"
    ),
    prop!(
        "ingress-class",
        GlobalOnly,
        "nginx",
        ingress_class,
        "Ingress controller: nginx (Ingress objects) or traefik (IngressRoutes)"
    ),
    prop!(
        "kube-context",
        GlobalOnly,
        "",
        kube_context,
        "Context in the kubeconfig to use (empty: the current context)"
    ),
    PropertyDef {
        must_be_readable_file: true,
        ..prop!(
            "kubeconfig-path",
            GlobalOnly,
            "/etc/rancher/k3s/k3s.yaml",
            absolute_path,
            "Kubeconfig file berth talks to the cluster with"
        )
    },
    prop!(
        "kustomize-root-path",
        AppAndGlobal,
        "config/kustomize",
        relative_path,
        "Repository-relative directory of a kustomization applied after rendering"
    ),
    prop!(
        "letsencrypt-email-prod",
        AppAndGlobal,
        "",
        email,
        "Email for the Let's Encrypt production issuer"
    ),
    prop!(
        "letsencrypt-email-stag",
        AppAndGlobal,
        "",
        email,
        "Email for the Let's Encrypt staging issuer"
    ),
    prop!(
        "letsencrypt-server",
        AppAndGlobal,
        "prod",
        letsencrypt_server,
        "Let's Encrypt server: prod, production, stag, staging, or false to disable issuance"
    ),
    prop!(
        "namespace",
        AppAndGlobal,
        "default",
        namespace,
        "Kubernetes namespace the app's objects live in"
    ),
    prop!(
        "network-interface",
        GlobalOnly,
        "eth0",
        network_interface,
        "Network interface whose address k3s advertises"
    ),
    prop!(
        "node-sysctls-image",
        GlobalOnly,
        "busybox:1.36",
        validate_image_reference,
        "Image of the init container that applies node sysctls"
    ),
    prop!(
        "node-sysctls-pause-image",
        GlobalOnly,
        "registry.k8s.io/pause:3.9",
        validate_image_reference,
        "Image of the pause container of the node sysctl DaemonSet"
    ),
    prop!(
        "rollback-on-failure",
        AppAndGlobal,
        "false",
        boolean,
        "Roll back to the previous release when a deploy fails: true or false"
    ),
    prop!(
        "shm-size",
        AppAndGlobal,
        "",
        shm_size,
        "Size of /dev/shm for the app's containers, e.g. 64Mi (empty: container default)"
    ),
    PropertyDef {
        secret: true,
        ..prop!(
            "token",
            GlobalOnly,
            "",
            token,
            "k3s cluster join token (generated by scheduler-k3s:initialize; masked in reports)"
        )
    },
];

/// Names of every property, sorted (used in "valid properties include" messages).
pub fn property_names() -> Vec<&'static str> {
    SCHEDULER_K3S_PROPERTIES.iter().map(|p| p.name).collect()
}

/// Find a property by name; unknown names get the list of valid ones.
pub fn lookup_property(name: &str) -> Valid<&'static PropertyDef> {
    if name.is_empty() {
        return Err(InvalidValue::new("no property specified"));
    }
    SCHEDULER_K3S_PROPERTIES
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            InvalidValue(format!(
                "invalid property {}, valid properties include: {}",
                q(name),
                property_names().join(", ")
            ))
        })
}

/// Raw stored values of one scope, keyed by property name.
pub type RawProperties = BTreeMap<String, String>;

/// The three values a report shows for a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyValues {
    pub app: String,
    pub global: String,
    pub computed: String,
}

/// Property values resolved app → global → built-in default, with typed getters for the values
/// the deploy and cluster code need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedProperties {
    values: BTreeMap<&'static str, PropertyValues>,
}

impl ResolvedProperties {
    /// Resolve from the app's stored values (empty map for `--global`) and the global ones. App
    /// values of global-only properties are ignored.
    pub fn resolve(app: &RawProperties, global: &RawProperties) -> Self {
        let values = SCHEDULER_K3S_PROPERTIES
            .iter()
            .map(|p| {
                let app_v = if p.is_app_scoped() {
                    app.get(p.name).cloned().unwrap_or_default()
                } else {
                    String::new()
                };
                let global_v = global.get(p.name).cloned().unwrap_or_default();
                let computed = [&app_v, &global_v]
                    .into_iter()
                    .find(|v| !v.is_empty())
                    .cloned()
                    .unwrap_or_else(|| p.default.to_owned());
                (
                    p.name,
                    PropertyValues {
                        app: app_v,
                        global: global_v,
                        computed,
                    },
                )
            })
            .collect();
        ResolvedProperties { values }
    }

    /// App, global and computed value of `name`. Panics only on a name not in the table (a bug).
    pub fn get(&self, name: &str) -> &PropertyValues {
        self.values
            .get(name)
            .unwrap_or_else(|| panic!("unknown scheduler-k3s property {name}"))
    }

    /// The computed value of `name`.
    pub fn computed(&self, name: &str) -> &str {
        &self.get(name).computed
    }

    /// Computed value, `None` when empty.
    fn non_empty(&self, name: &str) -> Option<&str> {
        Some(self.computed(name)).filter(|v| !v.is_empty())
    }

    pub fn deploy_timeout(&self) -> Duration {
        parse_duration(self.computed("deploy-timeout"))
            .map(|(d, _)| d)
            .unwrap_or(Duration::from_secs(300))
    }
    pub fn namespace(&self) -> &str {
        self.computed("namespace")
    }
    pub fn rollback_on_failure(&self) -> bool {
        self.computed("rollback-on-failure") == "true"
    }
    pub fn kubeconfig_path(&self) -> &str {
        self.computed("kubeconfig-path")
    }
    pub fn kube_context(&self) -> Option<&str> {
        self.non_empty("kube-context")
    }
    pub fn ingress_class(&self) -> &str {
        self.computed("ingress-class")
    }
    pub fn network_interface(&self) -> &str {
        self.computed("network-interface")
    }
    pub fn token(&self) -> Option<&str> {
        self.non_empty("token")
    }
    pub fn image_pull_secrets(&self) -> Option<&str> {
        self.non_empty("image-pull-secrets")
    }
    pub fn shm_size(&self) -> Option<&str> {
        self.non_empty("shm-size")
    }
    /// `cert-issuer-name` unless unset or `false`.
    pub fn cert_issuer_name(&self) -> Option<&str> {
        self.non_empty("cert-issuer-name").filter(|v| *v != "false")
    }
    pub fn cert_issuer_kind(&self) -> &str {
        self.computed("cert-issuer-kind")
    }
    /// Let's Encrypt server: `Some("prod")`, `Some("stag")` or `None` when disabled (`false`).
    pub fn letsencrypt_server(&self) -> Option<&'static str> {
        match self.computed("letsencrypt-server") {
            "false" => None,
            "stag" | "staging" => Some("stag"),
            _ => Some("prod"),
        }
    }
    pub fn letsencrypt_email_prod(&self) -> Option<&str> {
        self.non_empty("letsencrypt-email-prod")
    }
    pub fn letsencrypt_email_stag(&self) -> Option<&str> {
        self.non_empty("letsencrypt-email-stag")
    }
    pub fn kustomize_root_path(&self) -> &str {
        self.computed("kustomize-root-path")
    }
    pub fn node_sysctls_image(&self) -> &str {
        self.computed("node-sysctls-image")
    }
    pub fn node_sysctls_pause_image(&self) -> &str {
        self.computed("node-sysctls-pause-image")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, v: &str) -> Valid<String> {
        lookup_property(name)?.validate(v)
    }

    #[test]
    fn table_is_sorted_and_complete() {
        let names = property_names();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 18);
        for global_only in [
            "ingress-class",
            "kube-context",
            "kubeconfig-path",
            "network-interface",
            "node-sysctls-image",
            "node-sysctls-pause-image",
            "token",
        ] {
            let p = lookup_property(global_only).unwrap();
            assert!(p.check_scope(false).is_err());
            assert!(p.check_scope(true).is_ok());
        }
    }

    #[test]
    fn normalises() {
        assert_eq!(
            set("cert-issuer-kind", "clusterissuer").unwrap(),
            "ClusterIssuer"
        );
        assert_eq!(set("deploy-timeout", "60").unwrap(), "60s");
        assert_eq!(set("rollback-on-failure", "1").unwrap(), "true");
        assert_eq!(set("shm-size", "64").unwrap(), "64Mi");
    }

    #[test]
    fn rejects() {
        for (p, v) in [
            ("cert-issuer-kind", "Foo"),
            ("cert-issuer-name", "Bad_Name"),
            ("deploy-timeout", "soon"),
            ("image-pull-secrets", "a,,b"),
            ("ingress-class", "haproxy"),
            ("kubeconfig-path", "relative/k.yaml"),
            ("kustomize-root-path", "../x"),
            ("letsencrypt-email-prod", "not-an-email"),
            ("letsencrypt-server", "yes"),
            ("namespace", "Kube_System"),
            ("network-interface", "eth0/1"),
            ("node-sysctls-image", "Busybox"),
            ("rollback-on-failure", "maybe"),
            ("shm-size", "0"),
            ("token", "a b"),
            ("namespace", "a\nb"),
        ] {
            let e = set(p, v).unwrap_err();
            assert!(e.0.starts_with(&format!("invalid {p} {v:?}")), "{e}");
        }
        assert!(
            lookup_property("nope")
                .unwrap_err()
                .0
                .contains("valid properties include")
        );
    }

    #[test]
    fn images() {
        for ok in [
            "busybox",
            "busybox:1.36",
            "registry.k8s.io/pause:3.9",
            "localhost:5000/a/b:c",
            "ghcr.io/x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            validate_image_reference(ok).unwrap();
        }
        for bad in [
            "",
            "Busybox",
            "a:",
            "a::b",
            "/a",
            "a//b",
            "a b",
            "a@sha256:xyz",
        ] {
            assert!(validate_image_reference(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn resolves_app_global_default() {
        let mut app = RawProperties::new();
        let mut global = RawProperties::new();
        app.insert("namespace".into(), "team".into());
        app.insert("ingress-class".into(), "traefik".into()); // ignored: global-only
        global.insert("deploy-timeout".into(), "60s".into());
        let r = ResolvedProperties::resolve(&app, &global);
        assert_eq!(r.namespace(), "team");
        assert_eq!(r.deploy_timeout(), Duration::from_secs(60));
        assert_eq!(r.ingress_class(), "nginx");
        assert_eq!(r.get("deploy-timeout").app, "");
        assert!(!r.rollback_on_failure());
        assert_eq!(r.kube_context(), None);
    }
}
