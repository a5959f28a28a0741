//! app.json `env` (Dokku ≥ 0.38, Heroku's format): per key a default `value`, `generator:
//! "secret"`, `required` (true unless said otherwise) and `sync`. On an app's first deploy every
//! key without a config value gets its default or a generated secret; later deploys only redo
//! `sync` keys. A required key with neither a value nor a default refuses the deploy, naming
//! every such key, before anything is applied.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::read::{boolean, err, object, opt, shown, string};
use super::{AppJsonError, Result};

/// One `env.<KEY>` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    pub description: Option<String>,
    /// The default (`"KEY": "value"` is this alone).
    pub value: Option<String>,
    /// Heroku's default: true.
    pub required: bool,
    pub generator: Option<EnvGenerator>,
    /// Set on every deploy, not only the first.
    pub sync: bool,
}

/// `generator`: Dokku knows `secret` (64 hex characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EnvGenerator {
    Secret,
}

/// Parse `env`; `skipped` collects what is accepted but not used.
pub(super) fn parse_env(v: &Value, skipped: &mut Vec<String>) -> Result<BTreeMap<String, EnvVar>> {
    let mut out = BTreeMap::new();
    for (key, entry) in object(v, "env")? {
        let path = format!("env.{key}");
        crate::model::env::validate_env_key(key)
            .map_err(|e| AppJsonError(format!("{path}: {e}")))?;
        let var = match entry {
            Value::String(s) => EnvVar {
                description: None,
                value: Some(s.clone()),
                required: true,
                generator: None,
                sync: false,
            },
            Value::Object(obj) => {
                let generator = match opt(obj, "generator", &path, string)?.as_deref() {
                    None | Some("") => None,
                    Some("secret") => Some(EnvGenerator::Secret),
                    Some(other) => {
                        skipped.push(format!(
                            "app.json: {path}.generator {other:?} is not one Dokku runs (secret); ignored"
                        ));
                        None
                    }
                };
                EnvVar {
                    description: opt(obj, "description", &path, string)?,
                    value: opt(obj, "value", &path, string)?.filter(|v| !v.is_empty()),
                    required: opt(obj, "required", &path, boolean)?.unwrap_or(true),
                    generator,
                    sync: opt(obj, "sync", &path, boolean)?.unwrap_or(false),
                }
            }
            Value::Null => continue,
            other => {
                return err(format!(
                    "{path} must be a string or an object, got {}",
                    shown(other)
                ));
            }
        };
        out.insert(key.clone(), var);
    }
    Ok(out)
}

/// What a deploy sets from app.json `env`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvPlan {
    /// Keys and values to add to the app's config.
    pub set: BTreeMap<String, String>,
    /// Which of those were generated (never shown).
    pub generated: Vec<String>,
}

/// Required keys that have no config value, no default and no generator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "app.json env: required {} no value, no default and no generator: {} (set {} with: berth config:set <app> {})",
    if .0.len() == 1 { "key has" } else { "keys have" },
    .0.join(", "),
    if .0.len() == 1 { "it" } else { "them" },
    .0.iter().map(|k| format!("{k}=…")).collect::<Vec<_>>().join(" ")
)]
pub struct MissingEnv(pub Vec<String>);

/// Dokku's rule (see the module doc). `current` is the app's config; `first` is true until the
/// app's env has been processed once; `generate` makes one secret.
pub fn plan_env(
    spec: &BTreeMap<String, EnvVar>,
    current: &BTreeMap<String, String>,
    first: bool,
    generate: &mut dyn FnMut() -> String,
) -> std::result::Result<EnvPlan, MissingEnv> {
    let mut plan = EnvPlan::default();
    let mut missing = Vec::new();
    for (key, var) in spec {
        if !first && !var.sync {
            continue;
        }
        let has_value = current.get(key).is_some_and(|v| !v.is_empty());
        if has_value && !var.sync {
            continue;
        }
        if var.generator == Some(EnvGenerator::Secret) {
            plan.set.insert(key.clone(), generate());
            plan.generated.push(key.clone());
        } else if let Some(value) = &var.value {
            plan.set.insert(key.clone(), value.clone());
        } else if var.required && !has_value {
            missing.push(key.clone());
        }
    }
    if missing.is_empty() {
        Ok(plan)
    } else {
        Err(MissingEnv(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> BTreeMap<String, EnvVar> {
        let mut skipped = Vec::new();
        parse_env(&serde_json::from_str(text).unwrap(), &mut skipped).unwrap()
    }

    fn counter() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("gen{n}")
        }
    }

    #[test]
    fn first_deploy_sets_defaults_and_secrets_for_keys_without_a_value() {
        let s = spec(
            r#"{"A": "a", "B": {"value": "b"}, "S": {"generator": "secret"}, "SET": {"value": "x"},
                "OPT": {"required": false}, "EMPTY": {"value": "e"}}"#,
        );
        let current = BTreeMap::from([
            ("SET".to_owned(), "kept".to_owned()),
            ("EMPTY".to_owned(), String::new()),
        ]);
        let plan = plan_env(&s, &current, true, &mut counter()).unwrap();
        assert_eq!(
            plan.set,
            BTreeMap::from([
                ("A".to_owned(), "a".to_owned()),
                ("B".to_owned(), "b".to_owned()),
                ("EMPTY".to_owned(), "e".to_owned()),
                ("S".to_owned(), "gen1".to_owned()),
            ])
        );
        assert_eq!(plan.generated, ["S"]);
    }

    #[test]
    fn later_deploys_only_sync_keys() {
        let s = spec(
            r#"{"A": "a", "S": {"generator": "secret", "sync": true}, "V": {"value": "v", "sync": true}}"#,
        );
        let current = BTreeMap::from([("V".to_owned(), "old".to_owned())]);
        let plan = plan_env(&s, &current, false, &mut counter()).unwrap();
        assert_eq!(plan.set.keys().collect::<Vec<_>>(), ["S", "V"]);
        assert_eq!(plan.set["V"], "v");
    }

    #[test]
    fn missing_required_keys_are_all_named() {
        let s = spec(
            r#"{"DATABASE_URL": {"description": "db"}, "B": {"required": true}, "C": {"required": false}}"#,
        );
        let e = plan_env(&s, &BTreeMap::new(), true, &mut counter()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "app.json env: required keys have no value, no default and no generator: B, DATABASE_URL (set them with: berth config:set <app> B=… DATABASE_URL=…)"
        );
        let set = BTreeMap::from([
            ("B".to_owned(), "1".to_owned()),
            ("DATABASE_URL".to_owned(), "x".to_owned()),
        ]);
        assert!(
            plan_env(&s, &set, true, &mut counter())
                .unwrap()
                .set
                .is_empty()
        );
    }

    #[test]
    fn bad_entries_name_the_key() {
        let mut skipped = Vec::new();
        let e = parse_env(
            &serde_json::from_str(r#"{"1BAD": "x"}"#).unwrap(),
            &mut skipped,
        )
        .unwrap_err();
        assert!(e.0.starts_with("env.1BAD: Invalid config key"), "{e}");
        let e = parse_env(&serde_json::from_str(r#"{"A": 3}"#).unwrap(), &mut skipped).unwrap_err();
        assert_eq!(e.0, "env.A must be a string or an object, got 3");
        parse_env(
            &serde_json::from_str(r#"{"A": {"generator": "words"}}"#).unwrap(),
            &mut skipped,
        )
        .unwrap();
        assert_eq!(skipped.len(), 1);
    }
}
