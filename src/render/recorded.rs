//! Typed views of the objects a release record holds. A record stores its objects as Helm's
//! manifest text, read back as JSON values; the code that reasons about them (which Deployment a
//! run copies, which Jobs are release tasks, which restart stamps to keep) decodes them into the
//! k8s-openapi structs render built them from, instead of walking JSON paths.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::meta::NAME;

/// The kind and metadata every recorded object has.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
}

impl Head {
    /// The object's name ("" when it has none).
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// The process type (or task name) render labelled the object with.
    pub fn process_type(&self) -> Option<&str> {
        self.label(NAME)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.metadata.labels.as_ref()?.get(key).map(String::as_str)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata
            .annotations
            .as_ref()?
            .get(key)
            .map(String::as_str)
    }

    /// Whether this is a `K`: the same kind, and the same API version when it names one (an
    /// object without `apiVersion` is not a valid manifest, but some tests build them bare).
    pub fn is<K: k8s_openapi::Resource>(&self) -> bool {
        self.kind == K::KIND && (self.api_version.is_empty() || self.api_version == K::API_VERSION)
    }
}

/// The head of `obj`; an object without one (never rendered by berth) has an empty head.
pub fn head(obj: &Value) -> Head {
    Head::deserialize(obj).unwrap_or_default()
}

/// `obj` decoded as a `K`, when it is one.
pub fn decode<K>(obj: &Value) -> Option<K>
where
    K: k8s_openapi::Resource + DeserializeOwned,
{
    head(obj)
        .is::<K>()
        .then(|| K::deserialize(obj).ok())
        .flatten()
}

/// Every `K` among `objects`, decoded, in order.
pub fn all<K>(objects: &[Value]) -> Vec<K>
where
    K: k8s_openapi::Resource + DeserializeOwned,
{
    objects.iter().filter_map(decode::<K>).collect()
}

/// Change every `K` among `objects` for which `change` returns true, through its typed form;
/// the others stay byte for byte as recorded. Returns how many were changed.
pub fn update<K>(
    objects: &mut [Value],
    mut change: impl FnMut(&mut K) -> bool,
) -> Result<usize, serde_json::Error>
where
    K: k8s_openapi::Resource + DeserializeOwned + Serialize,
{
    let mut changed = 0;
    for obj in objects.iter_mut() {
        let Some(mut typed) = decode::<K>(obj) else {
            continue;
        };
        if change(&mut typed) {
            *obj = serde_json::to_value(&typed)?;
            changed += 1;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::batch::v1::Job;
    use serde_json::json;

    fn objects() -> Vec<Value> {
        vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "a-web", "labels": {"app.kubernetes.io/name": "web"}},
                   "spec": {"selector": {}, "template": {}}}),
            json!({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": "a-release", "annotations": {"x": "y"}}}),
            json!({"kind": "Thing"}),
            json!("not an object"),
        ]
    }

    #[test]
    fn heads_decode_kind_and_metadata() {
        let objects = objects();
        let web = head(&objects[0]);
        assert!(web.is::<Deployment>());
        assert!(!web.is::<Job>());
        let wrong_group = json!({"apiVersion": "example.com/v1", "kind": "Deployment"});
        assert!(!head(&wrong_group).is::<Deployment>());
        assert_eq!(web.name(), "a-web");
        assert_eq!(web.process_type(), Some("web"));
        assert_eq!(head(&objects[1]).annotation("x"), Some("y"));
        assert_eq!(head(&objects[2]).kind, "Thing");
        assert_eq!(head(&objects[3]).kind, "");
    }

    #[test]
    fn decodes_only_the_asked_kind() {
        let objects = objects();
        let deployments: Vec<Deployment> = all(&objects);
        assert_eq!(deployments.len(), 1);
        assert_eq!(all::<Job>(&objects).len(), 1);
    }

    #[test]
    fn updates_through_the_typed_form() {
        let mut objects = objects();
        let before = objects.clone();
        let n = update::<Deployment>(&mut objects, |d| {
            d.metadata
                .labels
                .get_or_insert_default()
                .insert("k".into(), "v".into());
            true
        })
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(head(&objects[0]).label("k"), Some("v"));
        assert_eq!(objects[1..], before[1..]);
        let n = update::<Job>(&mut objects, |_| false).unwrap();
        assert_eq!(n, 0);
        assert_eq!(objects[1], before[1]);
    }
}
