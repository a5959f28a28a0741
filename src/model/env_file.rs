//! `config:import` input: an envfile (what `config:export --format envfile|exports|shell` writes,
//! and what `.env` files hold) or a JSON object of strings.
//!
//! The envfile grammar is godotenv's, which Dokku uses: blank lines and `#` comments are skipped,
//! `export ` is optional, values are bare (trimmed, ` #` starts a comment), `'single-quoted'`
//! (literal) or `"double-quoted"` (with `\n`, `\t`, `\"`, `\\` escapes, and JSON's `\uXXXX`).
//! Unlike `dotenvy`, nothing is substituted from berth's own environment: an import never copies
//! the host's variables into an app. Errors name the line, never a value (values are secrets).

use super::env::{EnvMap, validate_env_key, validate_env_value};
use super::error::{InvalidValue, Valid};

/// Parse an envfile.
pub fn parse_envfile(text: &str) -> Valid<EnvMap> {
    let mut env = EnvMap::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, raw)) = lines.next() {
        let line_no = index + 1;
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, rest)) = line.split_once('=') else {
            return Err(InvalidValue(format!(
                "Invalid envfile line {line_no}: use KEY=VALUE (line not shown, it may hold a secret)"
            )));
        };
        let key = key.trim_end();
        validate_env_key(key)
            .map_err(|e| InvalidValue(format!("Invalid envfile line {line_no}: {e}")))?;
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                // A quoted value may span lines.
                let mut body = rest[1..].to_owned();
                loop {
                    if let Some(end) = closing_quote(&body, quote) {
                        let inner = &body[..end];
                        break if quote == '"' {
                            unescape(inner)
                        } else {
                            inner.to_owned()
                        };
                    }
                    match lines.next() {
                        Some((_, next)) => {
                            body.push('\n');
                            body.push_str(next);
                        }
                        None => {
                            return Err(InvalidValue(format!(
                                "Invalid envfile line {line_no}: the value of {key} has no closing {quote}"
                            )));
                        }
                    }
                }
            }
            _ => {
                let bare = match rest.find(" #") {
                    Some(i) => &rest[..i],
                    None => rest,
                };
                bare.trim_end().to_owned()
            }
        };
        validate_env_value(key, &value)?;
        env.insert(key.to_owned(), value);
    }
    Ok(env)
}

/// Byte index of the closing `quote` (a `\`-escaped one does not count inside double quotes).
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if quote == '"' && escaped {
            escaped = false;
            continue;
        }
        if quote == '"' && c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let hex: String = chars.clone().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => {
                        out.push(ch);
                        for _ in 0..4 {
                            chars.next();
                        }
                    }
                    _ => out.push_str("\\u"),
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Parse a JSON object whose values are strings (`config:export --format json`).
pub fn parse_json(text: &str) -> Valid<EnvMap> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        InvalidValue(format!(
            "Invalid JSON config at line {} column {}: expected an object of KEY: \"value\" strings",
            e.line(),
            e.column()
        ))
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(InvalidValue::new(
            "Invalid JSON config: expected an object of KEY: \"value\" strings",
        ));
    };
    let mut env = EnvMap::new();
    for (key, value) in map {
        validate_env_key(&key)?;
        let serde_json::Value::String(value) = value else {
            return Err(InvalidValue(format!(
                "Invalid JSON config: the value of {key} must be a string"
            )));
        };
        validate_env_value(&key, &value)?;
        env.insert(key, value);
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::super::env::{ExportFormat, export};
    use super::*;

    #[test]
    fn envfile_forms() {
        let env = parse_envfile(
            "# comment\n\nA=plain value  # note\nexport B='it''s'\nC=\"line\\nnext \\\"q\\\"\"\nD=\nE=\"multi\nline\"\nF=a=b\n",
        )
        .unwrap();
        assert_eq!(env["A"], "plain value");
        assert_eq!(env["B"], "it");
        assert_eq!(env["C"], "line\nnext \"q\"");
        assert_eq!(env["D"], "");
        assert_eq!(env["E"], "multi\nline");
        assert_eq!(env["F"], "a=b");
    }

    #[test]
    fn export_round_trips() {
        let mut env = EnvMap::new();
        env.insert("A".into(), "x y \"z\"\nnext\ttab é".into());
        env.insert("B".into(), "$HOME #not a comment".into());
        assert_eq!(
            parse_envfile(&export(&env, ExportFormat::Envfile)).unwrap(),
            env
        );
        assert_eq!(parse_json(&export(&env, ExportFormat::Json)).unwrap(), env);
    }

    #[test]
    fn bad_input_names_the_line_not_the_value() {
        let e = parse_envfile("A=1\nsupersecretvalue\n").unwrap_err();
        assert!(e.0.contains("line 2"), "{e}");
        assert!(!e.0.contains("supersecret"), "{e}");
        let e = parse_envfile("A=\"unclosed secret\n").unwrap_err();
        assert!(!e.0.contains("secret\""), "{e}");
        assert!(parse_envfile("1A=x").is_err());
        assert!(parse_json("[1]").is_err());
        assert!(parse_json("{\"A\": 1}").is_err());
    }
}
