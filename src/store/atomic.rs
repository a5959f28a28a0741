//! Crash-safe file replacement: write a temp file in the target's directory, fsync it, rename it
//! over the target, fsync the directory. A reader (or a crash at any moment) sees the old content
//! or the new content, never a mix or an empty file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::StoreError;

/// File modes berth writes: secrets are readable by the owner only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    /// 0644.
    Public,
    /// 0600: env values, tokens, registry passwords, autoscaling-auth metadata.
    Secret,
}

impl Secrecy {
    pub fn mode(self) -> u32 {
        match self {
            Secrecy::Public => 0o644,
            Secrecy::Secret => 0o600,
        }
    }
}

/// Create `dir` and its parents (0700: the state holds secrets).
pub fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StoreError::io(dir, e))
}

/// fsync a directory so a rename or unlink inside it is durable.
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Atomically replace `path` with `bytes` (temp + fsync + rename + directory fsync).
pub fn write_atomic(path: &Path, bytes: &[u8], secrecy: Secrecy) -> Result<(), StoreError> {
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::io(path, io::Error::other("path has no parent directory")))?;
    ensure_dir(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .permissions(fs::Permissions::from_mode(secrecy.mode()))
        .tempfile_in(dir)
        .map_err(|e| StoreError::io(dir, e))?;
    // The umask may have narrowed the mode; secrets must be exactly 0600, public files 0644.
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(secrecy.mode()))
        .map_err(|e| StoreError::io(tmp.path(), e))?;
    tmp.write_all(bytes)
        .map_err(|e| StoreError::io(tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| StoreError::io(tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| StoreError::io(path, e.error))?;
    sync_dir(dir)
}

/// Remove `path` durably; a missing file is not an error. Returns whether it existed.
pub fn remove_durable(path: &Path) -> Result<bool, StoreError> {
    match fs::remove_file(path) {
        Ok(()) => {
            if let Some(dir) = path.parent() {
                sync_dir(dir)?;
            }
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// Read a file; `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>, StoreError> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// Open (creating) a file for locking, 0600.
pub(super) fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    if let Some(dir) = path.parent() {
        ensure_dir(dir)?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(|e| StoreError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn writes_replaces_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/secret");
        write_atomic(&p, b"one", Secrecy::Secret).unwrap();
        write_atomic(&p, b"two", Secrecy::Secret).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
        let leftovers: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
        assert!(remove_durable(&p).unwrap());
        assert!(!remove_durable(&p).unwrap());
        assert_eq!(read_optional(&p).unwrap(), None);
    }
}
