//! Per-scope locks so two commands on one app (or two `--global` writes) serialise. `flock` on a
//! file under `locks/`; the holder writes who it is into the file so a waiter that gives up can
//! name it. The lock is released when the guard drops or the process dies.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::atomic::open_lock_file;
use super::{Scope, StoreError};

/// Default bound on waiting for a lock; `BERTH_LOCK_TIMEOUT` (seconds) overrides it.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// The configured lock wait bound.
pub fn lock_timeout() -> Duration {
    std::env::var("BERTH_LOCK_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_LOCK_TIMEOUT)
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct LockFile {
    file: File,
}

impl Drop for LockFile {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// What the holder wrote: `pid <n>, <command>, since <time>`. Never includes argument values
/// (they may be secrets).
fn holder_line(command: &str) -> String {
    format!(
        "pid {}, `{command}`, since {}",
        std::process::id(),
        jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// Acquire the lock at `path` for `scope`, waiting up to `timeout`. `command` names the running
/// command (e.g. `berth config:set`) for the holder record. `on_wait` is called once if the lock
/// is busy, with the current holder, so the caller can tell the user it is waiting.
pub(super) fn acquire(
    path: PathBuf,
    scope: &Scope,
    command: &str,
    timeout: Duration,
    on_wait: &mut dyn FnMut(&str),
) -> Result<LockFile, StoreError> {
    let mut file = open_lock_file(&path)?;
    let start = Instant::now();
    let mut announced = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file);
                if start.elapsed() >= timeout {
                    return Err(StoreError::Locked {
                        scope: scope.to_string(),
                        holder,
                        waited: timeout,
                    });
                }
                if !announced {
                    on_wait(&holder);
                    announced = true;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(&path, e)),
        }
    }
    // Holder record is informational; failing to write it must not fail the command.
    let _ = file
        .set_len(0)
        .and_then(|_| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(holder_line(command).as_bytes()));
    Ok(LockFile { file })
}

fn read_holder(file: &mut File) -> String {
    let mut s = String::new();
    let _ = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_string(&mut s));
    let s = s.trim();
    if s.is_empty() {
        "another berth process".to_owned()
    } else {
        s.to_owned()
    }
}
