//! Dokku's `logs` plugin properties (`logs:set|report`): which exist, where they may be set,
//! what each accepts, and the computed value. On k3s only the global sinks reach the cluster
//! (the Vector chart); the rest are stored and reported for Dokku compatibility.

use super::InvalidValue;

/// Every settable `logs` property, in report order.
pub const LOGS_PROPERTIES: [&str; 6] = [
    "app-label-alias",
    "max-size",
    "vector-cron-sink",
    "vector-image",
    "vector-networks",
    "vector-sink",
];

/// Properties that may only be set with `--global`.
pub const GLOBAL_ONLY: [&str; 2] = ["vector-image", "vector-networks"];

/// Properties whose values are sink DSNs (often with credentials): stored 0600, reported
/// redacted unless their own flag is asked for.
pub const SINKS: [&str; 2] = ["vector-sink", "vector-cron-sink"];

/// Dokku's defaults for the computed values.
pub fn default_of(name: &str) -> &'static str {
    match name {
        "app-label-alias" => "com.dokku.app-name",
        "max-size" => "10m",
        "vector-image" => "timberio/vector:0.57.0-debian",
        _ => "",
    }
}

/// Check `value` for property `name` set on an app (`global` false) or `--global`, with
/// Dokku's messages.
pub fn validate(name: &str, value: &str, global: bool) -> Result<(), InvalidValue> {
    if !LOGS_PROPERTIES.contains(&name) {
        return Err(super::error::invalid_property(&LOGS_PROPERTIES, name));
    }
    if GLOBAL_ONLY.contains(&name) && !global {
        return Err(InvalidValue::new(format!(
            "{name} may only be set globally with --global"
        )));
    }
    if value.is_empty() {
        return Ok(());
    }
    match name {
        "app-label-alias" => {
            let ok = value.starts_with(|c: char| c.is_ascii_alphanumeric())
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !ok {
                return Err(InvalidValue::new(
                    "Invalid app-label-alias value, must start with a letter or number and contain only letters, numbers, and any of [_, ., -]",
                ));
            }
        }
        "max-size" if value != "unlimited" => {
            let Some(unit) = value
                .chars()
                .last()
                .filter(|u| matches!(u, 'k' | 'm' | 'g'))
            else {
                return Err(InvalidValue::new(
                    "Invalid max-size unit measure, value must end in any of [k, m, g]",
                ));
            };
            let number = &value[..value.len() - unit.len_utf8()];
            if number.is_empty() {
                return Err(InvalidValue::new(
                    "Invalid max-size value, must be a number followed by a unit of measure [k, m, g]",
                ));
            }
            if let Err(e) = number.parse::<i64>() {
                return Err(InvalidValue::new(format!(
                    "Invalid max-size value, unable to convert number to int: {e}"
                )));
            }
        }
        "vector-sink" | "vector-cron-sink" => {
            super::vector_sink::sink_config(value, &[])?;
        }
        "vector-networks" => {
            for n in value.split(',').map(str::trim) {
                if n.is_empty() {
                    return Err(InvalidValue::new(
                        "Invalid vector-networks value, empty entry in comma-separated list",
                    ));
                }
                if n == "bridge" {
                    return Err(InvalidValue::new(
                        "Invalid vector-networks value, \"bridge\" is not a valid entry for vector-networks",
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_with_dokku_s_messages() {
        assert!(validate("max-size", "10m", false).is_ok());
        assert!(validate("max-size", "unlimited", false).is_ok());
        assert!(validate("max-size", "", false).is_ok(), "empty unsets");
        let e = |n: &str, v: &str, g: bool| validate(n, v, g).unwrap_err().to_string();
        assert_eq!(
            e("max-size", "10x", false),
            "Invalid max-size unit measure, value must end in any of [k, m, g]"
        );
        assert_eq!(
            e("max-size", "m", false),
            "Invalid max-size value, must be a number followed by a unit of measure [k, m, g]"
        );
        assert!(
            e("max-size", "1.5m", false)
                .starts_with("Invalid max-size value, unable to convert number to int: ")
        );
        assert_eq!(
            e("vector-image", "x:1", false),
            "vector-image may only be set globally with --global"
        );
        assert!(validate("vector-image", "x:1", true).is_ok());
        assert!(e("app-label-alias", "-x", false).starts_with("Invalid app-label-alias value"));
        assert_eq!(
            e("vector-sink", "console://?sinks=1", true),
            "Invalid option sinks"
        );
        assert!(validate("vector-sink", "console://?encoding[codec]=json", true).is_ok());
        assert!(e("vector-networks", "a,,b", true).contains("empty entry"));
        assert!(
            e("vector-sinks", "x", true).contains("did you mean `vector-sink`?"),
            "{}",
            e("vector-sinks", "x", true)
        );
    }
}
