//! Node sysctls (`scheduler-k3s:node-sysctls:*`): kernel settings berth keeps applied on the
//! cluster's nodes, globally (every node without a profile) or per node profile. Stored as set;
//! resolved into one scope per DaemonSet, where a profile's scope carries the global values
//! under its own (profiled nodes are not in the global scope, so they need both).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// The stored sysctls: `global`, and per profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSysctls {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub global: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, BTreeMap<String, String>>,
}

/// One DaemonSet's worth of sysctls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SysctlScope {
    /// `None` for the global scope (nodes without a profile).
    pub profile: Option<String>,
    /// The DaemonSet (Dokku's release) name: `dokku-node-sysctls-global` or
    /// `dokku-node-sysctls-profile-<p>`.
    pub name: String,
    /// Name → value, sorted by name; a profile's own values win over the global ones.
    pub sysctls: BTreeMap<String, String>,
}

impl SysctlScope {
    /// How the report and the progress lines name the scope.
    pub fn label(&self) -> &str {
        self.profile.as_deref().unwrap_or("--global")
    }
}

/// The DaemonSet name of a scope.
pub fn scope_name(profile: Option<&str>) -> String {
    match profile {
        None => "dokku-node-sysctls-global".to_owned(),
        Some(p) => format!("dokku-node-sysctls-profile-{p}"),
    }
}

/// Every scope that should exist: global first, then one per profile in `profiles` (sorted),
/// each resolved. An empty scope means its DaemonSet should not exist.
pub fn scopes<'a>(
    stored: &NodeSysctls,
    profiles: impl IntoIterator<Item = &'a str>,
) -> Vec<SysctlScope> {
    let mut names: Vec<&str> = profiles.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    let mut out = vec![SysctlScope {
        profile: None,
        name: scope_name(None),
        sysctls: stored.global.clone(),
    }];
    for p in names {
        let mut merged = stored.global.clone();
        if let Some(own) = stored.profiles.get(p) {
            merged.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        out.push(SysctlScope {
            profile: Some(p.to_owned()),
            name: scope_name(Some(p)),
            sysctls: merged,
        });
    }
    out
}

/// A sysctl name: what `sysctl -w` takes — dotted (or slashed) segments of letters, digits, `_`,
/// `-` (`net.core.somaxconn`, `net.ipv4.conf.eth0/1.rp_filter`). Dokku takes any string;
/// berth refuses what no kernel has, before storing it.
pub fn validate_name(name: &str) -> Result<(), InvalidValue> {
    if name.is_empty() {
        return Err(InvalidValue::new("Missing sysctl name"));
    }
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-');
    let segments_ok = name.split(['.', '/']).all(|s| !s.is_empty());
    if !name.chars().all(ok_char) || !segments_ok || name.starts_with('-') || name.len() > 255 {
        return Err(InvalidValue::new(format!(
            "Invalid sysctl name {name:?}: expected dot-separated kernel parameter segments of letters, digits, '_' and '-' (for example net.core.somaxconn)"
        )));
    }
    Ok(())
}

/// A sysctl value: one line of printable text (`1`, `4096 87380 6291456`).
pub fn validate_value(name: &str, value: &str) -> Result<(), InvalidValue> {
    if value.chars().any(|c| c.is_control() && c != '\t') || value.len() > 4096 {
        return Err(InvalidValue::new(format!(
            "Invalid value for sysctl {name}: it must be one line of printable text (at most 4096 bytes)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn profile_scopes_carry_the_global_values_under_their_own() {
        let stored = NodeSysctls {
            global: map(&[
                ("net.core.somaxconn", "1024"),
                ("vm.max_map_count", "262144"),
            ]),
            profiles: BTreeMap::from([
                ("db".to_owned(), map(&[("vm.max_map_count", "524288")])),
                ("gone".to_owned(), map(&[("a.b", "1")])),
            ]),
        };
        let scopes = scopes(&stored, ["edge", "db"]);
        let names: Vec<&str> = scopes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "dokku-node-sysctls-global",
                "dokku-node-sysctls-profile-db",
                "dokku-node-sysctls-profile-edge"
            ],
            "global first, profiles sorted; a stored profile that no longer exists has no scope"
        );
        assert_eq!(scopes[0].label(), "--global");
        assert_eq!(
            scopes[1].sysctls,
            map(&[
                ("net.core.somaxconn", "1024"),
                ("vm.max_map_count", "524288")
            ])
        );
        assert_eq!(scopes[2].sysctls, stored.global);
        assert!(
            super::scopes(&NodeSysctls::default(), [])[0]
                .sysctls
                .is_empty()
        );
    }

    #[test]
    fn names_and_values_are_checked() {
        for good in [
            "net.core.somaxconn",
            "kernel.pid_max",
            "net.ipv4.conf.eth0/1.rp_filter",
            "fs.inotify.max_user_watches",
        ] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        assert_eq!(
            validate_name("").unwrap_err().to_string(),
            "Missing sysctl name"
        );
        for bad in [
            "net..core",
            ".net",
            "net.",
            "a b",
            "a;b",
            "$(reboot)",
            "-w",
            "net.core=1",
        ] {
            let e = validate_name(bad).unwrap_err().to_string();
            assert!(e.starts_with("Invalid sysctl name"), "{bad}: {e}");
        }
        assert!(validate_value("a.b", "4096 87380 6291456").is_ok());
        assert!(validate_value("a.b", "1\nreboot").is_err());
        assert!(validate_value("a.b", &"9".repeat(5000)).is_err());
    }
}
