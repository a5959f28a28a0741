//! Helm v3 release records: the codec (pure) for the Secrets Helm keeps one per revision.
//!
//! berth records every deploy the way Dokku's scheduler-k3s does through the Helm SDK, so
//! `helm list`, `helm history`, `helm status` and `helm uninstall` work on berth apps. A record is
//! the Secret `sh.helm.release.v1.<release>.v<revision>` of type `helm.sh/release.v1` whose
//! `data.release` is base64(gzip(JSON)). Reading is lenient (unknown fields are kept, times may be
//! absent, `""` or `null`, the payload may be uncompressed) so records written by Helm round-trip.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// `Secret.type` of every Helm v3 release record.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// Label selector that matches every Helm release record.
pub const OWNER_SELECTOR: &str = "owner=helm";

/// Name of the Secret that stores `revision` of release `release`.
pub fn secret_name(release: &str, revision: u32) -> String {
    format!("sh.helm.release.v1.{release}.v{revision}")
}

/// Label selector for every revision of one release.
pub fn release_selector(release: &str) -> String {
    format!("name={release},owner=helm")
}

/// A release's state, spelled the way Helm spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Unknown,
    Deployed,
    Uninstalled,
    Superseded,
    Failed,
    Uninstalling,
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
}

impl Status {
    /// `pending-install|upgrade|rollback`: a writer is (or was, until it was interrupted) at work.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Helm's `info` block. Times are RFC 3339 strings; empty means "zero time".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Info {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub first_deployed: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub last_deployed: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub deleted: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub description: String,
    pub status: Status,
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub notes: String,
    /// Fields this codec does not model (Helm 4's `rollback_revision`, …), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The chart part of a record. berth writes metadata only: no templates, the objects are in
/// `manifest`, which is all `helm rollback`/`helm uninstall` use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub metadata: ChartMetadata,
    #[serde(default)]
    pub lock: Value,
    #[serde(default, deserialize_with = "null_as_default")]
    pub templates: Vec<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub values: Map<String, Value>,
    #[serde(default)]
    pub schema: Value,
    #[serde(default, deserialize_with = "null_as_default")]
    pub files: Vec<Value>,
}

/// `Chart.yaml` fields Helm shows in `helm list`/`helm history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartMetadata {
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(
        rename = "appVersion",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub app_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Chart {
    /// A chart with metadata only, named like Dokku's generated app chart.
    pub fn new(name: &str, version: &str, app_version: &str) -> Chart {
        Chart {
            metadata: ChartMetadata {
                api_version: "v2".into(),
                name: name.into(),
                version: version.into(),
                app_version: app_version.into(),
                icon: "https://dokku.com/assets/dokku-logo.svg".into(),
                extra: Map::new(),
            },
            lock: Value::Null,
            templates: Vec::new(),
            values: Map::new(),
            schema: Value::Null,
            files: Vec::new(),
        }
    }
}

/// One revision of a release: the JSON Helm stores (Go json tags as field names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    /// The revision, starting at 1.
    pub version: u32,
    pub info: Info,
    #[serde(default)]
    pub chart: Option<Chart>,
    /// Values of this revision (`helm get values`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub config: Map<String, Value>,
    /// The rendered objects as YAML documents separated by `---` lines.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub manifest: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub hooks: Vec<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A record could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("helm release secret {0} has no data.release")]
    Missing(String),
    #[error("helm release secret {name}: data.release is not base64: {source}")]
    Base64 {
        name: String,
        source: base64::DecodeError,
    },
    #[error("helm release secret {name}: data.release is not valid gzip: {source}")]
    Gzip {
        name: String,
        source: std::io::Error,
    },
    #[error("helm release secret {name}: release JSON is invalid: {source}")]
    Json {
        name: String,
        source: serde_json::Error,
    },
}

/// Encode a release the way Helm's secret driver does: base64(gzip(JSON)).
pub fn encode(release: &HelmRelease) -> Vec<u8> {
    // Serialising these plain structs cannot fail: every map key is a string.
    let json = serde_json::to_vec(release).unwrap_or_default();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(&json);
    let compressed = gz.finish().unwrap_or_default();
    STANDARD.encode(compressed).into_bytes()
}

/// Decode `data.release` of the Secret `name` (the bytes after Kubernetes' own base64 layer).
pub fn decode(name: &str, payload: &[u8]) -> Result<HelmRelease, CodecError> {
    let raw = STANDARD
        .decode(payload.trim_ascii())
        .map_err(|source| CodecError::Base64 {
            name: name.into(),
            source,
        })?;
    let json = if raw.starts_with(&[0x1f, 0x8b, 0x08]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| CodecError::Gzip {
                name: name.into(),
                source,
            })?;
        out
    } else {
        raw
    };
    serde_json::from_slice(&json).map_err(|source| CodecError::Json {
        name: name.into(),
        source,
    })
}

/// The Secret that stores `release` (labels as Helm's secret driver sets them on create).
pub fn to_secret(release: &HelmRelease, unix_now: i64) -> Secret {
    let labels = BTreeMap::from([
        ("owner".to_string(), "helm".to_string()),
        ("name".to_string(), release.name.clone()),
        (
            "status".to_string(),
            release.info.status.as_str().to_string(),
        ),
        ("version".to_string(), release.version.to_string()),
        ("createdAt".to_string(), unix_now.to_string()),
    ]);
    Secret {
        metadata: ObjectMeta {
            name: Some(secret_name(&release.name, release.version)),
            namespace: Some(release.namespace.clone()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        type_: Some(SECRET_TYPE.into()),
        data: Some(BTreeMap::from([(
            "release".to_string(),
            ByteString(encode(release)),
        )])),
        ..Secret::default()
    }
}

/// Read a release record Secret back.
pub fn from_secret(secret: &Secret) -> Result<HelmRelease, CodecError> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let payload = secret
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .ok_or_else(|| CodecError::Missing(name.clone()))?;
    decode(&name, &payload.0)
}

/// Current time as Helm writes it (RFC 3339 with nanoseconds).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().to_string()
}

/// Split a Helm manifest into its YAML documents (Helm separates them with `---` lines).
pub fn split_manifest(manifest: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in manifest.lines() {
        if line.trim_end() == "---" {
            docs.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    docs.push(current);
    docs.into_iter()
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

/// Objects of a manifest as JSON values (documents that are empty or comments are skipped).
pub fn manifest_objects(manifest: &str) -> Result<Vec<Value>, String> {
    split_manifest(manifest)
        .iter()
        .map(|doc| {
            serde_saphyr::from_str::<Value>(doc)
                .map_err(|e| format!("release manifest document is not valid YAML: {e}"))
        })
        .collect()
}

/// Render objects as a Helm manifest: one YAML document per object, each preceded by a
/// `# Source:` comment the way Helm writes it.
pub fn objects_to_manifest(chart: &str, objects: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    for obj in objects {
        let head = crate::render::recorded::head(obj);
        let kind = match head.kind.as_str() {
            "" => "object".to_owned(),
            kind => kind.to_lowercase(),
        };
        let name = match head.name() {
            "" => "unnamed",
            name => name,
        };
        let yaml = serde_saphyr::to_string(obj)
            .map_err(|e| format!("cannot write {kind} {name} as YAML: {e}"))?;
        out.push_str("---\n");
        out.push_str(&format!("# Source: {chart}/templates/{kind}-{name}.yaml\n"));
        out.push_str(&yaml);
        if !yaml.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn sample() -> HelmRelease {
        HelmRelease {
            name: "my-app".into(),
            namespace: "default".into(),
            version: 3,
            info: Info {
                first_deployed: "2026-01-01T00:00:00.123456789Z".into(),
                last_deployed: "2026-01-02T00:00:00Z".into(),
                deleted: String::new(),
                description: "Upgrade complete".into(),
                status: Status::Deployed,
                notes: String::new(),
                extra: Map::new(),
            },
            chart: Some(Chart::new("my-app", "0.0.1700000000", "1.0.0")),
            config: json!({"global": {"deployment_id": "1700000000"}})
                .as_object()
                .cloned()
                .unwrap(),
            manifest: "---\nkind: Deployment\n".into(),
            hooks: vec![],
            extra: Map::new(),
        }
    }

    #[test]
    fn round_trip_through_secret() {
        let rel = sample();
        let secret = to_secret(&rel, 1_700_000_000);
        assert_eq!(
            secret.metadata.name.as_deref(),
            Some("sh.helm.release.v1.my-app.v3")
        );
        assert_eq!(secret.type_.as_deref(), Some("helm.sh/release.v1"));
        let labels = secret.metadata.labels.clone().unwrap();
        assert_eq!(labels["owner"], "helm");
        assert_eq!(labels["name"], "my-app");
        assert_eq!(labels["status"], "deployed");
        assert_eq!(labels["version"], "3");
        let payload = &secret.data.as_ref().unwrap()["release"].0;
        // base64 of gzip: decoding the outer layer gives the gzip magic.
        let gz = STANDARD.decode(payload).unwrap();
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 0x08]);
        assert_eq!(from_secret(&secret).unwrap(), rel);
    }

    #[test]
    fn reads_what_helm_writes() {
        // Helm 3 shape: zero time as "", null chart fields, unknown fields, no gzip (old format).
        let json = json!({
            "name": "a", "namespace": "ns", "version": 1,
            "info": {"first_deployed": "2026-01-01T00:00:00Z", "last_deployed": "2026-01-01T00:00:00Z",
                     "deleted": "", "description": "Install complete", "status": "pending-install",
                     "rollback_revision": 0},
            "chart": {"metadata": {"name": "a", "version": "0.1.0", "apiVersion": "v2", "type": "application"},
                      "lock": null, "templates": null, "values": null, "schema": null, "files": null},
            "config": null, "manifest": "", "hooks": null, "apply_method": "csa"
        });
        let payload = STANDARD.encode(serde_json::to_vec(&json).unwrap());
        let rel = decode("x", payload.as_bytes()).unwrap();
        assert_eq!(rel.info.status, Status::PendingInstall);
        assert_eq!(rel.info.deleted, "");
        assert_eq!(rel.extra["apply_method"], "csa");
        assert_eq!(rel.info.extra["rollback_revision"], 0);
        let chart = rel.chart.clone().unwrap();
        assert_eq!(chart.metadata.extra["type"], "application");
        // Unknown fields survive a rewrite.
        let again = decode("x", &encode(&rel)).unwrap();
        assert_eq!(again, rel);
    }

    #[test]
    fn bad_payloads_name_the_secret() {
        let err = decode("sh.helm.release.v1.a.v1", b"!!!").unwrap_err();
        assert!(err.to_string().contains("sh.helm.release.v1.a.v1"), "{err}");
        let not_json = STANDARD.encode(b"hello");
        let err = decode("s", not_json.as_bytes()).unwrap_err();
        assert!(matches!(err, CodecError::Json { .. }), "{err}");
    }

    #[test]
    fn manifest_round_trip_keeps_string_types() {
        let objects = vec![
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "config-a",
                   "annotations": {"dokku.com/managed": "true", "n": "0123", "e": "", "y": "yes", "m": "a\nb: c\n---\nd"}},
                   "data": {"K": "dmFsdWU="}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a-web"},
                   "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "a-web", "args": ["--", "1.0", "null"]}]}}}}),
        ];
        let manifest = objects_to_manifest("a", &objects).unwrap();
        assert!(manifest.contains("# Source: a/templates/deployment-a-web.yaml"));
        assert_eq!(manifest_objects(&manifest).unwrap(), objects);
    }

    #[test]
    fn status_spelling() {
        assert_eq!(
            serde_json::to_value(Status::PendingRollback).unwrap(),
            "pending-rollback"
        );
        assert_eq!(Status::Superseded.to_string(), "superseded");
    }
}
