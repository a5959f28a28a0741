//! Node profiles (`scheduler-k3s:profiles:*`): named, repeatable `cluster:add` options. A
//! profile is stored exactly as it was set (desired state), in Dokku's JSON shape, and merged
//! with the flags of one `cluster:add` run only when that run happens.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// The role a profile's nodes join as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileRole {
    Server,
    Worker,
}

impl ProfileRole {
    /// `server` or `worker`; anything else is Dokku's `Invalid role: <r>`.
    pub fn parse(role: &str) -> Result<ProfileRole, InvalidValue> {
        match role {
            "server" => Ok(ProfileRole::Server),
            "worker" => Ok(ProfileRole::Worker),
            _ => Err(InvalidValue::new(format!("Invalid role: {role}"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProfileRole::Server => "server",
            ProfileRole::Worker => "worker",
        }
    }
}

/// One node profile, with Dokku's keys (`allow_unknown_hosts`, `taint_scheduling` and
/// `kubelet_args` left out when false / empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeProfile {
    pub name: String,
    pub role: ProfileRole,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_unknown_hosts: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub taint_scheduling: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kubelet_args: Vec<String>,
}

/// Every stored profile, by name.
pub type NodeProfiles = BTreeMap<String, NodeProfile>;

/// The longest profile name Dokku accepts.
pub const MAX_PROFILE_NAME: usize = 32;

/// Check a profile name as Dokku does, in its order and with its messages: present,
/// alphanumeric with inner dashes, at most 32 characters.
pub fn validate_profile_name(name: &str) -> Result<(), InvalidValue> {
    if name.is_empty() {
        return Err(InvalidValue::new("Missing profile name"));
    }
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let shaped = name.chars().all(|c| alnum(c) || c == '-')
        && name.starts_with(alnum)
        && name.ends_with(alnum);
    if !shaped {
        return Err(InvalidValue::new(format!(
            "Invalid profile name, must only contain alphanumeric characters and dashes and cannot start with a dash: {name}"
        )));
    }
    if name.len() > MAX_PROFILE_NAME {
        return Err(InvalidValue::new(format!(
            "Profile name is too long, must be less than 32 characters: {name}"
        )));
    }
    Ok(())
}

/// The flags of one `cluster:add` run that a profile supplies defaults for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinFlags {
    /// `--role`, when given.
    pub role: Option<ProfileRole>,
    pub allow_unknown_hosts: bool,
    pub taint_scheduling: bool,
    pub kubelet_args: Vec<String>,
}

/// What one `cluster:add` run uses: the flags over the profile. A given `--role` wins, else the
/// profile's role (Dokku's flag default of `worker` silently drops a profile's `server` role;
/// berth keeps it); the switches only turn on; non-empty `--kubelet-args` replace the profile's.
pub fn merge(profile: Option<&NodeProfile>, flags: &JoinFlags) -> JoinFlags {
    let Some(p) = profile else {
        return flags.clone();
    };
    JoinFlags {
        role: Some(flags.role.unwrap_or(p.role)),
        allow_unknown_hosts: flags.allow_unknown_hosts || p.allow_unknown_hosts,
        taint_scheduling: flags.taint_scheduling || p.taint_scheduling,
        kubelet_args: if flags.kubelet_args.is_empty() {
            p.kubelet_args.clone()
        } else {
            flags.kubelet_args.clone()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_in_dokku_s_order() {
        assert!(validate_profile_name("edge-workers").is_ok());
        assert!(validate_profile_name("A1").is_ok());
        assert!(validate_profile_name(&"a".repeat(32)).is_ok());
        let err = |n: &str| validate_profile_name(n).unwrap_err().to_string();
        assert_eq!(err(""), "Missing profile name");
        for bad in ["-a", "a-", "a_b", "a.b", "é", "a b"] {
            assert!(
                err(bad).starts_with("Invalid profile name, must only contain"),
                "{bad}"
            );
            assert!(err(bad).ends_with(bad), "{bad}");
        }
        assert_eq!(
            err(&"a".repeat(33)),
            format!(
                "Profile name is too long, must be less than 32 characters: {}",
                "a".repeat(33)
            )
        );
        assert_eq!(
            ProfileRole::parse("boss").unwrap_err().to_string(),
            "Invalid role: boss"
        );
    }

    #[test]
    fn stored_in_dokku_s_shape() {
        let p = NodeProfile {
            name: "w".into(),
            role: ProfileRole::Worker,
            allow_unknown_hosts: false,
            taint_scheduling: false,
            kubelet_args: vec![],
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"name":"w","role":"worker"}"#
        );
        let full = NodeProfile {
            allow_unknown_hosts: true,
            taint_scheduling: true,
            kubelet_args: vec!["max-pods=200".into()],
            role: ProfileRole::Server,
            ..p
        };
        let text = serde_json::to_string(&full).unwrap();
        assert_eq!(
            text,
            r#"{"name":"w","role":"server","allow_unknown_hosts":true,"taint_scheduling":true,"kubelet_args":["max-pods=200"]}"#
        );
        assert_eq!(serde_json::from_str::<NodeProfile>(&text).unwrap(), full);
    }

    #[test]
    fn flags_override_the_profile() {
        let p = NodeProfile {
            name: "s".into(),
            role: ProfileRole::Server,
            allow_unknown_hosts: true,
            taint_scheduling: false,
            kubelet_args: vec!["max-pods=50".into()],
        };
        let none = JoinFlags::default();
        let merged = merge(Some(&p), &none);
        assert_eq!(
            merged.role,
            Some(ProfileRole::Server),
            "the profile's role is kept"
        );
        assert!(merged.allow_unknown_hosts);
        assert_eq!(merged.kubelet_args, ["max-pods=50"]);
        let flags = JoinFlags {
            role: Some(ProfileRole::Worker),
            allow_unknown_hosts: false,
            taint_scheduling: true,
            kubelet_args: vec!["max-pods=10".into()],
        };
        let merged = merge(Some(&p), &flags);
        assert_eq!(merged.role, Some(ProfileRole::Worker));
        assert!(merged.allow_unknown_hosts, "a switch only turns on");
        assert!(merged.taint_scheduling);
        assert_eq!(merged.kubelet_args, ["max-pods=10"]);
        assert_eq!(merge(None, &flags), flags);
    }
}
