//! Other `scheduler-k3s` state: chart overrides, autoscaling-auth triggers.

use std::collections::BTreeMap;

use super::error::{InvalidValue, Valid, q};
use super::names::is_dns1123_label;

/// Cluster component charts whose values can be overridden (`scheduler-k3s:charts:set`), in the
/// original's definition order.
pub const CHART_NAMES: [&str; 7] = [
    "cert-manager",
    "longhorn",
    "traefik",
    "ingress-nginx",
    "keda",
    "keda-add-ons-http",
    "vector",
];

/// Chart value overrides (`chart-overrides.json`): chart → values key (dotted path) → value.
pub type ChartOverrides = BTreeMap<String, BTreeMap<String, String>>;

/// Check a chart name.
pub fn validate_chart(name: &str) -> Valid<()> {
    if CHART_NAMES.contains(&name) {
        return Ok(());
    }
    let mut sorted = CHART_NAMES.to_vec();
    sorted.sort();
    Err(InvalidValue(format!(
        "Invalid chart name {}, valid charts: {}",
        q(name),
        sorted.join(", ")
    )))
}

/// Split `<chart>.<property>` at the first dot and check both parts.
pub fn parse_chart_property(s: &str) -> Valid<(String, String)> {
    let err = || {
        InvalidValue(format!(
            "Invalid property {}, expected format: <chart-name>.<property>",
            q(s)
        ))
    };
    let (chart, key) = s.split_once('.').ok_or_else(err)?;
    if chart.is_empty() || key.is_empty() || key.ends_with('.') || key.starts_with('.') {
        return Err(err());
    }
    if key.chars().any(|c| c.is_control() || c.is_whitespace()) || key.len() > 256 {
        return Err(InvalidValue(format!(
            "Invalid property {}: a chart values key has no spaces or control characters (at most 256)",
            q(s)
        )));
    }
    validate_chart(chart)?;
    Ok((chart.to_owned(), key.to_owned()))
}

/// KEDA trigger authentication (`autoscaling-auth.json`, 0600): trigger type → metadata key → value.
pub type AutoscalingAuth = BTreeMap<String, BTreeMap<String, String>>;

/// Check a trigger type (used in object names `<app>-<trigger>`): a DNS-1123 label.
pub fn validate_trigger_type(s: &str) -> Valid<()> {
    if s.is_empty() {
        return Err(InvalidValue::new("Missing trigger type argument"));
    }
    if !is_dns1123_label(s) {
        return Err(InvalidValue(format!(
            "Invalid trigger type {}: use a KEDA trigger type such as prometheus or aws-sqs-queue (lowercase letters, digits and '-')",
            q(s)
        )));
    }
    Ok(())
}

/// Parse `--metadata` values: `key=value`, or comma-separated `k=v,k2=v2` when every piece has `=`.
/// Keys become Secret data keys (`[-._a-zA-Z0-9]+`); values must be non-empty.
pub fn parse_metadata(args: &[String]) -> Valid<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        let pieces: Vec<&str> = arg.split(',').collect();
        let pieces = if pieces.len() > 1 && pieces.iter().all(|p| p.contains('=')) {
            pieces
        } else {
            vec![arg.as_str()]
        };
        for p in pieces {
            let (k, v) = p.split_once('=').ok_or_else(|| {
                // Metadata values are credentials: never echo an argument that did not split.
                InvalidValue(format!(
                    "Invalid --metadata #{} (not shown, it may hold a secret): use key=value",
                    i + 1
                ))
            })?;
            let key_ok = !k.is_empty()
                && k.len() <= 253
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !key_ok {
                return Err(InvalidValue(format!(
                    "Invalid --metadata key {}: use letters, digits, '-', '_' and '.'",
                    q(k)
                )));
            }
            if v.is_empty() || v.contains('\0') {
                return Err(InvalidValue(format!(
                    "Invalid --metadata value for {k}: must be non-empty text"
                )));
            }
            out.push((k.to_owned(), v.to_owned()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_properties() {
        assert_eq!(
            parse_chart_property("traefik.deployment.replicas").unwrap(),
            ("traefik".into(), "deployment.replicas".into())
        );
        for bad in ["", "traefik", ".x", "traefik.", "nope.x", "traefik.a b"] {
            assert!(parse_chart_property(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata() {
        let m = parse_metadata(&["a=1,b=2".into(), "url=http://x/?q=1,2".into()]).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[2].1, "http://x/?q=1,2");
        assert!(parse_metadata(&["a".into()]).is_err());
        assert!(parse_metadata(&["a=".into()]).is_err());
        assert!(parse_metadata(&["a b=1".into()]).is_err());
        assert!(validate_trigger_type("Prometheus").is_err());
    }
}
