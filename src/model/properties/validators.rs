//! Validators of the property values: each checks a non-empty value and returns its stored form.
//! The error text says what is allowed; [`super::PropertyDef::validate`] prefixes the property name
//! and the value.

use super::super::domain::Domain;
use super::super::duration::parse_duration;
use super::super::error::{InvalidValue, Valid};
use super::super::names::{is_dns1123_label, is_dns1123_subdomain};
use super::super::quantity::MemoryQuantity;

pub(super) fn cert_issuer_kind(s: &str) -> Valid<String> {
    match s.to_ascii_lowercase().as_str() {
        "issuer" => Ok("Issuer".into()),
        "clusterissuer" => Ok("ClusterIssuer".into()),
        _ => Err(InvalidValue::new(
            "valid values are Issuer and ClusterIssuer",
        )),
    }
}

pub(super) fn cert_issuer_name(s: &str) -> Valid<String> {
    if s == "false" || is_dns1123_subdomain(s) {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue::new(
            "use a DNS-1123 subdomain (lowercase letters, digits, '-' and '.') or false",
        ))
    }
}

pub(super) fn deploy_timeout(s: &str) -> Valid<String> {
    parse_duration(s).map(|(_, stored)| stored).map_err(|_| {
        InvalidValue::new("use a duration such as 60s, 5m or 1h30m (a bare integer means seconds)")
    })
}

pub(super) fn secret_names(s: &str) -> Valid<String> {
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

pub(super) fn ingress_class(s: &str) -> Valid<String> {
    match s {
        "nginx" | "traefik" => Ok(s.to_owned()),
        _ => Err(InvalidValue::new("valid values are nginx and traefik")),
    }
}

pub(super) fn kube_context(s: &str) -> Valid<String> {
    if s.len() > 253 || s.trim() != s {
        return Err(InvalidValue::new(
            "use a context name from the kubeconfig (at most 253 characters, no surrounding spaces)",
        ));
    }
    Ok(s.to_owned())
}

pub(super) fn absolute_path(s: &str) -> Valid<String> {
    if !s.starts_with('/') || s.len() > 4096 {
        return Err(InvalidValue::new(
            "use an absolute path to a kubeconfig file",
        ));
    }
    Ok(s.to_owned())
}

pub(super) fn relative_path(s: &str) -> Valid<String> {
    if s.starts_with('/') || s.split('/').any(|c| c == "..") || s.len() > 4096 {
        return Err(InvalidValue::new(
            "use a path relative to the repository root without '..', e.g. config/kustomize",
        ));
    }
    Ok(s.to_owned())
}

pub(super) fn email(s: &str) -> Valid<String> {
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

pub(super) fn letsencrypt_server(s: &str) -> Valid<String> {
    match s {
        "prod" | "production" | "stag" | "staging" | "false" => Ok(s.to_owned()),
        _ => Err(InvalidValue::new(
            "valid values are prod, production, stag, staging, and false",
        )),
    }
}

pub(super) fn namespace(s: &str) -> Valid<String> {
    if is_dns1123_label(s) {
        Ok(s.to_owned())
    } else {
        Err(InvalidValue::new(
            "use a DNS-1123 label: 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit",
        ))
    }
}

pub(super) fn network_interface(s: &str) -> Valid<String> {
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

pub(super) fn boolean(s: &str) -> Valid<String> {
    match s {
        "true" | "True" | "TRUE" | "1" | "t" | "T" => Ok("true".into()),
        "false" | "False" | "FALSE" | "0" | "f" | "F" => Ok("false".into()),
        _ => Err(InvalidValue::new("valid values are true and false")),
    }
}

pub(super) fn shm_size(s: &str) -> Valid<String> {
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

pub(super) fn token(s: &str) -> Valid<String> {
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
