//! Server-side apply of rendered objects (field manager `berth`) and pruning of the app's objects
//! that the new release no longer contains.
//!
//! Objects arrive as JSON values so this module does not depend on render's types; anything that
//! serialises to a Kubernetes object (k8s-openapi structs, typed CRDs) converts at the boundary.

use std::collections::{BTreeSet, HashMap};

use anyhow::{Context, Result, anyhow};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};
use kube::{Client, ResourceExt};
use serde_json::Value;

use super::errors::describe;
use crate::progress::Reporter;
use crate::render::recorded;

/// The field manager berth applies with.
pub const FIELD_MANAGER: &str = "berth";

/// Create namespace `name` unless it exists, marked the way Dokku marks the namespaces it
/// creates (`dokku.com/managed: "true"`, label and annotation).
pub async fn ensure_namespace(client: &Client, name: &str) -> Result<()> {
    use k8s_openapi::api::core::v1::Namespace;
    let api: Api<Namespace> = Api::all(client.clone());
    if api
        .get_opt(name)
        .await
        .map_err(describe)
        .with_context(|| format!("reading namespace {name}"))?
        .is_some()
    {
        return Ok(());
    }
    let managed =
        std::collections::BTreeMap::from([("dokku.com/managed".to_owned(), "true".to_owned())]);
    let namespace = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(managed.clone()),
            annotations: Some(managed),
            ..kube::api::ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match api
        .create(&kube::api::PostParams::default(), &namespace)
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        Err(e) => Err(describe(e)).with_context(|| format!("creating namespace {name}")),
    }
}

/// Identity of an object inside one namespace (or cluster-wide): apiVersion, kind, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

impl ObjectKey {
    /// Key of a JSON object; errors name what is missing.
    pub fn of(obj: &Value) -> Result<ObjectKey> {
        let head = recorded::head(obj);
        let kind = head.kind.clone();
        if kind.is_empty() {
            return Err(anyhow!("rendered object has no kind"));
        }
        let api_version = head.api_version.clone();
        if api_version.is_empty() {
            return Err(anyhow!("rendered {kind} has no apiVersion"));
        }
        let name = head.name().to_owned();
        if name.is_empty() {
            return Err(anyhow!("rendered {kind} has no metadata.name"));
        }
        Ok(ObjectKey {
            api_version,
            kind,
            name,
        })
    }

    pub fn gvk(&self) -> GroupVersionKind {
        gvk_of(&self.api_version, &self.kind)
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)
    }
}

/// `GroupVersionKind` from an apiVersion string (`apps/v1`, `v1`) and a kind.
pub fn gvk_of(api_version: &str, kind: &str) -> GroupVersionKind {
    match api_version.split_once('/') {
        Some((group, version)) => GroupVersionKind::gvk(group, version, kind),
        None => GroupVersionKind::gvk("", api_version, kind),
    }
}

/// Kinds berth renders for an app, pruned by label even when the new release has none of them.
/// Kinds whose API the cluster does not serve (a CRD that is not installed) are skipped.
pub const APP_KINDS: &[(&str, &str)] = &[
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("batch/v1", "CronJob"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("v1", "ServiceAccount"),
    ("networking.k8s.io/v1", "Ingress"),
    ("cert-manager.io/v1", "Certificate"),
    ("cert-manager.io/v1", "Issuer"),
    ("traefik.io/v1alpha1", "IngressRoute"),
    ("traefik.io/v1alpha1", "Middleware"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("http.keda.sh/v1alpha1", "HTTPScaledObject"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
];

/// Resolves kinds to API resources once per process (discovery is a round trip per group).
#[derive(Clone)]
pub struct Resolver {
    client: Client,
    cache: std::sync::Arc<tokio::sync::Mutex<HashMap<GroupVersionKind, Option<Resolved>>>>,
}

type Resolved = (ApiResource, ApiCapabilities);

impl Resolver {
    pub fn new(client: Client) -> Resolver {
        Resolver {
            client,
            cache: Default::default(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The API resource of `gvk`, or `None` when the server does not serve it.
    pub async fn resolve(&self, gvk: &GroupVersionKind) -> Result<Option<Resolved>> {
        if let Some(hit) = self.cache.lock().await.get(gvk) {
            return Ok(hit.clone());
        }
        let found = match kube::discovery::pinned_kind(&self.client, gvk).await {
            Ok(r) => Some(r),
            Err(kube::Error::Api(s)) if s.code == 404 => None,
            Err(kube::Error::Discovery(_)) => None,
            Err(e) => return Err(describe(e)),
        };
        self.cache.lock().await.insert(gvk.clone(), found.clone());
        Ok(found)
    }

    /// An `Api` for `gvk` in `ns` (cluster-scoped kinds ignore `ns`).
    pub async fn api(
        &self,
        gvk: &GroupVersionKind,
        ns: &str,
    ) -> Result<Option<Api<DynamicObject>>> {
        Ok(self.resolve(gvk).await?.map(|(ar, caps)| match caps.scope {
            Scope::Namespaced => Api::namespaced_with(self.client.clone(), ns, &ar),
            Scope::Cluster => Api::all_with(self.client.clone(), &ar),
        }))
    }
}

/// Kinds pods refer to by name when they are created (their ServiceAccount, Secrets,
/// ConfigMaps, claims): applied before the rest, so no controller has to retry a pod.
const REFERENCED_KINDS: &[&str] = &[
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
];

/// Objects applied at once (one HTTP/2 connection multiplexes them).
const APPLY_CONCURRENCY: usize = 8;

/// Server-side apply every object into `ns` with field manager `berth` (forcing ownership, as
/// the only manager of these objects): the objects pods refer to first, then the others, each
/// wave concurrently. Returns the keys applied.
pub async fn apply_objects(
    resolver: &Resolver,
    ns: &str,
    objects: &[Value],
) -> Result<Vec<ObjectKey>> {
    use futures::{StreamExt, TryStreamExt};
    let (referenced, rest): (Vec<&Value>, Vec<&Value>) = objects
        .iter()
        .partition(|o| REFERENCED_KINDS.contains(&recorded::head(o).kind.as_str()));
    let mut applied = Vec::with_capacity(objects.len());
    for wave in [referenced, rest] {
        let keys: Vec<ObjectKey> = futures::stream::iter(wave)
            .map(|obj| apply_one(resolver, ns, obj))
            .buffered(APPLY_CONCURRENCY)
            .try_collect()
            .await?;
        applied.extend(keys);
    }
    Ok(applied)
}

async fn apply_one(resolver: &Resolver, ns: &str, obj: &Value) -> Result<ObjectKey> {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let key = ObjectKey::of(obj)?;
    let api = resolver.api(&key.gvk(), ns).await?.ok_or_else(|| {
        anyhow!(
            "the cluster does not serve {} {}: install the component that provides it",
            key.api_version,
            key.kind
        )
    })?;
    let mut obj = obj.clone();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        // Namespaced objects land in the app's namespace whatever render wrote.
        if api.resource_url().contains("/namespaces/") {
            meta.insert("namespace".into(), Value::String(ns.into()));
        }
        // Server-managed fields must not be part of an apply body.
        for f in [
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "managedFields",
        ] {
            meta.remove(f);
        }
    }
    obj.as_object_mut().map(|o| o.remove("status"));
    let live = api
        .patch(&key.name, &params, &Patch::Apply(&obj))
        .await
        .map_err(describe)
        .with_context(|| format!("applying {key} in namespace {ns}"))?;
    own_lists(&api, &key, &obj, &live.data, ns).await?;
    Ok(key)
}

/// Put `value` at JSON `pointer` in `root`, creating the objects on the way.
fn set_at(root: &mut Value, pointer: &str, value: Value) {
    let mut at = root;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let Some(obj) = at.as_object_mut() else {
            return;
        };
        if i + 1 == parts.len() {
            obj.insert((*part).to_owned(), value);
            return;
        }
        at = obj
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
}

/// Where the pod spec of the kinds berth renders lives.
const POD_SPECS: [&str; 2] = [
    "/spec/template/spec",
    "/spec/jobTemplate/spec/template/spec",
];

/// The `name`s of a keyed list (`containers`, `env`, `volumes`, `imagePullSecrets`, …).
fn names(list: Option<&Value>) -> BTreeSet<&str> {
    list.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|e| e["name"].as_str()).collect())
        .unwrap_or_default()
}

/// Whether `live` holds an entry (by name) that `want` does not: someone else added it.
fn foreign(live: Option<&Value>, want: Option<&Value>) -> bool {
    !names(live).is_subset(&names(want))
}

/// Whether a live container list holds a container, or a container an env var, port or volume
/// mount, that the release does not define.
fn foreign_in_containers(live: Option<&Value>, want: Option<&Value>) -> bool {
    if foreign(live, want) {
        return true;
    }
    let wanted: Vec<&Value> = want
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    live.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            let Some(w) = wanted.iter().find(|w| w["name"] == c["name"]) else {
                return false;
            };
            ["env", "ports", "volumeMounts"]
                .iter()
                .any(|k| foreign(c.get(*k), w.get(*k)))
        })
}

/// Take back the keyed lists of the pod spec the release defines whole — containers (with
/// their env, ports and mounts), volumes, imagePullSecrets — when another manager added entries
/// (`kubectl edit`, `kubectl set env`): server-side apply keeps those, Dokku's Helm release owns
/// the lists, so berth replaces each such list with exactly its own. A JSON merge patch
/// (RFC 7386) replaces a list whole, where apply and strategic merge would merge it. Defaults the
/// API server filled in are not entries, so an untouched object costs no extra request.
async fn own_lists(
    api: &kube::Api<kube::api::DynamicObject>,
    key: &ObjectKey,
    wanted: &Value,
    live: &Value,
    ns: &str,
) -> Result<()> {
    let mut patch = Value::Object(serde_json::Map::new());
    for spec in POD_SPECS {
        let (Some(live_spec), Some(want_spec)) = (live.pointer(spec), wanted.pointer(spec)) else {
            continue;
        };
        for list in ["imagePullSecrets", "volumes"] {
            if foreign(live_spec.get(list), want_spec.get(list)) {
                let want = want_spec.get(list).cloned().unwrap_or(Value::Null);
                set_at(&mut patch, &format!("{spec}/{list}"), want);
            }
        }
        for list in ["containers", "initContainers"] {
            if foreign_in_containers(live_spec.get(list), want_spec.get(list)) {
                let want = want_spec.get(list).cloned().unwrap_or(Value::Null);
                set_at(&mut patch, &format!("{spec}/{list}"), want);
            }
        }
    }
    if patch.as_object().is_some_and(|o| o.is_empty()) {
        return Ok(());
    }
    api.patch(
        &key.name,
        &PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PatchParams::default()
        },
        &Patch::Merge(&patch),
    )
    .await
    .map_err(describe)
    .with_context(|| format!("taking ownership of the lists of {key} in namespace {ns}"))?;
    Ok(())
}

/// Delete objects of the app in `ns` (selected by `selector` over [`APP_KINDS`] plus `extra_kinds`)
/// that are not in `keep` and were applied for `release` (annotation `meta.helm.sh/release-name`).
/// One-off Jobs and anything else a user labelled by hand are never touched. Returns what was
/// deleted.
pub async fn prune(
    resolver: &Resolver,
    ns: &str,
    selector: &str,
    release: &str,
    keep: &BTreeSet<ObjectKey>,
    extra_kinds: &[GroupVersionKind],
) -> Result<Vec<ObjectKey>> {
    // Every kind is listed at once; deleting is rare and done one by one.
    let listed =
        futures::future::try_join_all(prune_kinds(extra_kinds).into_iter().map(|gvk| async move {
            let Some(api) = resolver.api(&gvk, ns).await? else {
                return anyhow::Ok(None);
            };
            let list = api
                .list(&ListParams::default().labels(selector))
                .await
                .map_err(describe)
                .with_context(|| format!("listing {} in namespace {ns}", gvk.kind))?;
            Ok(Some((gvk, api, list)))
        }))
        .await?;
    let mut deleted = Vec::new();
    for (gvk, api, list) in listed.into_iter().flatten() {
        for obj in list {
            let key = ObjectKey {
                api_version: gvk.api_version(),
                kind: gvk.kind.clone(),
                name: obj.name_any(),
            };
            let ours = obj
                .annotations()
                .get("meta.helm.sh/release-name")
                .is_some_and(|r| r == release);
            if !ours || keep.contains(&key) {
                continue;
            }
            match api.delete(&key.name, &DeleteParams::background()).await {
                Ok(_) => deleted.push(key),
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => {
                    return Err(describe(e)).with_context(|| format!("deleting {key}"));
                }
            }
        }
    }
    Ok(deleted)
}

/// Delete the given objects (missing ones are fine) with foreground propagation, and wait (by
/// watching) until each is gone, so their ReplicaSets, pods and endpoint slices are gone too.
/// The wait shows how many are gone and which are still going. Used by uninstall/destroy/rename.
pub async fn delete_objects(
    resolver: &Resolver,
    ns: &str,
    keys: &[ObjectKey],
    timeout: std::time::Duration,
    progress: &dyn Reporter,
) -> Result<()> {
    let mut pending = Vec::new();
    for key in keys {
        let Some(api) = resolver.api(&key.gvk(), ns).await? else {
            continue;
        };
        let uid = match api.get_opt(&key.name).await.map_err(describe)? {
            Some(obj) => obj.uid().unwrap_or_default(),
            None => continue,
        };
        match api.delete(&key.name, &DeleteParams::foreground()).await {
            Ok(_) => pending.push((api, key.clone(), uid)),
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(describe(e)).with_context(|| format!("deleting {key}")),
        }
    }
    let left: Vec<String> = pending.iter().map(|(_, key, _)| key.to_string()).collect();
    await_deleted(
        "deleting objects",
        pending.into_iter().map(|(api, key, uid)| {
            let name = key.to_string();
            async move {
                kube::runtime::wait::await_condition(
                    api,
                    &key.name,
                    kube::runtime::wait::conditions::is_deleted(&uid),
                )
                .await
                .map(|_| name)
                .map_err(|e| anyhow!("waiting for {key} to be deleted: {e}"))
            }
        }),
        left,
        timeout,
        progress,
    )
    .await
}

/// Wait for every deletion in `waits` (each resolves to its object's name once it is gone), at
/// most `timeout`, showing `gone of total` and what is still going as progress `item`.
/// On timeout the deletions were accepted and go on their own (pods finish their grace period):
/// the error says what is gone and what is still going, never "nothing".
pub async fn await_deleted<F>(
    item: &str,
    waits: impl IntoIterator<Item = F>,
    mut left: Vec<String>,
    timeout: std::time::Duration,
    progress: &dyn Reporter,
) -> Result<()>
where
    F: std::future::Future<Output = Result<String>>,
{
    use futures::StreamExt;
    let requested = left.len();
    if requested == 0 {
        return Ok(());
    }
    let mut waits: futures::stream::FuturesUnordered<F> = waits.into_iter().collect();
    let show = |left: &[String], progress: &dyn Reporter| {
        let gone = requested - left.len();
        progress.update(
            item,
            &format!(
                "{gone} of {requested} gone, waiting for {}",
                left.join(", ")
            ),
        );
    };
    show(&left, progress);
    let all = async {
        while let Some(done) = waits.next().await {
            let name = done?;
            left.retain(|k| *k != name);
            if !left.is_empty() {
                show(&left, progress);
            }
        }
        Ok::<(), anyhow::Error>(())
    };
    let outcome = tokio::time::timeout(timeout, all).await;
    match outcome {
        Ok(done) => {
            done?;
            progress.finish(item, &format!("{requested} of {requested} gone"));
            Ok(())
        }
        Err(_) => {
            progress.close();
            Err(anyhow!(
                "deleted {} of {requested} objects; still being deleted after {}s: {} (they go on \
                 their own; run the command again to wait for them)",
                requested - left.len(),
                timeout.as_secs(),
                left.join(", ")
            ))
        }
    }
}

/// Keys of the app's objects of release `release` in `ns` (label `selector`, annotation
/// `meta.helm.sh/release-name`), over [`APP_KINDS`] plus `extra_kinds`.
pub async fn list_release_objects(
    resolver: &Resolver,
    ns: &str,
    selector: &str,
    release: &str,
    extra_kinds: &[GroupVersionKind],
) -> Result<Vec<ObjectKey>> {
    let mut out = Vec::new();
    for gvk in prune_kinds(extra_kinds) {
        let Some(api) = resolver.api(&gvk, ns).await? else {
            continue;
        };
        for obj in api
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(describe)?
        {
            if obj
                .annotations()
                .get("meta.helm.sh/release-name")
                .is_some_and(|r| r == release)
            {
                out.push(ObjectKey {
                    api_version: gvk.api_version(),
                    kind: gvk.kind.clone(),
                    name: obj.name_any(),
                });
            }
        }
    }
    Ok(out)
}

/// [`APP_KINDS`] plus extra kinds, each once.
pub fn prune_kinds(extra: &[GroupVersionKind]) -> Vec<GroupVersionKind> {
    let mut out: Vec<GroupVersionKind> = APP_KINDS.iter().map(|(av, k)| gvk_of(av, k)).collect();
    for g in extra {
        if !out.contains(g) {
            out.push(g.clone());
        }
    }
    out
}

pub use crate::render::meta::mark_helm_owned;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_kinds() {
        let obj =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a-web"}});
        let key = ObjectKey::of(&obj).unwrap();
        assert_eq!(key.to_string(), "Deployment/a-web");
        assert_eq!(key.gvk().group, "apps");
        assert_eq!(gvk_of("v1", "Secret").group, "");
        let err = ObjectKey::of(&json!({"kind": "Service"})).unwrap_err();
        assert!(err.to_string().contains("apiVersion"), "{err}");
        let kinds = prune_kinds(&[gvk_of("apps/v1", "Deployment"), gvk_of("x.io/v1", "Thing")]);
        assert_eq!(kinds.len(), APP_KINDS.len() + 1);
    }

    #[test]
    fn helm_ownership_marks() {
        let mut obj = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a-web", "labels": {"x": "y"}}});
        mark_helm_owned(&mut obj, "a", "ns");
        assert_eq!(obj["metadata"]["labels"]["x"], "y");
        assert_eq!(
            obj["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "Helm"
        );
        assert_eq!(
            obj["metadata"]["annotations"]["meta.helm.sh/release-name"],
            "a"
        );
        assert_eq!(
            obj["metadata"]["annotations"]["meta.helm.sh/release-namespace"],
            "ns"
        );
    }
}
