//! Dokku's log sink DSNs (`logs:set … vector-sink <dsn>`): `<vector sink type>://?<options>`,
//! the options a query string whose bracketed keys nest (`encoding[codec]=json`), whose values
//! are JSON scalars when they parse as one, and whose top-level `base64enc:<b64>` values are
//! decoded (for values with characters a query string or Helm would mangle, like `{{ pod }}`).
//! The result is the sink's Vector configuration, as Dokku's `SinkValueToConfig` builds it.

use base64::Engine;
use serde_json::{Map, Value};

use super::InvalidValue;

/// The Vector sink configuration of `dsn`, with `inputs` when given.
pub fn sink_config(dsn: &str, inputs: &[&str]) -> Result<Map<String, Value>, InvalidValue> {
    let bad = |why: &str| InvalidValue::new(format!("Invalid sink {dsn:?}: {why}"));
    let Some((scheme, rest)) = dsn.split_once("://") else {
        return Err(bad(
            "expected <sink type>://?<options>, for example console://?encoding[codec]=json",
        ));
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '+' || c == '.');
    if !scheme_ok {
        return Err(bad(
            "the sink type must be a Vector sink name (letters, digits, '_')",
        ));
    }
    let query = rest.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let mut config = Map::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let Some((raw_key, raw_value)) = part.split_once('=') else {
            return Err(bad(&format!("option {part:?} has no value (key=value)")));
        };
        let key = unescape(raw_key).map_err(|e| bad(&e))?;
        let value = unescape(raw_value).map_err(|e| bad(&e))?;
        let path: Vec<&str> = key.split(['[', ']']).filter(|p| !p.is_empty()).collect();
        if path.is_empty() {
            return Err(bad(&format!("option {part:?} has no name")));
        }
        insert(&mut config, &path, typed(&value));
    }
    if config.contains_key("sinks") {
        return Err(InvalidValue::new("Invalid option sinks"));
    }
    config.insert("type".into(), Value::String(scheme.replace('-', "_")));
    if !inputs.is_empty() {
        config.insert("inputs".into(), Value::from(inputs.to_vec()));
    }
    for (key, value) in config.iter_mut() {
        let Some(encoded) = value.as_str().and_then(|s| s.strip_prefix("base64enc:")) else {
            continue;
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| bad(&format!("option {key}: Error decoding base64: {e}")))?;
        *value = Value::String(String::from_utf8_lossy(&decoded).trim().to_owned());
    }
    Ok(config)
}

/// Percent-decoding with `+` as a space, as Go's `url.QueryUnescape`.
fn unescape(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        format!(
                            "invalid escape {:?}",
                            s.get(i..(i + 3).min(s.len())).unwrap_or("%")
                        )
                    })?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "an option is not UTF-8 once decoded".to_owned())
}

/// A JSON scalar when the value parses as one (`1`, `true`, `null`), else the string.
fn typed(value: &str) -> Value {
    match serde_json::from_str::<Value>(value) {
        Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
        _ => Value::String(value.to_owned()),
    }
}

fn insert(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    let (first, rest) = (path[0], &path[1..]);
    if rest.is_empty() {
        map.insert(first.to_owned(), value);
        return;
    }
    let child = map
        .entry(first.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    if let Value::Object(m) = child {
        insert(m, rest, value);
    }
}

/// How a general report shows a sink: its type only (`datadog_logs://redacted`), since the
/// options often carry credentials.
pub fn redacted(dsn: &str) -> String {
    match sink_config(dsn, &[]) {
        Ok(c) => format!("{}://redacted", c["type"].as_str().unwrap_or_default()),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dsns_become_vector_sinks_as_in_dokku() {
        let c = sink_config(
            "console://?encoding[codec]=json",
            &["kubernetes_container_logs"],
        )
        .unwrap();
        assert_eq!(
            Value::Object(c),
            json!({"encoding": {"codec": "json"}, "type": "console", "inputs": ["kubernetes_container_logs"]})
        );
        let c = sink_config("datadog_logs://?api_key=abc123&compression=gzip", &[]).unwrap();
        assert_eq!(c["type"], "datadog_logs");
        assert!(!c.contains_key("inputs"));
        let c = sink_config(
            "blackhole://?print_interval_secs=1&acknowledgements[enabled]=true",
            &[],
        )
        .unwrap();
        assert_eq!(c["print_interval_secs"], 1);
        assert_eq!(c["acknowledgements"]["enabled"], true);
        let templated =
            "file://?path=/var/log/apps/cron-{{ dokku_cron_id }}.log&encoding[codec]=text";
        assert_eq!(
            sink_config(templated, &[]).unwrap()["path"],
            "/var/log/apps/cron-{{ dokku_cron_id }}.log"
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode("{{ pod }}");
        let c = sink_config(&format!("http://?process=base64enc%3A{encoded}"), &[]).unwrap();
        assert_eq!(c["process"], "{{ pod }}");
        assert_eq!(
            sink_config("http://host/path?uri=http%3A%2F%2Fx%3A1+y", &[]).unwrap()["uri"],
            "http://x:1 y"
        );
    }

    #[test]
    fn bad_dsns_are_refused() {
        assert_eq!(
            sink_config("console://?sinks=x", &[])
                .unwrap_err()
                .to_string(),
            "Invalid option sinks"
        );
        for bad in [
            "console",
            "://?a=1",
            "1abc://",
            "con sole://",
            "console://?a",
            "console://?a=%zz",
            "http://?process=base64enc%3A%%",
        ] {
            assert!(sink_config(bad, &[]).is_err(), "{bad}");
        }
        assert_eq!(
            redacted("datadog_logs://?api_key=secret"),
            "datadog_logs://redacted"
        );
    }
}
