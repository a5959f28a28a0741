//! Domains (virtual hosts) an app answers on: hostnames, optionally with a leading `*.` wildcard.

use std::fmt;
use std::str::FromStr;

use super::error::{InvalidValue, Valid, q};
use super::names::{AppName, DNS1123_SUBDOMAIN_MAX};

/// A hostname usable as an Ingress host: lowercase DNS labels (`[a-z0-9-]`, 1–63 chars, no dash at
/// either end) joined by dots, at most 253 chars, optionally starting with `*.`. Stored lowercased.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with("*.")
    }

    /// The default vhost Dokku gives an app under a global domain: `<app>.<global domain>`.
    /// `None` when the global domain is a wildcard (no sensible child name).
    pub fn app_vhost(app: &AppName, global: &Domain) -> Option<Domain> {
        if global.is_wildcard() {
            return None;
        }
        format!("{app}.{global}").parse().ok()
    }

    /// Slug used in object names: dots become dashes, a leading `*.` becomes `wildcard-`.
    pub fn slug(&self) -> String {
        match self.0.strip_prefix("*.") {
            Some(rest) => format!("wildcard-{}", rest.replace('.', "-")),
            None => self.0.replace('.', "-"),
        }
    }
}

fn is_host_label(l: &str) -> bool {
    !l.is_empty()
        && l.len() <= 63
        && l.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !l.starts_with('-')
        && !l.ends_with('-')
}

impl FromStr for Domain {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Valid<Self> {
        let lower = s.to_ascii_lowercase();
        let host = lower.strip_prefix("*.").unwrap_or(&lower);
        let ok = !host.is_empty()
            && lower.len() <= DNS1123_SUBDOMAIN_MAX
            && host.split('.').all(is_host_label);
        if !ok {
            return Err(InvalidValue(format!(
                "Invalid domain {}: use a hostname of dot-separated labels (letters, digits and dashes, 1-63 chars each, 253 in total), optionally starting with \"*.\"",
                q(s)
            )));
        }
        if host.parse::<std::net::Ipv4Addr>().is_ok() {
            return Err(InvalidValue(format!(
                "Invalid domain {}: an IP address cannot be an ingress host; use a DNS name",
                q(s)
            )));
        }
        if host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(InvalidValue(format!(
                "Invalid domain {}: the last label must not be all digits",
                q(s)
            )));
        }
        Ok(Domain(lower))
    }
}

impl TryFrom<String> for Domain {
    type Error = InvalidValue;
    fn try_from(s: String) -> Valid<Self> {
        s.parse()
    }
}

impl From<Domain> for String {
    fn from(d: Domain) -> String {
        d.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An app's domains (`domains.json`): its vhosts and whether vhosts are enabled at all.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppDomains {
    pub vhosts: Vec<Domain>,
    pub enabled: bool,
}

impl Default for AppDomains {
    fn default() -> Self {
        AppDomains {
            vhosts: Vec::new(),
            enabled: true,
        }
    }
}

impl AppDomains {
    /// The domains a new app gets: `<app>.<global domain>` for every global domain.
    pub fn for_new_app(app: &AppName, global: &[Domain]) -> AppDomains {
        let mut vhosts: Vec<Domain> = global
            .iter()
            .filter_map(|g| Domain::app_vhost(app, g))
            .collect();
        vhosts.sort();
        vhosts.dedup();
        AppDomains {
            vhosts,
            enabled: true,
        }
    }

    /// Add domains, keeping the list sorted and free of duplicates.
    pub fn add(&mut self, domains: &[Domain]) {
        self.vhosts.extend_from_slice(domains);
        self.vhosts.sort();
        self.vhosts.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hosts_and_wildcards() {
        for ok in [
            "example.com",
            "a.b-c.example.com",
            "*.example.com",
            "localhost",
            "x1.io",
        ] {
            assert_eq!(ok.parse::<Domain>().unwrap().as_str(), ok);
        }
        assert_eq!(
            "App.Example.COM".parse::<Domain>().unwrap().as_str(),
            "app.example.com"
        );
        assert_eq!(
            "*.example.com".parse::<Domain>().unwrap().slug(),
            "wildcard-example-com"
        );
        assert_eq!(
            "app.example.com".parse::<Domain>().unwrap().slug(),
            "app-example-com"
        );
    }

    #[test]
    fn rejects_bad_hosts() {
        let long = format!("{}.com", "a".repeat(64));
        for bad in [
            "",
            "*.",
            "*",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "a.*.com",
            "**.a.com",
            "10.0.0.1",
            "a b.com",
            "http://a.com",
            "a.com/",
            "a.123",
            &long,
        ] {
            let e = bad.parse::<Domain>().unwrap_err();
            assert!(e.0.starts_with("Invalid domain"), "{bad}: {e}");
        }
    }

    #[test]
    fn app_vhost() {
        let app: AppName = "web".parse().unwrap();
        let g: Domain = "example.com".parse().unwrap();
        assert_eq!(
            Domain::app_vhost(&app, &g).unwrap().as_str(),
            "web.example.com"
        );
    }
}
