//! Reading app.json values: typed getters whose errors name the JSON path, the value and the
//! rule, and the JSONC comment / trailing-comma stripping.

use serde_json::{Map, Value};

use super::{AppJsonError, Result};
use crate::model::names::ProcessType;

pub(super) fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(AppJsonError(msg.into()))
}

/// Short description of a JSON value for error messages.
pub(super) fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

pub(super) fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| AppJsonError(format!("{path} must be an object, got {}", shown(v))))
}

pub(super) fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| AppJsonError(format!("{path} must be an array, got {}", shown(v))))
}

pub(super) fn string(v: &Value, path: &str) -> Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| AppJsonError(format!("{path} must be a string, got {}", shown(v))))
}

pub(super) fn boolean(v: &Value, path: &str) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| AppJsonError(format!("{path} must be true or false, got {}", shown(v))))
}

pub(super) fn count(v: &Value, path: &str) -> Result<u32> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n <= i32::MAX as u32)
        .ok_or_else(|| {
            AppJsonError(format!(
                "{path} must be a non-negative integer, got {}",
                shown(v)
            ))
        })
}

/// Field `key` of `obj`, treating JSON `null` as absent (Go's decoder does the same).
pub(super) fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

pub(super) fn opt<T>(
    obj: &Map<String, Value>,
    key: &str,
    path: &str,
    f: impl Fn(&Value, &str) -> Result<T>,
) -> Result<Option<T>> {
    field(obj, key)
        .map(|v| f(v, &format!("{path}.{key}")))
        .transpose()
}

pub(super) fn process_key(key: &str, path: &str) -> Result<ProcessType> {
    key.parse::<ProcessType>()
        .map_err(|e| AppJsonError(format!("{path}: {e}")))
}

/// Remove `//` and `/* */` comments outside strings, and trailing commas before `}`/`]`.
pub(super) fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    if n == '\n' {
                        out.push('\n');
                    }
                    prev = n;
                }
                out.push(' ');
            }
            '}' | ']' => {
                // Drop a trailing comma (JSONC allows `[1, 2,]`).
                let trimmed = out.trim_end().len();
                if out[..trimmed].ends_with(',') {
                    out.truncate(trimmed - 1);
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
