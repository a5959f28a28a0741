//! Dokku's cron ids and hashes.

use sha1::{Digest, Sha1};

/// Dokku's cron id: lowercase base36 of the bytes of `<app>===<command>===<schedule>`.
pub fn cron_id(app: &str, command: &str, schedule: &str) -> String {
    let bytes = format!("{app}==={command}==={schedule}").into_bytes();
    base36(&bytes)
}

/// SHA-1 hex of a cron id (`dokku.com/cron-hash`).
pub fn cron_hash(id: &str) -> String {
    hex::encode(Sha1::digest(id.as_bytes()))
}

/// Big-endian bytes as a base-36 number (like Go's `big.Int.SetBytes(b).Text(36)`).
pub(crate) fn base36(bytes: &[u8]) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut num: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if num.is_empty() {
        return "0".into();
    }
    let mut out = Vec::new();
    while !num.is_empty() {
        let mut rem: u32 = 0;
        let mut next = Vec::with_capacity(num.len());
        for &b in &num {
            let acc = rem * 256 + u32::from(b);
            let q = acc / 36;
            rem = acc % 36;
            if !(next.is_empty() && q == 0) {
                next.push(q as u8);
            }
        }
        out.push(DIGITS[rem as usize]);
        num = next;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Builds on the release inputs (the cron section of `Release::build`).
mod tasks {
    use std::collections::BTreeSet;

    use super::super::build::{ReleaseError, fail};
    use super::super::inputs::*;
    use super::super::resources::resolve_resources;
    use super::super::*;
    use super::{cron_hash, cron_id};
    use crate::model::procfile::RELEASE_ENTRY;

    /// The app.json cron tasks, each with its id, hash and command words.
    pub(in crate::model::release) fn cron_tasks(
        i: &ReleaseInputs,
        a: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<CronTask>, ReleaseError> {
        let mut cron_tasks = Vec::new();
        let mut seen_ids = BTreeSet::new();
        for (idx, c) in i.app_json.cron.iter().enumerate() {
            let id =
                c.id.clone()
                    .unwrap_or_else(|| cron_id(a, &c.command, &c.schedule));
            if !seen_ids.insert(id.clone()) {
                return fail(format!(
                    "cron[{idx}]: the same task (id {id}) is listed twice"
                ));
            }
            let hash = cron_hash(&id);
            let args = cron_args(i, idx, &c.command, warnings)?;
            cron_tasks.push(CronTask {
                suffix: hash[..10].to_owned(),
                resources: resolve_resources(&i.resources, &id)?,
                id,
                hash,
                command: c.command.clone(),
                args,
                schedule: c.schedule.clone(),
                concurrency_policy: c.concurrency_policy,
                suspend: c.maintenance,
            });
        }

        Ok(cron_tasks)
    }

    /// A cron command's argv: a single word naming a Procfile entry runs that entry's command
    /// (as `run` does); anything else must be a simple command — the cron plugin refuses shell
    /// operators, and so does berth, naming the character.
    fn cron_args(
        i: &ReleaseInputs,
        idx: usize,
        command: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<String>, ReleaseError> {
        let word = command.trim();
        let entry = i.procfile.as_ref().and_then(|pf| {
            if word.contains(char::is_whitespace) {
                return None;
            }
            pf.processes
                .iter()
                .find(|(p, _)| p.as_str() == word)
                .map(|(_, c)| c.as_str())
                .or_else(|| {
                    (word == RELEASE_ENTRY)
                        .then_some(pf.release.as_deref())
                        .flatten()
                })
        });
        if let Some(entry) = entry {
            return interpolate::shell_args(
                &format!("cron[{idx}] (Procfile entry {word})"),
                entry,
                &i.env,
                warnings,
            )
            .map_err(ReleaseError);
        }
        interpolate::command_words(command, &i.env).map_err(|e| {
            ReleaseError(if e.needs_shell() {
                format!(
                    "cron[{idx}].command: {e}; put the command in a script (or a Procfile entry) and schedule that: {command:?}"
                )
            } else {
                format!("cron[{idx}].command: {e}: {command:?}")
            })
        })
    }
}
pub(super) use tasks::cron_tasks;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_matches_go_big_int() {
        assert_eq!(base36(&[0]), "0");
        assert_eq!(base36(&[35]), "z");
        assert_eq!(base36(&[1, 0]), "74"); // 256 = 7*36 + 4
        assert_eq!(base36(b"a"), "2p"); // 97 = 2*36 + 25
    }

    #[test]
    fn cron_hash_is_sha1_of_id() {
        let id = cron_id("app", "echo hi", "@daily");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        let h = cron_hash(&id);
        assert_eq!(h.len(), 40);
        assert_eq!(h, cron_hash(&id));
    }
}
