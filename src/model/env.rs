//! App environment (`config:*`): variable names, `KEY=VALUE` pairs and the export formats.

use std::collections::BTreeMap;

use super::error::{InvalidValue, Valid, q};

/// Env vars of one scope.
pub type EnvMap = BTreeMap<String, String>;

/// Longest variable name accepted.
pub const ENV_KEY_MAX: usize = 256;

/// Validate a variable name: a letter or `_` then letters, digits and `_` (what a shell accepts).
pub fn validate_env_key(key: &str) -> Valid<()> {
    let ok = !key.is_empty()
        && key.len() <= ENV_KEY_MAX
        && (key.as_bytes()[0].is_ascii_alphabetic() || key.as_bytes()[0] == b'_')
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(InvalidValue(format!(
            "Invalid config key {}: use letters, digits and '_', not starting with a digit (at most {ENV_KEY_MAX})",
            q(key)
        )))
    }
}

/// Validate a value: any text except NUL (an environment cannot hold it).
pub fn validate_env_value(key: &str, value: &str) -> Valid<()> {
    if value.contains('\0') {
        return Err(InvalidValue(format!(
            "Invalid value for config key {key}: NUL characters cannot be stored in an environment"
        )));
    }
    Ok(())
}

/// Parse `KEY=VALUE` (the value may contain `=` and be empty). A pair without `=` is often a
/// pasted secret, so the error never shows it.
pub fn parse_env_pair(pair: &str) -> Valid<(String, String)> {
    let (k, v) = pair.split_once('=').ok_or_else(|| {
        InvalidValue::new("Invalid config pair (not shown, it may hold a secret): use KEY=VALUE")
    })?;
    validate_env_key(k)?;
    validate_env_value(k, v)?;
    Ok((k.to_owned(), v.to_owned()))
}

/// [`parse_env_pair`] over command-line arguments; a pair without `=` is named by its position
/// (`#2` is the second pair), never by its content.
pub fn parse_env_pairs(pairs: &[String]) -> Valid<Vec<(String, String)>> {
    pairs
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            if !pair.contains('=') {
                return Err(InvalidValue(format!(
                    "Invalid config pair #{} (not shown, it may hold a secret): use KEY=VALUE",
                    i + 1
                )));
            }
            parse_env_pair(pair)
        })
        .collect()
}

/// Quote for POSIX shells: `'...'` with embedded `'` as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// `config:export` formats (Dokku's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `export KEY='value'` lines.
    Exports,
    /// `KEY="value"` lines (JSON-style escaping).
    Envfile,
    /// `--env=KEY='value'` joined by spaces.
    DockerArgs,
    /// `--env=KEY` joined by spaces (the values come from the environment).
    DockerArgsKeys,
    /// `KEY='value'` joined by spaces.
    Shell,
    /// `{"KEY": "value"}`.
    Json,
    /// `[{"name": "KEY", "value": "value"}]`.
    JsonList,
    /// `KEY:  value` padded lines.
    Pretty,
}

/// Render `env` in `format` (no trailing newline).
pub fn export(env: &EnvMap, format: ExportFormat) -> String {
    match format {
        ExportFormat::Exports => env
            .iter()
            .map(|(k, v)| format!("export {k}={}", shell_quote(v)))
            .collect::<Vec<_>>()
            .join("\n"),
        ExportFormat::Envfile => env
            .iter()
            .map(|(k, v)| format!("{k}={}", serde_json::Value::String(v.clone())))
            .collect::<Vec<_>>()
            .join("\n"),
        ExportFormat::DockerArgs => env
            .iter()
            .map(|(k, v)| format!("--env={k}={}", shell_quote(v)))
            .collect::<Vec<_>>()
            .join(" "),
        ExportFormat::DockerArgsKeys => env
            .keys()
            .map(|k| format!("--env={k}"))
            .collect::<Vec<_>>()
            .join(" "),
        ExportFormat::Shell => env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_quote(v)))
            .collect::<Vec<_>>()
            .join(" "),
        ExportFormat::Json => serde_json::to_string(env).unwrap_or_default(),
        ExportFormat::JsonList => {
            let list: Vec<serde_json::Value> = env
                .iter()
                .map(|(k, v)| serde_json::json!({"name": k, "value": v}))
                .collect();
            serde_json::Value::Array(list).to_string()
        }
        ExportFormat::Pretty => {
            let width = env.keys().map(|k| k.len() + 1).max().unwrap_or(0);
            env.iter()
                .map(|(k, v)| {
                    format!("{:<width$}  {v}", format!("{k}:"))
                        .trim_end()
                        .to_owned()
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_pairs() {
        assert_eq!(parse_env_pair("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert_eq!(parse_env_pair("_X1=").unwrap(), ("_X1".into(), "".into()));
        for bad in ["A", "=v", "1A=v", "A-B=v", "A B=v", "é=v", "A=\0"] {
            assert!(parse_env_pair(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn exports() {
        let mut env = EnvMap::new();
        env.insert("A".into(), "it's".into());
        env.insert("B".into(), "x y".into());
        assert_eq!(
            export(&env, ExportFormat::Exports),
            "export A='it'\\''s'\nexport B='x y'"
        );
        assert_eq!(
            export(&env, ExportFormat::Json),
            r#"{"A":"it's","B":"x y"}"#
        );
        assert_eq!(export(&env, ExportFormat::Envfile), "A=\"it's\"\nB=\"x y\"");
    }
}
