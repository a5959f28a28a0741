//! `ssh://[user@]host[:port]` targets. Parsing is strict on purpose: the host and user end up in
//! an `ssh` argv and in a Node annotation, so anything outside a small alphabet is refused before
//! any connection is attempted (`ssh://root@host;rm -rf /` never reaches a shell or a socket).

use std::fmt;

/// Default SSH port when the URL has none.
pub const DEFAULT_SSH_PORT: u16 = 22;

/// A URL failed validation; the message names the bad value and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ssh target {url:?}: {reason}")]
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
            url: url.to_owned(),
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
            assert!(e.to_string().contains("invalid ssh target"), "{e}");
        }
    }

    #[test]
    fn error_names_the_bad_character() {
        let e = SshTarget::parse("ssh://root@host;rm -rf /").unwrap_err();
        assert!(e.reason.contains("';'"), "{e}");
    }
}
