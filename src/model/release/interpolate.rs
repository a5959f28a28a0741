//! Text substitutions the original performs while building a release: `$VAR` expansion in start
//! commands and `[[ .APP_NAME ]]`-style placeholders in KEDA trigger metadata.

use std::collections::BTreeMap;

/// Expand `$NAME` / `${NAME}` outside single quotes from `vars` (unknown names expand to nothing),
/// then split into words with POSIX shell quoting. `None` when the quotes are unbalanced.
pub fn command_words(command: &str, vars: &BTreeMap<String, String>) -> Option<Vec<String>> {
    let mut out = String::with_capacity(command.len());
    let mut chars = command.chars().peekable();
    let mut in_single = false;
    let mut in_double = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if !in_single => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '\'' if !in_double => {
                in_single = !in_single;
                out.push(c);
            }
            '"' if !in_single => {
                in_double = !in_double;
                out.push(c);
            }
            '$' if !in_single => {
                let braced = chars.peek() == Some(&'{');
                if braced {
                    chars.next();
                }
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if braced {
                    if chars.peek() == Some(&'}') {
                        chars.next();
                    } else {
                        return None;
                    }
                }
                if name.is_empty() {
                    out.push('$');
                    if braced {
                        out.push_str("{}");
                    }
                } else if let Some(v) = vars.get(&name) {
                    out.push_str(v);
                }
            }
            _ => out.push(c),
        }
    }
    shlex::split(&out)
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
        assert_eq!(command_words("echo 'x", &vars), None);
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
