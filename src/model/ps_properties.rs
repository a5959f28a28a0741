//! `ps:set` properties (Dokku's `ps` plugin): their defaults, which may be set `--global`, and
//! what each accepts. What the k3s scheduler does with each is in the README's `ps:set` row.

use super::error::{InvalidValue, Valid, q};

/// One `ps` property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PsProperty {
    pub name: &'static str,
    /// Dokku's default (the computed value when neither the app nor the global sets it).
    pub default: &'static str,
    /// May be set with `--global`.
    pub global: bool,
}

/// Dokku's `ps` properties, sorted.
pub const PS_PROPERTIES: &[PsProperty] = &[
    PsProperty {
        name: "dockerfile-start-cmd",
        default: "",
        global: false,
    },
    PsProperty {
        name: "procfile-path",
        default: "",
        global: true,
    },
    PsProperty {
        name: "restart-policy",
        default: "on-failure:10",
        global: true,
    },
    PsProperty {
        name: "restore",
        default: "true",
        global: false,
    },
    PsProperty {
        name: "skip-deploy",
        default: "",
        global: true,
    },
    PsProperty {
        name: "start-cmd",
        default: "",
        global: false,
    },
    PsProperty {
        name: "stop-timeout-seconds",
        default: "30",
        global: true,
    },
];

/// The property called `name`, or Dokku's error listing the valid ones.
pub fn ps_property(name: &str, global: bool) -> Valid<&'static PsProperty> {
    let valid = |global: bool| {
        PS_PROPERTIES
            .iter()
            .filter(|p| !global || p.global)
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match PS_PROPERTIES.iter().find(|p| p.name == name) {
        Some(p) if global && !p.global => Err(InvalidValue(format!(
            "Property {} cannot be specified globally, valid global properties include: {}",
            q(name),
            valid(true)
        ))),
        Some(p) => Ok(p),
        None => Err(super::error::invalid_property(
            &PS_PROPERTIES
                .iter()
                .filter(|p| !global || p.global)
                .map(|p| p.name)
                .collect::<Vec<_>>(),
            name,
        )),
    }
}

/// Check a non-empty value of `property`.
pub fn validate_ps_value(property: &str, value: &str) -> Valid<()> {
    let ok = match property {
        "restart-policy" => is_restart_policy(value),
        "restore" | "skip-deploy" => matches!(value, "true" | "false"),
        "stop-timeout-seconds" => value.parse::<u32>().is_ok_and(|n| n <= 86_400),
        _ => !value.chars().any(char::is_control),
    };
    if ok {
        return Ok(());
    }
    Err(InvalidValue(match property {
        "restart-policy" => format!(
            "Invalid restart-policy specified: {}; use no, always, unless-stopped or on-failure[:N]",
            q(value)
        ),
        "restore" | "skip-deploy" => {
            format!(
                "Invalid {property} {}: valid values are true and false",
                q(value)
            )
        }
        "stop-timeout-seconds" => format!(
            "Invalid stop-timeout-seconds {}: use whole seconds from 0 to 86400",
            q(value)
        ),
        _ => format!("Invalid {property}: control characters are not allowed"),
    }))
}

/// Docker's restart policies, as Dokku accepts them.
fn is_restart_policy(v: &str) -> bool {
    match v.split_once(':') {
        None => matches!(v, "no" | "always" | "unless-stopped" | "on-failure"),
        Some(("on-failure", n)) => n.parse::<u32>().is_ok(),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        for good in [
            "no",
            "always",
            "unless-stopped",
            "on-failure",
            "on-failure:5",
        ] {
            validate_ps_value("restart-policy", good).unwrap();
        }
        for bad in ["bogus", "on-failure:x", "always:3"] {
            let e = validate_ps_value("restart-policy", bad).unwrap_err();
            assert!(e.0.starts_with("Invalid restart-policy specified"), "{e}");
        }
        validate_ps_value("stop-timeout-seconds", "60").unwrap();
        assert!(validate_ps_value("stop-timeout-seconds", "-1").is_err());
        assert!(ps_property("start-cmd", true).is_err());
        assert!(
            ps_property("nope", false)
                .unwrap_err()
                .0
                .starts_with("Invalid property specified")
        );
    }
}
