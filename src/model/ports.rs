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
            "invalid port mapping {}: {which} port {} must be a number from 1 to 65535",
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
                "invalid port mapping {}: use scheme:host-port:container-port, e.g. http:80:5000",
                q(s)
            )));
        }
        let scheme = PortScheme::ALL
            .into_iter()
            .find(|sc| sc.as_str() == parts[0])
            .ok_or_else(|| {
                InvalidValue(format!(
                    "invalid port mapping {}: scheme {} must be one of http, https, tcp, udp",
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
            assert!(e.0.starts_with("invalid port mapping"), "{e}");
        }
    }
}
