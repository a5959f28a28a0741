//! `ssh://[user@]host[:port]` targets. Parsing is strict on purpose: the host and user end up in
//! an `ssh` argv and in a Node annotation, so anything outside a small alphabet is refused before
//! any connection is attempted (`ssh://root@host;rm -rf /` never reaches a shell or a socket).

use std::fmt;

/// Default SSH port when the URL has none.
pub const DEFAULT_SSH_PORT: u16 = 22;

/// A URL failed validation; the message names the bad value and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid ssh target {url:?}: {reason}")]
pub struct TargetError {
    pub url: String,
    pub reason: String,
}

/// A validated remote host: where to connect and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    /// Remote login; `None` lets OpenSSH pick (ssh_config `User`, else the local user name).
    pub user: Option<String>,
    /// Hostname, IPv4 address or IPv6 address (without brackets).
    pub host: String,
    pub port: u16,
}

impl SshTarget {
    /// Parse and validate `ssh://[user@]host[:port][/]`.
    pub fn parse(url: &str) -> Result<SshTarget, TargetError> {
        let err = |reason: String| TargetError {
            url: redact_password(url),
            reason,
        };
        let rest = url.strip_prefix("ssh://").ok_or_else(|| {
            err("the target must start with ssh:// (for example ssh://root@10.0.0.2:22)".into())
        })?;
        if let Some(bad) = rest.chars().find(|c| !is_url_char(*c)) {
            return Err(err(format!(
                "character {bad:?} is not allowed; use ssh://user@host[:port] with letters, digits, '.', '-', '_' and [IPv6] only"
            )));
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            return Err(err("a path is not allowed after the host".into()));
        }
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((user, hostport)) => (Some(user), hostport),
            None => (None, rest),
        };
        let user = match user {
            None => None,
            Some(u) if u.contains(':') => {
                return Err(err(
                    "passwords in ssh:// URLs are not supported; authenticate with a key (BERTH_SSH_KEY or ~/.ssh/id_ed25519)".into(),
                ));
            }
            Some(u) if !is_valid_user(u) => {
                return Err(err(format!(
                    "user {u:?} is not a valid login name (1-32 of a-z, A-Z, 0-9, '.', '_', '-', not starting with '-')"
                )));
            }
            Some(u) => Some(u.to_owned()),
        };
        let (host, port) = split_host_port(hostport).map_err(&err)?;
        Ok(SshTarget { user, host, port })
    }

    /// `host` as OpenSSH and URLs want it (IPv6 in brackets).
    pub fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Display for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        write!(f, "{}:{}", self.host_for_url(), self.port)
    }
}

/// `url` with the password of a `user:password@` part replaced by `***`: an error names the
/// target but never a secret typed into it.
fn redact_password(url: &str) -> String {
    let Some(rest) = url.strip_prefix("ssh://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("ssh://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The address a numeric IPv4 spelling stands for, the way `inet_aton` (and so OpenSSH and
/// every resolver) reads it: `127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1` are all
/// 127.0.0.1 and `0` is 0.0.0.0. `None` when `host` is not numeric.
fn numeric_ipv4(host: &str) -> Option<Result<std::net::Ipv4Addr, ()>> {
    let labels: Vec<&str> = host.split('.').collect();
    let numeric = |l: &str| {
        !l.is_empty()
            && (l.bytes().all(|b| b.is_ascii_digit())
                || l.strip_prefix("0x")
                    .or_else(|| l.strip_prefix("0X"))
                    .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())))
    };
    if !labels.iter().all(|l| numeric(l)) {
        return None;
    }
    let value = |l: &str| -> Option<u64> {
        if let Some(h) = l.strip_prefix("0x").or_else(|| l.strip_prefix("0X")) {
            if h.is_empty() {
                return Some(0);
            }
            u64::from_str_radix(h, 16).ok()
        } else if l.len() > 1 && l.starts_with('0') {
            u64::from_str_radix(&l[1..], 8).ok()
        } else {
            l.parse().ok()
        }
    };
    let Some(parts) = labels
        .iter()
        .map(|l| value(l))
        .collect::<Option<Vec<u64>>>()
    else {
        return Some(Err(()));
    };
    let (head, last) = parts.split_at(parts.len() - 1);
    if parts.len() > 4 || head.iter().any(|&p| p > 255) {
        return Some(Err(()));
    }
    let last_bits = 8 * (4 - head.len() as u32);
    if last[0] >= 1u64 << last_bits {
        return Some(Err(()));
    }
    let mut addr = last[0];
    for (i, &p) in head.iter().enumerate() {
        addr |= p << (24 - 8 * i as u32);
    }
    Some(Ok(std::net::Ipv4Addr::from(addr as u32)))
}

/// The one spelling of a numeric host (`127.1` → `127.0.0.1`, `0:0::1` → `::1`), refusing
/// addresses no node can have. Hostnames are returned unchanged.
fn canonical_host(host: String) -> Result<String, String> {
    use std::net::IpAddr;
    let ip: IpAddr = if host.contains(':') {
        match host.parse::<std::net::Ipv6Addr>() {
            Ok(v6) => IpAddr::V6(v6),
            Err(_) => return Err(format!("{host:?} is not a valid IPv6 address")),
        }
    } else {
        match numeric_ipv4(&host) {
            None => return Ok(host),
            Some(Ok(v4)) => IpAddr::V4(v4),
            Some(Err(())) => return Err(format!("host {host:?} is not a valid IPv4 address")),
        }
    };
    let shown = if ip.to_string() == host {
        String::new()
    } else {
        format!(" ({ip})")
    };
    if ip.is_unspecified() {
        return Err(format!(
            "host {host:?}{shown} is the unspecified address, not a host; use the node's address"
        ));
    }
    if ip.is_multicast() || ip == IpAddr::V4(std::net::Ipv4Addr::BROADCAST) {
        return Err(format!(
            "host {host:?}{shown} is a multicast or broadcast address, not a host"
        ));
    }
    Ok(ip.to_string())
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@' | ':' | '[' | ']' | '/')
}

fn is_valid_user(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 32
        && !u.starts_with('-')
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn split_host_port(hostport: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (v6, after) = inner
            .split_once(']')
            .ok_or_else(|| "an IPv6 address must be closed with ']'".to_owned())?;
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{v6:?} is not a valid IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("unexpected {p:?} after the IPv6 address"))?,
            ),
        };
        (v6.to_owned(), port)
    } else {
        if hostport.contains('[') || hostport.contains(']') {
            return Err("brackets are only allowed around an IPv6 address".into());
        }
        match hostport.split_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (hostport.to_owned(), None),
        }
    };
    if host.is_empty() {
        return Err("the host is missing".into());
    }
    if !host.contains(':') && !is_valid_hostname(&host) {
        return Err(format!(
            "host {host:?} is not a valid hostname or IP address (dot-separated labels of letters, digits and '-')"
        ));
    }
    let host = canonical_host(host)?;
    let port = match port {
        None => DEFAULT_SSH_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("port {p:?} is not a number between 1 and 65535")),
        },
    };
    Ok((host, port))
}

fn is_valid_hostname(h: &str) -> bool {
    h.len() <= 253
        && h.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_host_port() {
        let t = SshTarget::parse("ssh://root@10.0.0.2:2222").unwrap();
        assert_eq!(t.user.as_deref(), Some("root"));
        assert_eq!(t.host, "10.0.0.2");
        assert_eq!(t.port, 2222);
        assert_eq!(t.to_string(), "ssh://root@10.0.0.2:2222");
    }

    #[test]
    fn defaults_port_and_user() {
        let t = SshTarget::parse("ssh://node-1.example.com/").unwrap();
        assert_eq!(t.user, None);
        assert_eq!(t.port, 22);
    }

    #[test]
    fn parses_ipv6() {
        let t = SshTarget::parse("ssh://ubuntu@[fd00::2]:22").unwrap();
        assert_eq!(t.host, "fd00::2");
        assert_eq!(t.host_for_url(), "[fd00::2]");
    }

    #[test]
    fn rejects_hostile_and_malformed_urls() {
        for bad in [
            "ssh://root@host;rm -rf /",
            "ssh://root@host rm",
            "ssh://root@host'x",
            "ssh://root@host\"x",
            "ssh://root@$(id)",
            "ssh://root@`id`",
            "ssh://root@host|sh",
            "ssh://root@host&",
            "ssh://root@host\nx",
            "ssh://-oProxyCommand=x@host",
            "ssh://root@-oProxyCommand",
            "ssh://root:pw@host",
            "ssh://root@host:0",
            "ssh://root@host:99999",
            "ssh://root@host:abc",
            "ssh://root@",
            "ssh://root@host/path",
            "ssh://root@[::zz]",
            "http://root@host",
            "root@host",
            "ssh://root@ho..st",
        ] {
            let e = SshTarget::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("Invalid ssh target"), "{e}");
        }
    }

    #[test]
    fn numeric_hosts_are_canonical_and_unspecified_ones_refused() {
        for (url, host) in [
            ("ssh://root@127.1", "127.0.0.1"),
            ("ssh://root@0x7f000001", "127.0.0.1"),
            ("ssh://root@2130706433", "127.0.0.1"),
            ("ssh://root@0177.0.0.1", "127.0.0.1"),
            ("ssh://root@10.0.513", "10.0.2.1"),
            ("ssh://root@[0:0::1]", "::1"),
            ("ssh://root@10.0.0.2", "10.0.0.2"),
            ("ssh://root@node1", "node1"),
            ("ssh://root@1-2.example", "1-2.example"),
        ] {
            assert_eq!(SshTarget::parse(url).unwrap().host, host, "{url}");
        }
        for (url, why) in [
            (
                "ssh://root@0",
                "host \"0\" (0.0.0.0) is the unspecified address",
            ),
            (
                "ssh://root@0.0.0.0",
                "host \"0.0.0.0\" is the unspecified address",
            ),
            ("ssh://root@0x0", "(0.0.0.0) is the unspecified address"),
            ("ssh://root@[::]", "is the unspecified address"),
            (
                "ssh://root@256.1.1.1",
                "host \"256.1.1.1\" is not a valid IPv4 address",
            ),
            ("ssh://root@1.2.3.4.5", "is not a valid IPv4 address"),
            ("ssh://root@08", "is not a valid IPv4 address"),
            ("ssh://root@224.0.0.1", "multicast or broadcast"),
        ] {
            let e = SshTarget::parse(url).unwrap_err().to_string();
            assert!(e.contains(why), "{url}: {e}");
        }
    }

    #[test]
    fn passwords_are_never_echoed() {
        for url in [
            "ssh://root:hunter2@10.0.0.9",
            "ssh://root:hun ter2@10.0.0.9",
        ] {
            let e = SshTarget::parse(url).unwrap_err().to_string();
            assert!(!e.contains("hunter2") && !e.contains("hun ter2"), "{e}");
            assert!(e.contains("ssh://root:***@10.0.0.9"), "{e}");
        }
    }

    #[test]
    fn error_names_the_bad_character() {
        let e = SshTarget::parse("ssh://root@host;rm -rf /").unwrap_err();
        assert!(e.reason.contains("';'"), "{e}");
    }
}
