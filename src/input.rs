//! The one reader for file arguments (app.json, Procfile, certificates, kubeconfigs, the k3s
//! installer, passwords on stdin): regular files only, and never more than a documented size, so
//! `/dev/zero`, a FIFO or a directory is refused at once with a clear line instead of filling
//! memory or blocking forever. Used before any lock is taken.

use std::io::Read;
use std::path::{Path, PathBuf};

/// What a file argument is, and how large it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    /// How the error names it: `app.json`, `Procfile`, …
    pub what: &'static str,
    /// The largest accepted size in bytes.
    pub max_bytes: u64,
}

const MIB: u64 = 1 << 20;

pub const APP_JSON: FileKind = FileKind {
    what: "app.json",
    max_bytes: MIB,
};
pub const PROCFILE: FileKind = FileKind {
    what: "Procfile",
    max_bytes: MIB,
};
pub const CERTIFICATE: FileKind = FileKind {
    what: "certificate",
    max_bytes: MIB,
};
pub const KUBECONFIG: FileKind = FileKind {
    what: "kubeconfig",
    max_bytes: 16 * MIB,
};
pub const INSTALLER: FileKind = FileKind {
    what: "k3s installer",
    max_bytes: 16 * MIB,
};
/// An environment to import (`config:import`).
pub const ENV_FILE: FileKind = FileKind {
    what: "env file",
    max_bytes: MIB,
};
/// A tar of a certificate and key on stdin (`certs:add APP < cert-key.tar`).
pub const CERT_ARCHIVE: FileKind = FileKind {
    what: "certificate archive",
    max_bytes: 4 * MIB,
};
/// A secret given on stdin (`--password-stdin`).
pub const SECRET_STDIN: FileKind = FileKind {
    what: "password",
    max_bytes: 64 * 1024,
};

/// Why a file argument was refused. Never includes the file's content.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} {} is {found}, not a regular file", path.display())]
    NotRegular {
        what: &'static str,
        path: PathBuf,
        found: &'static str,
    },
    #[error("{what} {} is larger than {} (the most berth reads)", path.display(), human(*max))]
    TooLarge {
        what: &'static str,
        path: PathBuf,
        max: u64,
    },
    #[error("{what} {} is not UTF-8 text", path.display())]
    NotText { what: &'static str, path: PathBuf },
}

fn human(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

fn file_type_name(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a named pipe"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Read the regular file at `path` as bytes, refusing anything else or anything over the limit.
pub fn read_bytes(path: &Path, kind: FileKind) -> Result<Vec<u8>, InputError> {
    let io = |source| InputError::Io {
        what: kind.what,
        path: path.to_owned(),
        source,
    };
    // The type is checked on the path first so a FIFO is never opened (opening one blocks until
    // a writer comes), then again on the opened file in case the path was swapped meanwhile.
    let meta = std::fs::metadata(path).map_err(io)?;
    check_meta(path, kind, &meta)?;
    let file = std::fs::File::open(path).map_err(io)?;
    check_meta(path, kind, &file.metadata().map_err(io)?)?;
    read_capped(file, path, kind)
}

fn check_meta(path: &Path, kind: FileKind, meta: &std::fs::Metadata) -> Result<(), InputError> {
    if !meta.file_type().is_file() {
        return Err(InputError::NotRegular {
            what: kind.what,
            path: path.to_owned(),
            found: file_type_name(&meta.file_type()),
        });
    }
    if meta.len() > kind.max_bytes {
        return Err(InputError::TooLarge {
            what: kind.what,
            path: path.to_owned(),
            max: kind.max_bytes,
        });
    }
    Ok(())
}

/// At most `max_bytes` from `reader`; more is refused (a file that grew, or stdin).
fn read_capped(reader: impl Read, path: &Path, kind: FileKind) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(kind.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io {
            what: kind.what,
            path: path.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > kind.max_bytes {
        return Err(InputError::TooLarge {
            what: kind.what,
            path: path.to_owned(),
            max: kind.max_bytes,
        });
    }
    Ok(bytes)
}

fn text(bytes: Vec<u8>, path: &Path, kind: FileKind) -> Result<String, InputError> {
    String::from_utf8(bytes).map_err(|_| InputError::NotText {
        what: kind.what,
        path: path.to_owned(),
    })
}

/// [`read_bytes`] as UTF-8 text.
pub fn read_text(path: &Path, kind: FileKind) -> Result<String, InputError> {
    text(read_bytes(path, kind)?, path, kind)
}

/// Standard input to EOF, within `kind`'s limit.
pub fn read_stdin_bytes(kind: FileKind) -> Result<Vec<u8>, InputError> {
    read_capped(std::io::stdin().lock(), Path::new("(stdin)"), kind)
}

/// A file argument where `-` means standard input (read to EOF, within the same limit).
pub fn read_text_or_stdin(arg: &str, kind: FileKind) -> Result<String, InputError> {
    if arg == "-" {
        let path = Path::new("(stdin)");
        let bytes = read_capped(std::io::stdin().lock(), path, kind)?;
        return text(bytes, path, kind);
    }
    read_text(Path::new(arg), kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: FileKind = FileKind {
        what: "Procfile",
        max_bytes: 8,
    };

    #[test]
    fn refuses_devices_directories_and_fifos() {
        let e = read_text(Path::new("/dev/zero"), PROCFILE).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Procfile /dev/zero is a character device, not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(dir.path(), APP_JSON).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("is a directory, not a regular file"),
            "{e}"
        );
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let e = read_text(&fifo, APP_JSON).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("is a named pipe, not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn refuses_files_over_the_limit_and_non_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Procfile");
        std::fs::write(&p, "web: 12345").unwrap();
        let e = read_text(&p, SMALL).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("is larger than 8 bytes (the most berth reads)"),
            "{e}"
        );
        std::fs::write(&p, b"\xff\xfe").unwrap();
        assert!(matches!(
            read_text(&p, SMALL),
            Err(InputError::NotText { .. })
        ));
        std::fs::write(&p, "web: x").unwrap();
        assert_eq!(read_text(&p, SMALL).unwrap(), "web: x");
        assert_eq!(human(MIB), "1 MiB");
        assert_eq!(human(64 * 1024), "64 KiB");
    }
}
