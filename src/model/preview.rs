//! `scheduler-k3s:preview`: what the next deploy would change, object by object, as helm-diff
//! (which Dokku's preview embeds) shows it — a key `<namespace>, <name>, <Kind> (<group>)`, the
//! change (added, removed, changed) and a line diff of the object's YAML with sorted keys —
//! plus the changed field paths, so JSON output can say *what* changed. Secret values are
//! redacted unless asked for.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};

/// How Secret `data` appears in a preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretView {
    /// `REDACTED # (N bytes)` when a value is unchanged, `-------- # (N bytes)` /
    /// `++++++++ # (N bytes)` for the old / new side of a change (Dokku's default).
    #[default]
    Redacted,
    /// The base64 values as stored (`--show-secrets`).
    Base64,
    /// The values base64-decoded (`--show-secrets-decoded`).
    Decoded,
}

/// What happens to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    /// The words after the key in the header line (helm-diff's).
    pub fn phrase(self) -> &'static str {
        match self {
            Change::Added => "has been added:",
            Change::Removed => "has been removed:",
            Change::Changed => "has changed:",
        }
    }
}

/// One line of an object's diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tag {
    Same,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub tag: Tag,
    pub text: String,
}

/// What would change about one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectDiff {
    pub change: Change,
    /// `<namespace>, <name>, <Kind> (<group>)`, the header helm-diff prints.
    pub key: String,
    pub kind: String,
    /// The API group and version without the version (`apps`), or the version for the core
    /// group (`v1`), as helm-diff names it.
    pub api_group: String,
    pub namespace: String,
    pub name: String,
    /// The paths that differ (`spec.template.spec.containers[0].image`); for an added or
    /// removed object, empty.
    pub fields: Vec<String>,
    /// The whole-object line diff (context is chosen when printing, see [`with_context`]).
    #[serde(skip)]
    pub lines: Vec<DiffLine>,
}

/// An object's identity and its YAML as the preview shows it.
struct Indexed {
    key: String,
    kind: String,
    api_group: String,
    namespace: String,
    name: String,
    value: Value,
}

fn index(objects: &[Value], default_namespace: &str) -> BTreeMap<String, Indexed> {
    let mut out = BTreeMap::new();
    for obj in objects {
        let str_at = |path: &[&str]| {
            path.iter()
                .try_fold(obj, |v, p| v.get(p))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (api_version, kind) = (str_at(&["apiVersion"]), str_at(&["kind"]));
        if api_version.is_empty() && kind.is_empty() {
            continue;
        }
        let api_group = match api_version.rsplit_once('/') {
            Some((group, _)) => group.to_owned(),
            None => api_version.clone(),
        };
        let namespace = match str_at(&["metadata", "namespace"]) {
            ns if ns.is_empty() => default_namespace.to_owned(),
            ns => ns,
        };
        let name = str_at(&["metadata", "name"]);
        let key = format!("{namespace}, {name}, {kind} ({api_group})");
        // The first of two objects with one key wins, as in helm-diff.
        out.entry(key.clone()).or_insert(Indexed {
            key,
            kind,
            api_group,
            namespace,
            name,
            value: obj.clone(),
        });
    }
    out
}

/// Compare the live release's objects with the next deploy's: changed objects in key order,
/// then removed, then added (helm-diff's order). Unchanged objects are not listed.
pub fn compare(
    current: &[Value],
    proposed: &[Value],
    default_namespace: &str,
    secrets: SecretView,
) -> Vec<ObjectDiff> {
    let old = index(current, default_namespace);
    let new = index(proposed, default_namespace);
    let mut changed = Vec::new();
    let mut removed = Vec::new();
    for (key, o) in &old {
        match new.get(key) {
            Some(n) if n.value == o.value => {}
            Some(n) => changed.push(diff(
                Change::Changed,
                o,
                Some(&o.value),
                Some(&n.value),
                secrets,
            )),
            None => removed.push(diff(Change::Removed, o, Some(&o.value), None, secrets)),
        }
    }
    let added = new
        .iter()
        .filter(|(key, _)| !old.contains_key(*key))
        .map(|(_, n)| diff(Change::Added, n, None, Some(&n.value), secrets));
    changed.into_iter().chain(removed).chain(added).collect()
}

fn diff(
    change: Change,
    id: &Indexed,
    old: Option<&Value>,
    new: Option<&Value>,
    secrets: SecretView,
) -> ObjectDiff {
    let (old_shown, new_shown) = if id.kind == "Secret" {
        secret_views(old, new, secrets)
    } else {
        (old.cloned(), new.cloned())
    };
    let old_text = old_shown.as_ref().map(yaml).unwrap_or_default();
    let new_text = new_shown.as_ref().map(yaml).unwrap_or_default();
    let mut fields = Vec::new();
    if let (Some(o), Some(n)) = (old, new) {
        changed_paths(o, n, String::new(), &mut fields);
    }
    ObjectDiff {
        change,
        key: id.key.clone(),
        kind: id.kind.clone(),
        api_group: id.api_group.clone(),
        namespace: id.namespace.clone(),
        name: id.name.clone(),
        fields,
        lines: line_diff(&old_text, &new_text),
    }
}

/// `value` as YAML with every mapping's keys sorted (helm-diff normalises the same way), so
/// the order fields were written in never shows as a change.
fn yaml(value: &Value) -> String {
    serde_saphyr::to_string(&sorted(value)).unwrap_or_else(|e| format!("# cannot show: {e}\n"))
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let old_lines: Vec<&str> = if old.is_empty() {
        Vec::new()
    } else {
        old.lines().collect()
    };
    let new_lines: Vec<&str> = if new.is_empty() {
        Vec::new()
    } else {
        new.lines().collect()
    };
    similar::TextDiff::from_slices(&old_lines, &new_lines)
        .iter_all_changes()
        .map(|c| DiffLine {
            tag: match c.tag() {
                similar::ChangeTag::Equal => Tag::Same,
                similar::ChangeTag::Delete => Tag::Removed,
                similar::ChangeTag::Insert => Tag::Added,
            },
            text: c.value().to_owned(),
        })
        .collect()
}

/// The lines to print with `context` unchanged lines around each change (`None`: all), a
/// `None` item standing for an elided run (printed `...`), as helm-diff does.
pub fn with_context(lines: &[DiffLine], context: Option<usize>) -> Vec<Option<&DiffLine>> {
    let Some(context) = context else {
        return lines.iter().map(Some).collect();
    };
    let changes: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].tag != Tag::Same)
        .collect();
    let near = |i: usize| {
        let at = changes.partition_point(|&c| c < i);
        let after = changes.get(at).map(|&c| c - i);
        let before = at.checked_sub(1).map(|b| i - changes[b]);
        after
            .into_iter()
            .chain(before)
            .min()
            .is_some_and(|d| d <= context)
    };
    let mut out = Vec::new();
    let mut omitting = false;
    for (i, line) in lines.iter().enumerate() {
        if near(i) {
            omitting = false;
            out.push(Some(line));
        } else if !omitting {
            omitting = true;
            out.push(None);
        }
    }
    out
}

/// The paths at which `old` and `new` differ, leaves first-seen order.
fn changed_paths(old: &Value, new: &Value, at: String, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut keys: Vec<&String> = o
                .keys()
                .chain(n.keys().filter(|k| !o.contains_key(*k)))
                .collect();
            keys.sort();
            for k in keys {
                let path = join_key(&at, k);
                match (o.get(k), n.get(k)) {
                    (Some(a), Some(b)) => changed_paths(a, b, path, out),
                    _ => out.push(path),
                }
            }
        }
        (Value::Array(o), Value::Array(n)) if o.len() == n.len() => {
            for (i, (a, b)) in o.iter().zip(n).enumerate() {
                changed_paths(a, b, format!("{at}[{i}]"), out);
            }
        }
        (a, b) if a == b => {}
        _ => out.push(if at.is_empty() { ".".into() } else { at }),
    }
}

fn join_key(at: &str, key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (at.is_empty(), simple) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{at}.{key}"),
        (_, false) => format!("{at}[{}]", serde_json::Value::String(key.to_owned())),
    }
}

/// The two sides of a Secret as the preview shows them: `data` and `stringData` merged into
/// `data`, each value redacted, base64 or decoded.
fn secret_views(
    old: Option<&Value>,
    new: Option<&Value>,
    view: SecretView,
) -> (Option<Value>, Option<Value>) {
    let old_data = old.map(secret_bytes);
    let new_data = new.map(secret_bytes);
    let show = |side: Option<&Value>,
                mine: &Option<BTreeMap<String, Vec<u8>>>,
                theirs: &Option<BTreeMap<String, Vec<u8>>>,
                changed_mark: &str| {
        let (Some(obj), Some(mine)) = (side, mine) else {
            return None;
        };
        let mut shown = obj.clone();
        let m = shown.as_object_mut()?;
        m.remove("stringData");
        if mine.is_empty() {
            m.remove("data");
            return Some(shown);
        }
        let data: Map<String, Value> = mine
            .iter()
            .map(|(k, v)| {
                let text = match view {
                    SecretView::Base64 => base64::engine::general_purpose::STANDARD.encode(v),
                    SecretView::Decoded => String::from_utf8_lossy(v).into_owned(),
                    SecretView::Redacted => {
                        let same = theirs.as_ref().and_then(|t| t.get(k)) == Some(v);
                        let mark = if same { "REDACTED" } else { changed_mark };
                        format!("{mark} # ({} bytes)", v.len())
                    }
                };
                (k.clone(), Value::String(text))
            })
            .collect();
        m.insert("data".into(), Value::Object(data));
        Some(shown)
    };
    (
        show(old, &old_data, &new_data, "--------"),
        show(new, &new_data, &old_data, "++++++++"),
    )
}

/// A Secret's values as bytes: `data` (base64) overlaid by `stringData` (plain), as the API
/// server stores them.
fn secret_bytes(obj: &Value) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Some(data) = obj.get("data").and_then(Value::as_object) {
        for (k, v) in data {
            let text = v.as_str().unwrap_or_default();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_else(|_| text.as_bytes().to_vec());
            out.insert(k.clone(), bytes);
        }
    }
    if let Some(data) = obj.get("stringData").and_then(Value::as_object) {
        for (k, v) in data {
            out.insert(
                k.clone(),
                v.as_str().unwrap_or_default().as_bytes().to_vec(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
