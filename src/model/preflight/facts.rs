//! What the preflight knows of a host, parsed from the output of one fixed probe script
//! ([`PROBE_SCRIPT`]) that runs the same way on this host (`sh -c`) and on a remote one (over
//! SSH): sections of `/etc/os-release`, `/proc/meminfo`, `/proc/net/{tcp,udp}{,6}`, `uname`, the
//! init system, the clock, an installed k3s, the downloaders, the route to the server and a TCP
//! connect to each server port. Pure: the text in, typed facts out.

use std::collections::{BTreeMap, BTreeSet};

/// The probe. Every value reaches it as a positional argument (`$1` k3s binary or empty,
/// `$2` server address or empty, then the server ports), never inside this text. Each section
/// starts with a `@@berth-<name>` line; a missing tool leaves its section empty.
pub const PROBE_SCRIPT: &str = r#"k3s_bin=$1; server=$2; shift 2
section() { printf '@@berth-%s\n' "$1"; }
section uid; id -u
section user; id -un 2>/dev/null
section sudo; if [ "$(id -u)" = 0 ]; then echo root; elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then echo sudo; else echo none; fi
section uname; uname -s; uname -r; uname -m
section os; cat /etc/os-release 2>/dev/null
section init
[ -x /sbin/openrc-run ] && echo openrc
{ [ -x /bin/systemctl ] || command -v systemctl >/dev/null 2>&1; } && echo systemctl
[ -d /run/systemd/system ] && echo systemd-running
echo "pid1 $(cat /proc/1/comm 2>/dev/null)"
section meminfo; cat /proc/meminfo 2>/dev/null
section tcp; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null
section udp; cat /proc/net/udp /proc/net/udp6 2>/dev/null
section time; date +%s
section k3s
[ -n "$k3s_bin" ] || k3s_bin=$(command -v k3s 2>/dev/null || echo /usr/local/bin/k3s)
[ -x "$k3s_bin" ] && "$k3s_bin" --version 2>/dev/null | head -n 1
section downloader; command -v curl 2>/dev/null; command -v wget 2>/dev/null
section route; [ -n "$server" ] && command -v ip >/dev/null 2>&1 && ip -o route get "$server" 2>&1
section reach
if [ -n "$server" ]; then
  if command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1; then
    for port in "$@"; do
      out=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$server" "$port" 2>&1)
      echo "$port $? $out"
    done
  else
    echo "untestable"
  fi
fi
section end
"#;

/// How a host gives berth root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    Root,
    /// Passwordless `sudo -n`.
    Sudo,
    None,
}

/// The init system, as the k3s installer detects it, plus whether systemd actually runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitFacts {
    pub openrc: bool,
    pub systemctl: bool,
    pub systemd_running: bool,
    /// The command name of PID 1 (`systemd`, `init`, …).
    pub pid1: Option<String>,
}

/// `MemTotal` and `MemAvailable` of `/proc/meminfo`, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub total_kib: u64,
    pub available_kib: u64,
}

/// The outcome of a TCP connect from the host to a server port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Connected,
    Refused(String),
    /// No answer within the probe's 5 s.
    TimedOut,
    /// The connect failed otherwise (no route, name not resolved, …).
    Failed(String),
}

/// Everything the probe found; `None` where the host did not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFacts {
    pub uid: Option<u32>,
    pub user: Option<String>,
    pub privilege: Option<Privilege>,
    /// `uname -s`, `-r`, `-m`.
    pub kernel: Option<(String, String, String)>,
    /// `/etc/os-release` keys (`PRETTY_NAME`, `ID`, …), quotes removed.
    pub os_release: BTreeMap<String, String>,
    pub init: InitFacts,
    pub memory: Option<Memory>,
    /// Ports with a listening TCP socket (any address, IPv4 or IPv6).
    pub tcp_listening: Option<BTreeSet<u16>>,
    /// Ports with a bound UDP socket.
    pub udp_bound: Option<BTreeSet<u16>>,
    /// The host's clock (Unix seconds) when the probe ran.
    pub unix_time: Option<i64>,
    /// First line of `k3s --version` when k3s is installed.
    pub k3s_version: Option<String>,
    /// `curl` / `wget` paths found.
    pub downloaders: Vec<String>,
    /// `ip -o route get <server>`.
    pub route: Option<String>,
    /// Per server port: the connect outcome; `None` when the probe could not test (no bash or
    /// timeout on the host), empty when there was no server to test.
    pub reach: Option<Vec<(u16, Reach)>>,
}

/// Split probe output into its sections.
fn sections(text: &str) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut current: Option<&str> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("@@berth-") {
            current = Some(name.trim());
            out.entry(name.trim()).or_default();
        } else if let Some(name) = current {
            out.entry(name).or_default().push(line);
        }
    }
    out
}

fn first_nonempty<'a>(lines: Option<&Vec<&'a str>>) -> Option<&'a str> {
    lines?.iter().map(|l| l.trim()).find(|l| !l.is_empty())
}

impl HostFacts {
    /// Parse the probe's output. Sections that are missing or garbled leave their fact unknown.
    pub fn parse(text: &str) -> HostFacts {
        let s = sections(text);
        let uid = first_nonempty(s.get("uid")).and_then(|l| l.parse().ok());
        let privilege = first_nonempty(s.get("sudo")).and_then(|l| match l {
            "root" => Some(Privilege::Root),
            "sudo" => Some(Privilege::Sudo),
            "none" => Some(Privilege::None),
            _ => None,
        });
        let kernel = s.get("uname").and_then(|l| match l.as_slice() {
            [sys, rel, mach, ..] => Some((
                sys.trim().to_owned(),
                rel.trim().to_owned(),
                mach.trim().to_owned(),
            )),
            _ => None,
        });
        let init = s
            .get("init")
            .map(|lines| InitFacts {
                openrc: lines.iter().any(|l| l.trim() == "openrc"),
                systemctl: lines.iter().any(|l| l.trim() == "systemctl"),
                systemd_running: lines.iter().any(|l| l.trim() == "systemd-running"),
                pid1: lines
                    .iter()
                    .find_map(|l| l.trim().strip_prefix("pid1"))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            })
            .unwrap_or_default();
        HostFacts {
            uid,
            user: first_nonempty(s.get("user")).map(str::to_owned),
            privilege,
            kernel,
            os_release: s.get("os").map(|l| parse_os_release(l)).unwrap_or_default(),
            init,
            memory: s.get("meminfo").and_then(|l| parse_meminfo(l)),
            tcp_listening: s
                .get("tcp")
                .filter(|l| !l.is_empty())
                .map(|l| proc_net_ports(l, Some("0A"))),
            udp_bound: s
                .get("udp")
                .filter(|l| !l.is_empty())
                .map(|l| proc_net_ports(l, None)),
            unix_time: first_nonempty(s.get("time")).and_then(|l| l.parse().ok()),
            k3s_version: first_nonempty(s.get("k3s")).map(str::to_owned),
            downloaders: s
                .get("downloader")
                .map(|l| {
                    l.iter()
                        .map(|x| x.trim())
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            route: first_nonempty(s.get("route")).map(str::to_owned),
            reach: s.get("reach").and_then(|l| parse_reach(l)),
        }
    }
}

/// `KEY=value` / `KEY="value"` lines of os-release(5).
pub fn parse_os_release(lines: &[&str]) -> BTreeMap<String, String> {
    lines
        .iter()
        .filter_map(|l| l.trim().split_once('='))
        .filter(|(k, _)| !k.is_empty() && !k.starts_with('#'))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// `MemTotal` and `MemAvailable` (kernels before 3.14 lack the latter: then `MemFree`).
pub fn parse_meminfo(lines: &[&str]) -> Option<Memory> {
    let value = |key: &str| {
        lines.iter().find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    let total_kib = value("MemTotal")?;
    let available_kib = value("MemAvailable").or_else(|| value("MemFree"))?;
    Some(Memory {
        total_kib,
        available_kib,
    })
}

/// Local ports of `/proc/net/{tcp,udp}[6]` rows, optionally only those in socket state `state`
/// (`0A` is TCP LISTEN). Header lines and garbled rows are skipped.
pub fn proc_net_ports(lines: &[&str], state: Option<&str>) -> BTreeSet<u16> {
    lines
        .iter()
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            let local = fields.get(1)?;
            let st = fields.get(3)?;
            if state.is_some_and(|want| !st.eq_ignore_ascii_case(want)) {
                return None;
            }
            let (_, port) = local.rsplit_once(':')?;
            u16::from_str_radix(port, 16).ok()
        })
        .filter(|p| *p != 0)
        .collect()
}

/// `<port> <exit code> <message>` lines of the reach section.
fn parse_reach(lines: &[&str]) -> Option<Vec<(u16, Reach)>> {
    if lines.iter().any(|l| l.trim() == "untestable") {
        return None;
    }
    Some(
        lines
            .iter()
            .filter_map(|l| {
                let mut parts = l.trim().splitn(3, ' ');
                let port = parts.next()?.parse::<u16>().ok()?;
                let code = parts.next()?.parse::<i32>().ok()?;
                let message = parts.next().unwrap_or("").trim();
                // bash prefixes its message with the script position; keep the reason only.
                let reason = message.rsplit(": ").next().unwrap_or(message).to_owned();
                let reach = match code {
                    0 => Reach::Connected,
                    124 => Reach::TimedOut,
                    _ if message.contains("Connection refused") => Reach::Refused(reason),
                    _ if message.contains("timed out") => Reach::TimedOut,
                    _ => Reach::Failed(if reason.is_empty() {
                        format!("exit code {code}")
                    } else {
                        reason
                    }),
                };
                Some((port, reach))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROBE_OUTPUT: &str = "@@berth-uid\n1000\n@@berth-user\nadmin\n@@berth-sudo\nsudo\n\
@@berth-uname\nLinux\n6.1.0-18-amd64\nx86_64\n\
@@berth-os\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID='12'\n\
@@berth-init\nsystemctl\nsystemd-running\npid1 systemd\n\
@@berth-meminfo\nMemTotal:        4028440 kB\nMemFree:          123456 kB\nMemAvailable:    3012345 kB\n\
@@berth-tcp\n  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1932 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n\
   1: 0100007F:D3A2 0100007F:1932 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n\
   0: 00000000000000000000000000000000:2802 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1\n\
@@berth-udp\n  sl  local_address rem_address   st\n   5: 00000000:CA6C 00000000:0000 07 00000000:00000000\n\
@@berth-time\n1764745200\n@@berth-k3s\nk3s version v1.31.4+k3s1 (a1b2c3d4)\n\
@@berth-downloader\n/usr/bin/curl\n\
@@berth-route\n10.0.0.1 dev eth0 src 10.0.0.2 uid 0 \\    cache\n\
@@berth-reach\n6443 0 \n2379 1 _: line 1: connect: Connection refused\n2380 124 \n@@berth-end\n";

    #[test]
    fn the_probe_output_becomes_typed_facts() {
        let f = HostFacts::parse(PROBE_OUTPUT);
        assert_eq!(f.uid, Some(1000));
        assert_eq!(f.user.as_deref(), Some("admin"));
        assert_eq!(f.privilege, Some(Privilege::Sudo));
        assert_eq!(
            f.kernel,
            Some(("Linux".into(), "6.1.0-18-amd64".into(), "x86_64".into()))
        );
        assert_eq!(
            f.os_release["PRETTY_NAME"],
            "Debian GNU/Linux 12 (bookworm)"
        );
        assert_eq!(f.os_release["VERSION_ID"], "12");
        assert!(f.init.systemctl && f.init.systemd_running && !f.init.openrc);
        assert_eq!(f.init.pid1.as_deref(), Some("systemd"));
        assert_eq!(
            f.memory,
            Some(Memory {
                total_kib: 4028440,
                available_kib: 3012345
            })
        );
        // 0x1932 = 6450 listening; 0xD3A2 is an established connection, not a listener;
        // 0x2802 = 10242 on IPv6.
        assert_eq!(f.tcp_listening, Some(BTreeSet::from([6450, 10242])));
        assert_eq!(f.udp_bound, Some(BTreeSet::from([0xCA6C])));
        assert_eq!(f.unix_time, Some(1764745200));
        assert_eq!(
            f.k3s_version.as_deref(),
            Some("k3s version v1.31.4+k3s1 (a1b2c3d4)")
        );
        assert_eq!(f.downloaders, ["/usr/bin/curl"]);
        assert!(f.route.unwrap().contains("dev eth0 src 10.0.0.2"));
        assert_eq!(
            f.reach,
            Some(vec![
                (6443, Reach::Connected),
                (2379, Reach::Refused("Connection refused".into())),
                (2380, Reach::TimedOut),
            ])
        );
    }

    #[test]
    fn missing_sections_leave_facts_unknown() {
        let f = HostFacts::parse("garbage\n@@berth-uid\nnot-a-number\n@@berth-reach\nuntestable\n");
        assert_eq!(f, HostFacts::default());
        assert_eq!(HostFacts::parse("").reach, None);
        assert_eq!(HostFacts::parse("@@berth-reach\n").reach, Some(vec![]));
        assert_eq!(
            parse_meminfo(&["MemTotal: 100 kB", "MemFree: 7 kB"])
                .unwrap()
                .available_kib,
            7
        );
    }
}
