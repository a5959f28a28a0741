//! Port mappings as Dokku's `ports` plugin writes them: `scheme:host-port:container-port`.

use std::fmt;
use std::str::FromStr;

use super::error::{InvalidValue, Valid, q};

/// The protocol a port mapping is exposed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortScheme {
    Http,
    Https,
    Tcp,
    Udp,
}

impl PortScheme {
    pub const ALL: [PortScheme; 4] = [Self::Http, Self::Https, Self::Tcp, Self::Udp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }
}

impl fmt::Display for PortScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `scheme:host-port:container-port` mapping, e.g. `http:80:5000`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct PortMapping {
    pub scheme: PortScheme,
    pub host_port: u16,
    pub container_port: u16,
}

impl PortMapping {
    /// The mapping berth uses when none is configured (Dokku's default for a web app).
    pub const DEFAULT: PortMapping = PortMapping {
        scheme: PortScheme::Http,
        host_port: 80,
        container_port: 5000,
    };

    /// Kubernetes port name: `<scheme>-<host>-<container>`, e.g. `http-80-5000`.
    pub fn name(&self) -> String {
        format!("{}-{}-{}", self.scheme, self.host_port, self.container_port)
    }
}

fn parse_port(whole: &str, part: &str, which: &str) -> Valid<u16> {
    match part.parse::<u16>() {
        Ok(p) if p > 0 && part.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(InvalidValue(format!(
            "Invalid port mapping {}: {which} port {} must be a number from 1 to 65535",
            q(whole),
            q(part)
        ))),
    }
}

impl FromStr for PortMapping {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Valid<Self> {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 3 {
            return Err(InvalidValue(format!(
                "Invalid port mapping {}: use scheme:host-port:container-port, e.g. http:80:5000",
                q(s)
            )));
        }
        let scheme = PortScheme::ALL
            .into_iter()
            .find(|sc| sc.as_str() == parts[0])
            .ok_or_else(|| {
                InvalidValue(format!(
                    "Invalid port mapping {}: scheme {} must be one of http, https, tcp, udp",
                    q(s),
                    q(parts[0])
                ))
            })?;
        Ok(PortMapping {
            scheme,
            host_port: parse_port(s, parts[1], "host")?,
            container_port: parse_port(s, parts[2], "container")?,
        })
    }
}

impl TryFrom<String> for PortMapping {
    type Error = InvalidValue;
    fn try_from(s: String) -> Valid<Self> {
        s.parse()
    }
}

impl From<PortMapping> for String {
    fn from(p: PortMapping) -> String {
        p.to_string()
    }
}

impl fmt::Display for PortMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.scheme, self.host_port, self.container_port
        )
    }
}

/// What `ports:remove` takes: a bare host port (every mapping on it) or one whole mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSelector {
    HostPort(u16),
    Mapping(PortMapping),
}

impl PortSelector {
    /// True when `m` is selected.
    pub fn matches(&self, m: &PortMapping) -> bool {
        match self {
            PortSelector::HostPort(port) => m.host_port == *port,
            PortSelector::Mapping(mapping) => m == mapping,
        }
    }
}

impl FromStr for PortSelector {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Valid<Self> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().map(PortSelector::HostPort).map_err(|_| {
                InvalidValue(format!(
                    "Invalid host port {}: use a number from 1 to 65535",
                    q(s)
                ))
            });
        }
        s.parse().map(PortSelector::Mapping)
    }
}

/// Sort and deduplicate `list`, then refuse two mappings that claim the same host port for the
/// same protocol family (UDP, or the TCP-based schemes).
pub fn normalise(list: &mut Vec<PortMapping>) -> Valid<()> {
    list.sort();
    list.dedup();
    let udp = |m: &PortMapping| m.scheme == PortScheme::Udp;
    for (i, a) in list.iter().enumerate() {
        for b in &list[i + 1..] {
            if a.host_port == b.host_port && udp(a) == udp(b) {
                return Err(InvalidValue(format!(
                    "port mappings {a} and {b} both use host port {}; remove one first",
                    a.host_port
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let p: PortMapping = "http:80:5000".parse().unwrap();
        assert_eq!(p, PortMapping::DEFAULT);
        assert_eq!(p.to_string(), "http:80:5000");
        assert_eq!(p.name(), "http-80-5000");
        let u: PortMapping = "udp:53:5353".parse().unwrap();
        assert_eq!(u.scheme, PortScheme::Udp);
    }

    #[test]
    fn rejects_bad_mappings() {
        for bad in [
            "",
            "http",
            "http:80",
            "http:80:5000:1",
            "ftp:21:21",
            "HTTP:80:5000",
            "http:0:5000",
            "http:80:0",
            "http:65536:1",
            "http:-1:5000",
            "http:+80:5000",
            "http: 80:5000",
        ] {
            let e = bad.parse::<PortMapping>().unwrap_err();
            assert!(e.0.starts_with("Invalid port mapping"), "{e}");
        }
    }

    #[test]
    fn selectors_and_conflicts() {
        let web: PortSelector = "80".parse().unwrap();
        assert!(web.matches(&PortMapping::DEFAULT));
        let exact: PortSelector = "http:80:5000".parse().unwrap();
        assert!(exact.matches(&PortMapping::DEFAULT));
        assert!(!exact.matches(&"http:80:3000".parse().unwrap()));
        assert!(
            "99999"
                .parse::<PortSelector>()
                .unwrap_err()
                .0
                .contains("host port")
        );

        let mut list: Vec<PortMapping> = ["http:80:5000", "http:80:5000", "udp:80:53"]
            .map(|m| m.parse().unwrap())
            .to_vec();
        normalise(&mut list).unwrap();
        assert_eq!(
            list.len(),
            2,
            "duplicates dropped, udp and http may share a port"
        );
        list.push("https:80:3000".parse().unwrap());
        let e = normalise(&mut list).unwrap_err();
        assert!(e.0.contains("both use host port 80"), "{e}");
    }
}
