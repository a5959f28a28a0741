//! The global log sinks (`logs:set --global vector-sink|vector-cron-sink`) as Vector chart
//! values (reference §4.5). The sinks' own settings (often credentials) go to the chart as an
//! extra values file held in a Secret; the rest of Dokku's rewrite (the console sink removed
//! or re-pointed, cron logs routed to their own sink) edits the base values, which stay the
//! HelmChart's `valuesContent`. `prom_exporter` and the other components are kept.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Map, Value, json};
use sha2::Digest;

use super::meta::DOKKU_MANAGED;

/// The Secret holding the sinks values file, beside the vector HelmChart.
pub const VECTOR_SINKS_SECRET: &str = "vector-log-sinks";

const LOGS_TRANSFORM: &str = "kubernetes_container_logs";
const ROUTER: &str = "kubernetes_router";
const CRON_REMAP: &str = "kubernetes_cron_remap";
const DEFAULT_SINK: &str = "default_global_sink";
const GLOBAL_SINK: &str = "kubernetes_global_sink";
const CRON_SINK: &str = "kubernetes_cron_sink";
const APP_ROUTER: &str = "kubernetes_app_router";
const APP_SINK_PREFIX: &str = "kubernetes_app_sink_";

/// The configured global sinks, each parsed ([`crate::model::vector_sink::sink_config`]) and
/// without `inputs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VectorSinks {
    pub sink: Option<Map<String, Value>>,
    pub cron_sink: Option<Map<String, Value>>,
    /// App-level `vector-sink`s, by the app's `app.kubernetes.io/part-of` label value: that
    /// app's (non-cron) logs go there instead of to the global sink.
    pub apps: BTreeMap<String, Map<String, Value>>,
}

impl VectorSinks {
    pub fn is_empty(&self) -> bool {
        self.sink.is_none() && self.cron_sink.is_none() && self.apps.is_empty()
    }
}

/// The Vector chart's values with the sinks: the base values edited where nothing secret is
/// involved (the console sink removed or re-pointed, the cron routing transforms added) — they
/// stay the HelmChart's `valuesContent` — and the values file with the configured sinks
/// themselves, which goes to the Secret. Helm merges that file over the base map by map, and a
/// merge can add keys but not remove them, hence the split.
pub fn sinks_values(base_yaml: &str, sinks: &VectorSinks) -> Result<(String, Value), String> {
    let mut base: Value = serde_saphyr::from_str(base_yaml)
        .map_err(|e| format!("the vector chart's base values are not valid YAML: {e}"))?;
    let custom = base
        .get_mut("customConfig")
        .and_then(Value::as_object_mut)
        .ok_or("Missing or invalid customConfig in vector chart values")?;
    let with_inputs = |s: &Map<String, Value>, input: &str| {
        let mut s = s.clone();
        s.insert("inputs".into(), json!([input]));
        Value::Object(s)
    };
    let mut secret_sinks = Map::new();
    // Cron logs split off first (to the cron sink), then each app with its own sink, and the
    // rest reaches the global sink: every event lands in one place.
    let after_cron = if sinks.cron_sink.is_some() {
        format!("{ROUTER}._unmatched")
    } else {
        LOGS_TRANSFORM.to_owned()
    };
    let non_cron_input = if sinks.apps.is_empty() {
        after_cron.clone()
    } else {
        let mut routes = Map::new();
        for (app, sink) in &sinks.apps {
            if app.is_empty()
                || !app
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(format!("app label {app:?} is not a DNS label"));
            }
            let route = format!("app-{app}");
            routes.insert(
                route.clone(),
                json!({"type": "vrl",
                       "source": format!(".kubernetes.pod_labels.\"app.kubernetes.io/part-of\" == \"{app}\"")}),
            );
            secret_sinks.insert(
                format!("{APP_SINK_PREFIX}{app}"),
                with_inputs(sink, &format!("{APP_ROUTER}.{route}")),
            );
        }
        custom
            .entry("transforms")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or("Missing or invalid customConfig.transforms in vector chart values")?
            .insert(
                APP_ROUTER.into(),
                json!({"type": "route", "inputs": [after_cron], "reroute_unmatched": true, "route": routes}),
            );
        format!("{APP_ROUTER}._unmatched")
    };
    let base_sinks = custom
        .entry("sinks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("Missing or invalid customConfig.sinks in vector chart values")?;
    match &sinks.sink {
        Some(s) => {
            base_sinks.remove(DEFAULT_SINK);
            secret_sinks.insert(GLOBAL_SINK.into(), with_inputs(s, &non_cron_input));
        }
        None if non_cron_input != LOGS_TRANSFORM => {
            let console = base_sinks
                .get_mut(DEFAULT_SINK)
                .and_then(Value::as_object_mut)
                .ok_or("Missing or invalid default_global_sink sink in vector chart values")?;
            // Routed logs leave the console sink, so each event lands in one place.
            console.insert("inputs".into(), json!([non_cron_input]));
        }
        None => {}
    }
    if let Some(c) = &sinks.cron_sink {
        let transforms = custom
            .entry("transforms")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or("Missing or invalid customConfig.transforms in vector chart values")?;
        transforms.insert(
            ROUTER.into(),
            json!({
                "type": "route",
                "inputs": [LOGS_TRANSFORM],
                "reroute_unmatched": true,
                "route": {"cron": {"type": "vrl",
                    "source": ".kubernetes.pod_labels.\"app.kubernetes.io/name\" == \"cron\""}},
            }),
        );
        transforms.insert(
            CRON_REMAP.into(),
            json!({
                "type": "remap",
                "inputs": [format!("{ROUTER}.cron")],
                "source": ".dokku_app = to_string(.kubernetes.pod_labels.\"app.kubernetes.io/part-of\") ?? \"\"\n.dokku_cron_id = to_string(.kubernetes.pod_annotations.\"dokku.com/cron-id\") ?? \"\"",
            }),
        );
        secret_sinks.insert(CRON_SINK.into(), with_inputs(c, CRON_REMAP));
    }
    let values_content = serde_saphyr::to_string(&base)
        .map_err(|e| format!("cannot write the vector chart values: {e}"))?;
    Ok((
        values_content,
        json!({"customConfig": {"sinks": secret_sinks}}),
    ))
}

/// The values file key for `overlay`: named by its content, so a changed sink changes the
/// HelmChart's spec (and the upgrade is seen, decided and waited for like any other).
pub fn overlay_key(overlay_yaml: &str) -> String {
    let digest = sha2::Sha256::digest(overlay_yaml.as_bytes());
    format!("sinks-{}.yaml", &hex::encode(digest)[..12])
}

/// The Secret carrying `overlay_yaml` under `key`, in `namespace` (the HelmChart's).
pub fn sinks_secret(namespace: &str, key: &str, overlay_yaml: &str) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(VECTOR_SINKS_SECRET.to_owned()),
            namespace: Some(namespace.to_owned()),
            annotations: Some(BTreeMap::from([(
                DOKKU_MANAGED.to_owned(),
                "true".to_owned(),
            )])),
            labels: Some(BTreeMap::from([(
                DOKKU_MANAGED.to_owned(),
                "true".to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            key.to_owned(),
            ByteString(overlay_yaml.as_bytes().to_vec()),
        )])),
        type_: Some("Opaque".to_owned()),
        ..Secret::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn sink(t: &str) -> Map<String, Value> {
        json!({"type": t, "encoding": {"codec": "json"}})
            .as_object()
            .unwrap()
            .clone()
    }

    const BASE: &str = "customConfig:\n  transforms:\n    kubernetes_container_logs: {type: remap}\n  sinks:\n    default_global_sink: {type: console, inputs: [kubernetes_container_logs]}\n    prom_exporter: {type: prometheus_exporter, inputs: [internal_metrics]}\n";

    fn split(sink: Option<&str>, cron: Option<&str>) -> (Value, Value) {
        let sinks = VectorSinks {
            sink: sink.map(self::sink),
            cron_sink: cron.map(self::sink),
            apps: BTreeMap::new(),
        };
        let (content, secret) = sinks_values(BASE, &sinks).unwrap();
        (serde_saphyr::from_str(&content).unwrap(), secret)
    }

    #[test]
    fn a_sink_replaces_the_console_sink_and_stays_out_of_the_helmchart() {
        let (base, secret) = split(Some("http"), None);
        let sinks = &base["customConfig"]["sinks"];
        assert!(sinks.get("default_global_sink").is_none());
        assert_eq!(sinks["prom_exporter"]["type"], "prometheus_exporter");
        assert!(!serde_json::to_string(&base).unwrap().contains("http"));
        let s = &secret["customConfig"]["sinks"]["kubernetes_global_sink"];
        assert_eq!(s["type"], "http");
        assert_eq!(s["inputs"], json!(["kubernetes_container_logs"]));
    }

    #[test]
    fn a_cron_sink_routes_cron_logs_away_from_the_other_sink() {
        let (base, secret) = split(None, Some("file"));
        let c = &base["customConfig"];
        assert_eq!(c["transforms"]["kubernetes_router"]["type"], "route");
        assert_eq!(
            c["transforms"]["kubernetes_cron_remap"]["inputs"],
            json!(["kubernetes_router.cron"])
        );
        assert_eq!(
            c["sinks"]["default_global_sink"]["inputs"],
            json!(["kubernetes_router._unmatched"])
        );
        assert_eq!(c["sinks"]["default_global_sink"]["type"], "console");
        assert_eq!(
            secret["customConfig"]["sinks"]["kubernetes_cron_sink"]["inputs"],
            json!(["kubernetes_cron_remap"])
        );
        let (_, both) = split(Some("http"), Some("file"));
        assert_eq!(
            both["customConfig"]["sinks"]["kubernetes_global_sink"]["inputs"],
            json!(["kubernetes_router._unmatched"])
        );
        assert!(
            sinks_values(
                "a: 1\n",
                &VectorSinks {
                    sink: Some(sink("x")),
                    ..VectorSinks::default()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn an_app_sink_takes_that_app_s_logs_from_the_global_one() {
        let sinks = VectorSinks {
            sink: Some(sink("http")),
            cron_sink: Some(sink("file")),
            apps: BTreeMap::from([("shop".to_owned(), sink("loki"))]),
        };
        let (content, secret) = sinks_values(BASE, &sinks).unwrap();
        let base: Value = serde_saphyr::from_str(&content).unwrap();
        let router = &base["customConfig"]["transforms"]["kubernetes_app_router"];
        assert_eq!(
            router["inputs"],
            json!(["kubernetes_router._unmatched"]),
            "after the cron split"
        );
        assert_eq!(
            router["route"]["app-shop"]["source"],
            ".kubernetes.pod_labels.\"app.kubernetes.io/part-of\" == \"shop\""
        );
        let s = &secret["customConfig"]["sinks"];
        assert_eq!(s["kubernetes_app_sink_shop"]["type"], "loki");
        assert_eq!(
            s["kubernetes_app_sink_shop"]["inputs"],
            json!(["kubernetes_app_router.app-shop"])
        );
        assert_eq!(
            s["kubernetes_global_sink"]["inputs"],
            json!(["kubernetes_app_router._unmatched"])
        );
        // Only app sinks: the console sink gets the rest.
        let only = VectorSinks {
            apps: BTreeMap::from([("shop".to_owned(), sink("loki"))]),
            ..VectorSinks::default()
        };
        let (content, _) = sinks_values(BASE, &only).unwrap();
        let base: Value = serde_saphyr::from_str(&content).unwrap();
        assert_eq!(
            base["customConfig"]["sinks"]["default_global_sink"]["inputs"],
            json!(["kubernetes_app_router._unmatched"])
        );
        let bad = VectorSinks {
            apps: BTreeMap::from([("a\"b".to_owned(), sink("x"))]),
            ..VectorSinks::default()
        };
        assert!(sinks_values(BASE, &bad).is_err());
    }

    #[test]
    fn the_key_follows_the_content() {
        assert_ne!(overlay_key("a: 1\n"), overlay_key("a: 2\n"));
        assert!(overlay_key("a").starts_with("sinks-") && overlay_key("a").ends_with(".yaml"));
    }
}
