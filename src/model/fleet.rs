//! `--all --parallel N` as Dokku reads it (`plugins/common/parallel.go`): below -1 is refused,
//! -1 means one worker per CPU, 0 and 1 run the apps one after another.

use super::InvalidValue;

/// How many apps run at once, and the notice Dokku prints about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parallelism {
    /// 1: serially.
    pub workers: usize,
    pub notice: Option<String>,
}

impl Parallelism {
    pub fn serial(&self) -> bool {
        self.workers <= 1
    }
}

/// The workers for `--parallel count` of `command` (`rebuild`, `restart`, …) on `cpus` CPUs.
pub fn parallelism(count: i64, cpus: usize, command: &str) -> Result<Parallelism, InvalidValue> {
    match count {
        c if c < -1 => Err(InvalidValue::new(format!(
            "Invalid value {c} for --parallel flag"
        ))),
        -1 => Ok(Parallelism {
            workers: cpus.max(1),
            notice: Some(format!(
                "Setting --parallel=-1 value to CPU count of {}",
                cpus.max(1)
            )),
        }),
        0 | 1 => Ok(Parallelism {
            workers: 1,
            notice: Some(format!("Running {command} in serial mode")),
        }),
        c => Ok(Parallelism {
            workers: usize::try_from(c).unwrap_or(usize::MAX),
            notice: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dokku_s_parallel_values() {
        assert_eq!(
            parallelism(-2, 4, "rebuild").unwrap_err().to_string(),
            "Invalid value -2 for --parallel flag"
        );
        let cpu = parallelism(-1, 4, "rebuild").unwrap();
        assert_eq!(cpu.workers, 4);
        assert_eq!(
            cpu.notice.as_deref(),
            Some("Setting --parallel=-1 value to CPU count of 4")
        );
        for n in [0, 1] {
            let p = parallelism(n, 4, "restart").unwrap();
            assert!(p.serial());
            assert_eq!(p.notice.as_deref(), Some("Running restart in serial mode"));
        }
        let ten = parallelism(10, 2, "rebuild").unwrap();
        assert_eq!((ten.workers, ten.notice), (10, None));
    }
}
