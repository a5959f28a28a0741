//! Text substitutions the original performs while building a release: `$VAR` expansion in start
//! commands and `[[ .APP_NAME ]]`-style placeholders in KEDA trigger metadata.

use std::collections::BTreeMap;

use crate::model::shell_words;

/// The argv of a Procfile entry (or a cron task naming one), split as a shell splits it with
/// `vars` expanded ([`shell_words`]). A command that only a shell can run (`a && b`,
/// `x > log`, `$(…)`) runs as `/bin/sh -c <command>` — Heroku runs every Procfile entry through a
/// shell — and `warnings` says so; a malformed one is an error naming `what`.
pub fn shell_args(
    what: &str,
    command: &str,
    vars: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, String> {
    match shell_words::split_with(command, vars) {
        Ok(words) => Ok(words),
        Err(e) if e.needs_shell() => {
            warnings.push(format!(
                "{what}: {e}, so it runs as /bin/sh -c {command:?} (the image must have /bin/sh)"
            ));
            Ok(vec!["/bin/sh".into(), "-c".into(), command.to_owned()])
        }
        Err(e) => Err(format!("{what}: {e}: {command:?}")),
    }
}

/// Split a command the way the cron plugin does: a simple command only (operators refused,
/// naming the character), parameters expanded from `vars`.
pub fn command_words(
    command: &str,
    vars: &BTreeMap<String, String>,
) -> Result<Vec<String>, shell_words::WordsError> {
    shell_words::split_with(command, vars)
}

/// Substitute trigger metadata placeholders. Accepts the original code's `[[ .APP_NAME ]]`,
/// `[[ .PROCESS_TYPE ]]`, `[[ .DEPLOYMENT_NAME ]]` and the documented `DOKKU_APP_NAME`,
/// `DOKKU_PROCESS_TYPE`, `DOKKU_DEPLOYMENT_NAME` (bare, `$X` or `${X}`). An unknown `[[ ]]`
/// placeholder is an error naming it.
pub fn trigger_metadata(
    value: &str,
    app: &str,
    process_type: &str,
    deployment_name: &str,
) -> Result<String, String> {
    let lookup = |key: &str| -> Option<&str> {
        match key {
            "APP_NAME" | "DOKKU_APP_NAME" => Some(app),
            "PROCESS_TYPE" | "DOKKU_PROCESS_TYPE" => Some(process_type),
            "DEPLOYMENT_NAME" | "DOKKU_DEPLOYMENT_NAME" => Some(deployment_name),
            _ => None,
        }
    };
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("[[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("]]") else {
            return Err(format!("unclosed placeholder in {value:?}"));
        };
        let inner = after[..end].trim();
        let key = inner.strip_prefix('.').unwrap_or(inner);
        match lookup(key) {
            Some(v) => out.push_str(v),
            None => {
                return Err(format!(
                    "unknown placeholder [[ {inner} ]] in {value:?}, use [[ .APP_NAME ]], [[ .PROCESS_TYPE ]] or [[ .DEPLOYMENT_NAME ]]"
                ));
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    // Documented spellings: longest names first so DOKKU_APP_NAME is not eaten by a shorter match.
    for key in [
        "DOKKU_DEPLOYMENT_NAME",
        "DOKKU_PROCESS_TYPE",
        "DOKKU_APP_NAME",
    ] {
        let v = lookup(key).unwrap_or_default();
        out = out
            .replace(&format!("${{{key}}}"), v)
            .replace(&format!("${key}"), v)
            .replace(key, v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_port_and_env() {
        let vars: BTreeMap<String, String> = [("PORT", "5000"), ("NAME", "a b")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(
            command_words(
                "gunicorn --bind 0.0.0.0:$PORT '$PORT' \"${NAME}\" $MISSING x",
                &vars
            )
            .unwrap(),
            vec!["gunicorn", "--bind", "0.0.0.0:5000", "$PORT", "a b", "x"]
        );
        assert!(command_words("echo 'x", &vars).is_err());
        let mut warnings = Vec::new();
        assert_eq!(
            shell_args("web", "bin/setup && bin/web -p $PORT", &vars, &mut warnings).unwrap(),
            vec!["/bin/sh", "-c", "bin/setup && bin/web -p $PORT"]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("web: the shell operator \"&&\" needs a shell"));
        assert!(shell_args("web", "echo 'x", &vars, &mut warnings).is_err());
    }

    #[test]
    fn trigger_placeholders() {
        assert_eq!(
            trigger_metadata(
                "sum(rate(x{deployment=\"[[ .DEPLOYMENT_NAME ]]\",app=\"[[.APP_NAME]]\"}))",
                "a",
                "web",
                "a-web"
            )
            .unwrap(),
            "sum(rate(x{deployment=\"a-web\",app=\"a\"}))"
        );
        assert_eq!(
            trigger_metadata(
                "$DOKKU_APP_NAME/${DOKKU_PROCESS_TYPE}/DOKKU_DEPLOYMENT_NAME",
                "a",
                "web",
                "a-web"
            )
            .unwrap(),
            "a/web/a-web"
        );
        assert!(trigger_metadata("[[ .NOPE ]]", "a", "w", "a-w").is_err());
        assert!(trigger_metadata("[[ .APP_NAME", "a", "w", "a-w").is_err());
    }
}
