//! Resource requests/limits rules (reference §5.4.2): defaults, `0`/`0m`, bare memory in Mi.

use std::collections::BTreeMap;

use super::Resources;
use super::build::{ReleaseError, fail};
use super::inputs::ResourceSetting;
use crate::model::quantity::{CpuQuantity, MemoryQuantity};

/// True for a Kubernetes quantity such as `100m`, `0.5`, `128Mi`, `1e3`.
pub(crate) fn is_quantity(s: &str) -> bool {
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(num_end);
    let num_ok = !num.is_empty()
        && num.bytes().any(|b| b.is_ascii_digit())
        && num.matches('.').count() <= 1
        && !num[1..].contains('+');
    let suffix_ok = matches!(
        suffix,
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
    ) || (suffix.starts_with(['e', 'E'])
        && suffix[1..]
            .trim_start_matches(['+', '-'])
            .bytes()
            .all(|b| b.is_ascii_digit())
        && suffix.len() > 1);
    num_ok && suffix_ok
}

pub(crate) fn is_zero_quantity(s: &str) -> bool {
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(s.len());
    s[..num_end]
        .bytes()
        .all(|b| matches!(b, b'0' | b'.' | b'+'))
}

/// Apply the reference's resource rules (§5.4.2) for one process scope.
pub(crate) fn resolve_resources(
    settings: &BTreeMap<String, ResourceSetting>,
    scope: &str,
) -> Result<Resources, ReleaseError> {
    let own = settings.get(scope);
    let default = settings.get("_default_");
    let pick = |f: fn(&ResourceSetting) -> &Option<String>| -> Option<String> {
        let set = |s: Option<&ResourceSetting>| {
            s.and_then(|s| f(s).clone())
                .filter(|v| !v.is_empty() && v != "0")
        };
        set(own).or_else(|| set(default))
    };
    let mut r = Resources {
        request_cpu: Some("100m".into()),
        request_memory: Some("128Mi".into()),
        ..Resources::default()
    };
    let cpu = |v: String, what: &str| -> Result<Option<String>, ReleaseError> {
        if !is_quantity(&v) {
            return fail(format!(
                "resource {what} {v:?} for {scope} is not a valid cpu quantity (e.g. 100m, 0.5, 2)"
            ));
        }
        Ok((!is_zero_quantity(&v)).then_some(v))
    };
    let memory = |v: String, what: &str| -> Result<Option<String>, ReleaseError> {
        let v = if v.bytes().all(|b| b.is_ascii_digit()) {
            format!("{v}Mi")
        } else {
            v
        };
        if !is_quantity(&v) {
            return fail(format!(
                "resource {what} {v:?} for {scope} is not a valid memory quantity (e.g. 512Mi, 1Gi)"
            ));
        }
        Ok((!is_zero_quantity(&v)).then_some(v))
    };
    let reserved_cpu = pick(|s| &s.reserve_cpu);
    let reserved_memory = pick(|s| &s.reserve_memory);
    if let Some(v) = reserved_cpu.clone() {
        r.request_cpu = cpu(v, "reserve cpu")?;
    }
    if let Some(v) = reserved_memory.clone() {
        r.request_memory = memory(v, "reserve memory")?;
    }
    if let Some(v) = pick(|s| &s.limit_cpu) {
        r.limit_cpu = cpu(v, "limit cpu")?;
    }
    if let Some(v) = pick(|s| &s.limit_memory) {
        r.limit_memory = memory(v, "limit memory")?;
    }
    // A limit below the *default* request would be refused by the API server (request > limit):
    // the default request is lowered to the limit, as the original does. A request the user set
    // is left for the API server to judge.
    if reserved_cpu.is_none()
        && let (Some(req), Some(lim)) = (&r.request_cpu, &r.limit_cpu)
        && let (Ok(req_q), Ok(lim_q)) = (req.parse::<CpuQuantity>(), lim.parse::<CpuQuantity>())
        && lim_q.millicores < req_q.millicores
    {
        r.request_cpu = Some(lim.clone());
    }
    if reserved_memory.is_none()
        && let (Some(req), Some(lim)) = (&r.request_memory, &r.limit_memory)
        && let (Ok(req_q), Ok(lim_q)) =
            (req.parse::<MemoryQuantity>(), lim.parse::<MemoryQuantity>())
        && lim_q.bytes < req_q.bytes
    {
        r.request_memory = Some(lim.clone());
    }
    if let Some(v) = pick(|s| &s.limit_gpu) {
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return fail(format!(
                "resource limit nvidia-gpu {v:?} for {scope} must be a whole number"
            ));
        }
        r.limit_gpu = Some(v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_below_the_default_request_lowers_the_request() {
        let setting = |limit_memory: &str, limit_cpu: &str, reserve_memory: Option<&str>| {
            BTreeMap::from([(
                "web".to_owned(),
                ResourceSetting {
                    limit_memory: Some(limit_memory.into()),
                    limit_cpu: Some(limit_cpu.into()),
                    reserve_memory: reserve_memory.map(Into::into),
                    ..ResourceSetting::default()
                },
            )])
        };
        let r = resolve_resources(&setting("64", "50m", None), "web").unwrap();
        assert_eq!(r.request_memory.as_deref(), Some("64Mi"));
        assert_eq!(r.request_cpu.as_deref(), Some("50m"));
        let r = resolve_resources(&setting("512", "2", None), "web").unwrap();
        assert_eq!(
            r.request_memory.as_deref(),
            Some("128Mi"),
            "a higher limit keeps the default"
        );
        assert_eq!(r.request_cpu.as_deref(), Some("100m"));
        let r = resolve_resources(&setting("64", "2", Some("100")), "web").unwrap();
        assert_eq!(
            r.request_memory.as_deref(),
            Some("100Mi"),
            "a user's reservation is kept"
        );
    }

    #[test]
    fn quantities() {
        for ok in ["100m", "0.5", "2", "128Mi", "1e3", "0m", "1Gi", "500M"] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "m", "1.2.3", "12X", "-1", "1 Gi"] {
            assert!(!is_quantity(bad), "{bad}");
        }
        assert!(is_zero_quantity("0m"));
        assert!(is_zero_quantity("0Mi"));
        assert!(!is_zero_quantity("10m"));
    }

    #[test]
    fn resource_rules() {
        let mut s = BTreeMap::new();
        let r = resolve_resources(&s, "web").unwrap();
        assert_eq!(r.request_cpu.as_deref(), Some("100m"));
        assert_eq!(r.request_memory.as_deref(), Some("128Mi"));
        s.insert(
            "_default_".to_owned(),
            ResourceSetting {
                reserve_cpu: Some("0m".into()),
                reserve_memory: Some("300".into()),
                limit_memory: Some("512".into()),
                limit_cpu: Some("0".into()),
                ..Default::default()
            },
        );
        let r = resolve_resources(&s, "web").unwrap();
        assert_eq!(r.request_cpu, None);
        assert_eq!(r.request_memory.as_deref(), Some("300Mi"));
        assert_eq!(r.limit_memory.as_deref(), Some("512Mi"));
        assert_eq!(r.limit_cpu, None);
        s.insert(
            "web".to_owned(),
            ResourceSetting {
                limit_cpu: Some("lots".into()),
                ..Default::default()
            },
        );
        assert!(
            resolve_resources(&s, "web")
                .unwrap_err()
                .0
                .contains("\"lots\" for web is not a valid cpu quantity")
        );
    }
}
