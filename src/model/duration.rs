//! Durations in Go's `time.ParseDuration` syntax (`300s`, `5m`, `1h30m`, `1.5h`), the form the
//! original stores for `deploy-timeout`. A bare integer means seconds, as in Dokku.

use std::time::Duration;

use super::error::{InvalidValue, Valid, q};

const UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
];

/// Longest duration accepted (one week): longer deadlines are almost certainly a typo.
pub const MAX_DURATION_SECS: f64 = 7.0 * 24.0 * 3600.0;

fn bad(s: &str) -> InvalidValue {
    InvalidValue(format!(
        "Invalid duration {}: use a positive number with a unit (ns, us, ms, s, m, h), e.g. 60s, 5m or 1h30m; a bare integer means seconds",
        q(s)
    ))
}

/// Parse a positive duration. Returns the duration and its canonical stored form (a bare integer
/// gets `s` appended; anything else is kept as written).
pub fn parse_duration(s: &str) -> Valid<(Duration, String)> {
    if s.is_empty() || s.len() > 64 {
        return Err(bad(s));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = s.parse().map_err(|_| bad(s))?;
        if secs == 0 || secs as f64 > MAX_DURATION_SECS {
            return Err(bad(s));
        }
        return Ok((Duration::from_secs(secs), format!("{secs}s")));
    }
    let mut rest = s;
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let num = &rest[..num_len];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return Err(bad(s));
        }
        let value: f64 = num.parse().map_err(|_| bad(s))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let factor = UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, f)| *f)
            .ok_or_else(|| bad(s))?;
        total += value * factor;
        rest = &rest[unit_len..];
    }
    if total.is_nan() || total <= 0.0 || total > MAX_DURATION_SECS {
        return Err(bad(s));
    }
    Ok((Duration::from_secs_f64(total), s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_go_durations() {
        assert_eq!(
            parse_duration("300").unwrap(),
            (Duration::from_secs(300), "300s".into())
        );
        assert_eq!(parse_duration("60s").unwrap().0, Duration::from_secs(60));
        assert_eq!(parse_duration("5m").unwrap().0, Duration::from_secs(300));
        assert_eq!(
            parse_duration("1h30m").unwrap().0,
            Duration::from_secs(5400)
        );
        assert_eq!(parse_duration("1.5h").unwrap().0, Duration::from_secs(5400));
        assert_eq!(
            parse_duration("500ms").unwrap().0,
            Duration::from_millis(500)
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "0",
            "0s",
            "-5s",
            "s",
            "5x",
            "1.2.3s",
            "5 s",
            "abc",
            "1d",
            "9999999999",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.0.contains(&format!("{bad:?}")), "{e}");
        }
    }
}
