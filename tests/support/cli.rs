//! Shared helpers for the CLI tests: a throwaway `BERTH_HOME`, command runners that assert the
//! exit code, and a hash of the state directory to prove a failed command changed nothing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A fresh state directory and a `berth` runner bound to it.
pub struct Env {
    pub home: tempfile::TempDir,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.home.path()
    }

    /// `berth <args>` with `BERTH_HOME` set.
    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("berth").expect("berth binary");
        c.env("BERTH_HOME", self.home.path())
            .env("BERTH_LOCK_TIMEOUT", "20")
            .env_remove("RUST_LOG")
            .args(args);
        c
    }

    /// Run, assert exit 0, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("run berth");
        assert!(
            out.status.success(),
            "berth {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Run with stdin, assert exit 0, return stdout.
    pub fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self
            .cmd(args)
            .write_stdin(stdin)
            .output()
            .expect("run berth");
        assert!(
            out.status.success(),
            "berth {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Run, assert exit 1 and exactly one ` !     ` line on stderr; return that line's message.
    ///
    /// Every failure is also scanned for the secrets the state holds (see [`Env::stored_secrets`]):
    /// an error must never print one.
    pub fn fail(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("run berth");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let stdout = String::from_utf8_lossy(&out.stdout);
        for secret in self.stored_secrets() {
            assert!(
                !stderr.contains(&secret) && !stdout.contains(&secret),
                "berth {args:?} printed the stored secret {secret:?}: {stdout}{stderr}"
            );
        }
        assert_eq!(
            out.status.code(),
            Some(1),
            "berth {args:?}: expected exit 1, stderr: {stderr}"
        );
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "berth {args:?}: expected one stderr line, got {stderr:?}"
        );
        lines[0]
            .strip_prefix(" !     ")
            .unwrap_or_else(|| panic!("berth {args:?}: stderr not in Dokku form: {stderr:?}"))
            .to_owned()
    }

    /// Every value of at least 6 characters in the state's 0600 files (config values, registry
    /// passwords, the join token, autoscaling-auth metadata): the canaries no error may print.
    pub fn stored_secrets(&self) -> Vec<String> {
        stored_secrets(self.home.path())
    }

    /// Hash of every file under the state directory (path, mode, content), locks excluded.
    pub fn state_hash(&self) -> String {
        state_hash_of(self.home.path())
    }

    /// Run `berth <args>` and return its whole observable result in one text: the exit code,
    /// then stdout, then stderr. Snapshot it with [`snap!`](crate::snap) so a change of wording
    /// or of exit code is one reviewed diff (uv's pattern).
    pub fn transcript(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("run berth");
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            out.status
                .code()
                .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// insta filters: timestamps and the temp home path.
    pub fn filters(&self) -> Vec<(String, String)> {
        vec![
            (
                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ".to_owned(),
                "[TIME]".to_owned(),
            ),
            (
                regex_escape(&self.home.path().display().to_string()),
                "[HOME]".to_owned(),
            ),
        ]
    }
}

/// Hash of every file under `home` (path, mode, content), locks excluded.
pub fn state_hash_of(home: &Path) -> String {
    let mut files = Vec::new();
    collect(home, &mut files);
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        let rel = f.strip_prefix(home).unwrap();
        if rel.starts_with("locks") {
            continue;
        }
        use std::os::unix::fs::MetadataExt;
        let mode = std::fs::metadata(&f).map(|m| m.mode()).unwrap_or(0);
        h.update(rel.to_string_lossy().as_bytes());
        h.update(mode.to_le_bytes());
        h.update(std::fs::read(&f).unwrap_or_default());
    }
    hex::encode(h.finalize())
}

/// Every value of at least 6 characters in the 0600 files under `home` (config values, registry
/// passwords, the join token, autoscaling-auth metadata): the canaries no error may print.
pub fn stored_secrets(home: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let mut files = Vec::new();
    collect(home, &mut files);
    let mut secrets = Vec::new();
    for f in files {
        let private = std::fs::metadata(&f)
            .map(|m| m.is_file() && m.mode() & 0o077 == 0)
            .unwrap_or(false);
        if !private || f.components().any(|c| c.as_os_str() == "locks") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => string_leaves(&v, &mut secrets),
            Err(_) => secrets.push(text.trim().to_owned()),
        }
    }
    secrets.retain(|s| s.chars().count() >= 6);
    secrets.sort();
    secrets.dedup();
    secrets
}

fn string_leaves(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| string_leaves(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| string_leaves(v, out)),
        _ => {}
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.push(p.clone());
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

pub fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// Snapshot `value` with the env's filters applied.
#[macro_export]
macro_rules! snap {
    ($env:expr, $name:expr, $value:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (re, rep) in $env.filters() {
            settings.add_filter(&re, rep);
        }
        settings.bind(|| insta::assert_snapshot!($name, $value));
    }};
}
