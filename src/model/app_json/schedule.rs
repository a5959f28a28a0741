//! Cron schedule validation: the five-field form Kubernetes CronJobs accept, plus the `@` descriptors.

/// Descriptors accepted in place of five fields (Kubernetes' robfig/cron parser accepts these).
const DESCRIPTORS: &[&str] = &[
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
];

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 7,
        names: WEEKDAYS,
    },
];

/// Check a cron schedule; the error says which field is wrong and what is allowed.
pub fn validate(schedule: &str) -> Result<(), String> {
    let s = schedule.trim();
    if s.starts_with('@') {
        if DESCRIPTORS.contains(&s.to_ascii_lowercase().as_str()) {
            return Ok(());
        }
        return Err(format!(
            "unknown descriptor {s:?}, use one of {}",
            DESCRIPTORS.join(", ")
        ));
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily, got {} field(s)",
            parts.len()
        ));
    }
    for (part, field) in parts.iter().zip(FIELDS.iter()) {
        validate_field(part, field)?;
    }
    Ok(())
}

fn validate_field(part: &str, field: &Field) -> Result<(), String> {
    for item in part.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, st)) => (r, Some(st)),
            None => (item, None),
        };
        if let Some(st) = step {
            match st.parse::<u32>() {
                Ok(n) if n > 0 => {}
                _ => return Err(bad(field, item)),
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (value(a, field, item)?, value(b, field, item)?),
            None => {
                let v = value(range, field, item)?;
                (v, v)
            }
        };
        if lo > hi {
            return Err(bad(field, item));
        }
    }
    Ok(())
}

fn value(text: &str, field: &Field, item: &str) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = field.names.iter().position(|n| *n == lower) {
        // Month names are 1-based, weekday names 0-based.
        return Ok(i as u32 + field.min);
    }
    match text.parse::<u32>() {
        Ok(v) if (field.min..=field.max).contains(&v) => Ok(v),
        _ => Err(bad(field, item)),
    }
}

fn bad(field: &Field, item: &str) -> String {
    format!(
        "{} field {item:?} is not valid, use *, a number {}-{}, a range a-b, a list a,b or a step */n",
        field.name, field.min, field.max
    )
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_common_schedules() {
        for ok in [
            "@daily",
            "@HOURLY",
            "*/5 * * * *",
            "0 3 * * 1-5",
            "0,30 8-18/2 1 jan-mar MON",
            "5 4 * * sun",
            "0 0 1 1 7",
        ] {
            assert!(validate(ok).is_ok(), "{ok} rejected: {:?}", validate(ok));
        }
    }

    #[test]
    fn rejects_bad_schedules() {
        for bad in [
            "",
            "@sometimes",
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "*/0 * * * *",
            "5-1 * * * *",
            "a * * * *",
            "* * * * * *",
        ] {
            assert!(validate(bad).is_err(), "{bad:?} accepted");
        }
    }
}
