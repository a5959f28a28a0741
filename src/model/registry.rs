//! Registry settings (`registry:*`): properties and stored logins.

use std::collections::BTreeMap;

use super::error::{InvalidValue, Valid, q};

/// `registry:set` properties: (name, default, description).
pub const REGISTRY_PROPERTIES: [(&str, &str, &str); 3] = [
    (
        "image-repo",
        "",
        "Repository the app image is pushed to (default: the app name)",
    ),
    (
        "push-on-release",
        "false",
        "Push the image to the registry on release: true or false",
    ),
    (
        "server",
        "",
        "Registry host[:port] images are pushed to and pulled from",
    ),
];

/// Validate a registry property value; returns the stored form.
pub fn validate_registry_property(name: &str, value: &str) -> Valid<String> {
    match name {
        "server" => validate_registry_server(value).map(|_| value.to_owned()),
        "image-repo" => validate_image_repo(value).map(|_| value.to_owned()),
        "push-on-release" => match value {
            "true" | "false" => Ok(value.to_owned()),
            _ => Err(InvalidValue(format!(
                "Invalid push-on-release {}: valid values are true and false",
                q(value)
            ))),
        },
        _ => Err(InvalidValue(format!(
            "Invalid property specified, valid properties include: image-repo, push-on-release, server; got {}",
            q(name)
        ))),
    }
}

/// A registry host: `host[:port]` with DNS labels (or `localhost`), optionally a path-free URL
/// scheme-less form such as `ghcr.io` or `registry.example.com:5000`.
pub fn validate_registry_server(s: &str) -> Valid<()> {
    let err = || {
        InvalidValue(format!(
            "Invalid registry server {}: use host[:port] such as ghcr.io or registry.example.com:5000 (no scheme or path)",
            q(s)
        ))
    };
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    let port_ok = port.is_none_or(|p| {
        p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(err())
    }
}

/// An image repository path: lowercase components `[a-z0-9]+([._-][a-z0-9]+)*` joined by `/`.
pub fn validate_image_repo(s: &str) -> Valid<()> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && c.as_bytes()[0].is_ascii_alphanumeric()
            && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
    };
    if s.len() <= 255 && s.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(InvalidValue(format!(
            "Invalid image-repo {}: use lowercase path components such as team/my-app",
            q(s)
        )))
    }
}

/// One stored registry login. The password is a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegistryLogin {
    pub username: String,
    pub password: String,
}

/// `registry-credentials.json` (0600): server → login.
pub type RegistryLogins = BTreeMap<String, RegistryLogin>;

/// Check a login's username and password.
pub fn validate_login(username: &str, password: &str) -> Valid<()> {
    if username.is_empty()
        || username.len() > 256
        || username.chars().any(|c| c.is_control() || c == ':')
    {
        return Err(InvalidValue(format!(
            "Invalid registry username {}: use 1-256 printable characters without ':'",
            q(username)
        )));
    }
    if password.is_empty() || password.len() > 4096 || password.chars().any(|c| c.is_control()) {
        return Err(InvalidValue::new(
            "Invalid registry password: must be 1-4096 printable characters (value not shown)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_and_repos() {
        for ok in [
            "ghcr.io",
            "localhost:5000",
            "registry.example.com:443",
            "docker.io",
        ] {
            validate_registry_server(ok).unwrap();
        }
        for bad in ["", "https://ghcr.io", "ghcr.io/x", "a:0", "a:b", "-a.io"] {
            assert!(validate_registry_server(bad).is_err(), "{bad:?}");
        }
        validate_image_repo("team/my-app").unwrap();
        assert!(validate_image_repo("Team/app").is_err());
        assert!(validate_image_repo("a//b").is_err());
    }
}
