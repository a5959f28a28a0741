//! `certs:add APP < cert-key.tar`: Dokku's streamed import, a tar archive holding exactly one
//! `.crt` and one `.key` file (any directory, hidden paths ignored, as Dokku's `find` does).
//! Only those two regular files are read; nothing is extracted to disk.

use std::io::Read;

use super::error::{InvalidValue, Valid};

/// The largest certificate or key read out of an archive (the same limit as for a file).
const MEMBER_MAX: u64 = 1 << 20;

/// The certificate and key text of the archive `bytes`, with Dokku's messages for a missing or
/// doubled file.
pub fn pair_from_tar(bytes: &[u8]) -> Valid<(String, String)> {
    let mut archive = tar::Archive::new(bytes);
    let entries = archive.entries().map_err(|e| not_tar(&e))?;
    let (mut crts, mut keys) = (Vec::new(), Vec::new());
    for entry in entries {
        let mut entry = entry.map_err(|e| not_tar(&e))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|e| not_tar(&e))?.into_owned();
        let hidden = path
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.') && c.as_os_str() != ".");
        let name = path.to_string_lossy().into_owned();
        let list = match () {
            _ if hidden => continue,
            _ if name.ends_with(".crt") => &mut crts,
            _ if name.ends_with(".key") => &mut keys,
            _ => continue,
        };
        let mut text = Vec::new();
        (&mut entry)
            .take(MEMBER_MAX + 1)
            .read_to_end(&mut text)
            .map_err(|e| not_tar(&e))?;
        if text.len() as u64 > MEMBER_MAX {
            return Err(InvalidValue(format!(
                "Invalid certificate archive: {name} is larger than {MEMBER_MAX} bytes"
            )));
        }
        let text = String::from_utf8(text).map_err(|_| {
            InvalidValue(format!(
                "Invalid certificate archive: {name} is not PEM text"
            ))
        })?;
        list.push(text);
    }
    let crt = exactly_one(crts, "crt")?;
    let key = exactly_one(keys, "key")?;
    Ok((crt, key))
}

fn exactly_one(mut found: Vec<String>, ext: &str) -> Valid<String> {
    match found.len() {
        0 => Err(InvalidValue(format!("Tar archive is missing .{ext} file"))),
        1 => Ok(found.remove(0)),
        _ => Err(InvalidValue(format!(
            "Tar archive contains more than one .{ext} file"
        ))),
    }
}

fn not_tar(e: &std::io::Error) -> InvalidValue {
    InvalidValue(format!(
        "Invalid certificate archive: not a tar archive ({e}); expected a tar of server.crt and server.key on stdin"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, text) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o600);
            h.set_cksum();
            b.append_data(&mut h, path, text.as_bytes()).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn reads_one_crt_and_one_key_anywhere_but_hidden_paths() {
        let t = tar_of(&[
            ("certs/server.crt", "CRT"),
            ("server.key", "KEY"),
            (".git/old.crt", "HIDDEN"),
            ("README", "x"),
        ]);
        assert_eq!(pair_from_tar(&t).unwrap(), ("CRT".into(), "KEY".into()));
    }

    #[test]
    fn dokku_messages_for_missing_and_doubled_files() {
        let e = |t: Vec<u8>| pair_from_tar(&t).unwrap_err().to_string();
        assert_eq!(
            e(tar_of(&[("server.key", "K")])),
            "Tar archive is missing .crt file"
        );
        assert_eq!(
            e(tar_of(&[("server.crt", "C")])),
            "Tar archive is missing .key file"
        );
        assert_eq!(
            e(tar_of(&[("a.crt", "C"), ("b.crt", "C"), ("k.key", "K")])),
            "Tar archive contains more than one .crt file"
        );
        assert_eq!(e(Vec::new()), "Tar archive is missing .crt file");
        assert!(
            e(b"not a tar archive at all, just some text".repeat(20))
                .starts_with("Invalid certificate archive")
        );
    }
}
