//! The `scheduler-k3s` property table: every property's name, scopes, default and validator,
//! exactly the set of the reference (§2), plus the resolved (app → global → default) view the
//! deploy code reads.
//!
//! Validators are pure. The one check that needs IO (`kubeconfig-path` must be a readable file) is
//! flagged with [`PropertyDef::must_be_readable_file`] and done by the caller.

mod resolved;
mod validators;

use super::error::{InvalidValue, Valid, q};

pub use resolved::{PropertyValues, RawProperties, ResolvedProperties};
pub use validators::validate_image_reference;
use validators::*;

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
    /// A secret's value is never echoed: the error names the property and the rule only.
    pub fn validate(&self, value: &str) -> Valid<String> {
        if value.chars().any(|c| c.is_control()) {
            return Err(InvalidValue(format!(
                "Invalid {}{}: control characters (newlines, tabs) are not allowed",
                self.name,
                self.shown(value)
            )));
        }
        (self.normalize)(value).map_err(|e| {
            InvalidValue(format!(
                "Invalid {}{}: {}",
                self.name,
                self.shown(value),
                e.0
            ))
        })
    }

    /// ` "<value>"` for an error message, or ` (value not shown)` for a secret.
    fn shown(&self, value: &str) -> String {
        if self.secret {
            " (value not shown)".to_owned()
        } else {
            format!(" {}", q(value))
        }
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
        .ok_or_else(|| super::error::invalid_property(&property_names(), name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
            ("namespace", "a\nb"),
        ] {
            let e = set(p, v).unwrap_err();
            assert!(e.0.starts_with(&format!("Invalid {p} {v:?}")), "{e}");
        }
        for secret in ["a b", "tok\nen", &"x".repeat(513)] {
            let e = set("token", secret).unwrap_err();
            assert!(e.0.starts_with("Invalid token (value not shown): "), "{e}");
            assert!(!e.0.contains(secret), "{e}");
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
        assert_eq!(
            r.ingress_class(),
            crate::model::release::IngressClass::Nginx
        );
        assert_eq!(r.get("deploy-timeout").app, "");
        assert!(!r.rollback_on_failure());
        assert_eq!(r.kube_context(), None);
    }
}
