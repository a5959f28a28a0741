//! CPU and memory quantities for `resource:limit` / `resource:reserve` (and `shm-size`), checked
//! against Kubernetes' quantity rules and stored in a canonical spelling Kubernetes accepts.

use std::fmt;
use std::str::FromStr;

use super::error::{InvalidValue, Valid, q};

/// A CPU amount in millicores. Accepts `2`, `0.5`, `250m`. Zero (`0`, `0m`) is kept as written:
/// `0` means "not set" (keep the default) and `0m` clears the default, as in the original.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CpuQuantity {
    pub millicores: u64,
    text: String,
}

/// Largest CPU amount accepted (4096 cores).
const CPU_MAX_MILLI: u64 = 4096 * 1000;

fn bad_cpu(s: &str) -> InvalidValue {
    InvalidValue(format!(
        "Invalid cpu quantity {}: use cores (1, 0.5) or millicores (250m), at least 1m and at most 4096 cores",
        q(s)
    ))
}

impl FromStr for CpuQuantity {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Valid<Self> {
        let (num, milli) = match s.strip_suffix('m') {
            Some(n) => (n, true),
            None => (s, false),
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(bad_cpu(s));
        }
        let millicores = if milli {
            if num.contains('.') {
                return Err(bad_cpu(s));
            }
            num.parse::<u64>().map_err(|_| bad_cpu(s))?
        } else {
            let (int, frac) = num.split_once('.').unwrap_or((num, ""));
            if int.is_empty() && frac.is_empty() || frac.contains('.') || frac.len() > 3 {
                return Err(bad_cpu(s));
            }
            let int: u64 = if int.is_empty() {
                0
            } else {
                int.parse().map_err(|_| bad_cpu(s))?
            };
            let frac_milli: u64 = if frac.is_empty() {
                0
            } else {
                format!("{frac:0<3}").parse().map_err(|_| bad_cpu(s))?
            };
            int.checked_mul(1000)
                .and_then(|m| m.checked_add(frac_milli))
                .ok_or_else(|| bad_cpu(s))?
        };
        if millicores > CPU_MAX_MILLI {
            return Err(bad_cpu(s));
        }
        let text = if millicores == 0 {
            if milli {
                "0m".to_owned()
            } else {
                "0".to_owned()
            }
        } else if millicores % 1000 == 0 {
            (millicores / 1000).to_string()
        } else {
            format!("{millicores}m")
        };
        Ok(CpuQuantity { millicores, text })
    }
}

impl fmt::Display for CpuQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A memory amount. Accepts an integer with a unit: `b` (bytes), `Ki`/`Mi`/`Gi`/`Ti` (binary),
/// `k`/`M`/`G`/`T` (decimal, Kubernetes spelling); no unit means `Mi` (Dokku's default). Lowercase
/// `m`/`g` are refused because Kubernetes reads `m` as "milli".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemoryQuantity {
    pub bytes: u64,
    text: String,
}

const MEMORY_UNITS: &[(&str, u64, &str)] = &[
    ("b", 1, ""),
    ("Ki", 1 << 10, "Ki"),
    ("Mi", 1 << 20, "Mi"),
    ("Gi", 1 << 30, "Gi"),
    ("Ti", 1 << 40, "Ti"),
    ("k", 1_000, "k"),
    ("M", 1_000_000, "M"),
    ("G", 1_000_000_000, "G"),
    ("T", 1_000_000_000_000, "T"),
];

/// Docker's (and so Dokku's) memory units, binary whatever the case: `512m`, `512MB`, `1g`,
/// `1GB`, `64kb`. Kubernetes' own units (`M`, `G`, `k`: decimal) are matched first.
fn docker_unit(unit: &str) -> Option<(u64, &'static str)> {
    match unit.to_ascii_lowercase().as_str() {
        "kb" => Some((1 << 10, "Ki")),
        "m" | "mb" => Some((1 << 20, "Mi")),
        "g" | "gb" => Some((1 << 30, "Gi")),
        "tb" => Some((1 << 40, "Ti")),
        _ => None,
    }
}

/// Largest memory amount accepted (1 PiB).
const MEMORY_MAX: u64 = 1 << 50;

fn bad_memory(s: &str) -> InvalidValue {
    InvalidValue(format!(
        "Invalid memory quantity {}: use a whole number with unit b, Ki, Mi, Gi, Ti, k, M, G or T, or Docker's m, g, kb, mb, gb (no unit means Mi), e.g. 512Mi or 512MB",
        q(s)
    ))
}

impl FromStr for MemoryQuantity {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Valid<Self> {
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        if num.is_empty() || num.len() > 20 {
            return Err(bad_memory(s));
        }
        let n: u64 = num.parse().map_err(|_| bad_memory(s))?;
        let (factor, suffix) = if unit.is_empty() {
            (1 << 20, "Mi")
        } else {
            MEMORY_UNITS
                .iter()
                .find(|(u, _, _)| *u == unit)
                .map(|(_, f, suffix)| (*f, *suffix))
                .or_else(|| docker_unit(unit))
                .ok_or_else(|| bad_memory(s))?
        };
        let bytes = n.checked_mul(factor).ok_or_else(|| bad_memory(s))?;
        if bytes > MEMORY_MAX {
            return Err(bad_memory(s));
        }
        // A bare `0` is Dokku's "not set"; keep it distinguishable from an explicit `0Mi`.
        let text = if s == "0" {
            "0".to_owned()
        } else {
            format!("{n}{suffix}")
        };
        Ok(MemoryQuantity { bytes, text })
    }
}

impl fmt::Display for MemoryQuantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu() {
        for (input, text, milli) in [
            ("1", "1", 1000),
            ("0.5", "500m", 500),
            (".25", "250m", 250),
            ("250m", "250m", 250),
            ("2000m", "2", 2000),
            ("0m", "0m", 0),
            ("0", "0", 0),
        ] {
            let c: CpuQuantity = input.parse().unwrap();
            assert_eq!(
                (c.to_string().as_str(), c.millicores),
                (text, milli),
                "{input}"
            );
        }
        for bad in [
            "", "m", "-1", "1.5m", "0.0001", "1e3", "abc", "1 ", "5000", "1..2", ".",
        ] {
            assert!(bad.parse::<CpuQuantity>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn memory() {
        for (input, text, bytes) in [
            ("512", "512Mi", 512 << 20),
            ("512Mi", "512Mi", 512 << 20),
            ("1Gi", "1Gi", 1 << 30),
            ("1024b", "1024", 1024),
            ("64Ki", "64Ki", 64 << 10),
            ("1G", "1G", 1_000_000_000),
            ("0Mi", "0Mi", 0),
            ("0", "0", 0),
            // Docker's units are binary: Dokku's `512MB` is 536870912 bytes.
            ("512MB", "512Mi", 536_870_912),
            ("256m", "256Mi", 256 << 20),
            ("1g", "1Gi", 1 << 30),
            ("1KB", "1Ki", 1024),
        ] {
            let m: MemoryQuantity = input.parse().unwrap();
            assert_eq!((m.to_string().as_str(), m.bytes), (text, bytes), "{input}");
        }
        for bad in [
            "",
            "Mi",
            "1.5Gi",
            "-1",
            "512q",
            "1gib",
            "1 Mi",
            "99999999999999999999999",
            "2000Ti",
        ] {
            assert!(bad.parse::<MemoryQuantity>().is_err(), "{bad:?} accepted");
        }
    }
}
