//! `apps:rename` on disk, recoverable at every kill point.
//!
//! The app directory is the only copy of the app's state (config and secrets included), so it is
//! never moved to a staging place another command could sweep. Instead:
//!
//! 1. a journal `.renaming` (`{"from": old, "to": new}`) is written into `apps/<old>`;
//! 2. `apps/<old>` is renamed to `apps/<new>` (one atomic step);
//! 3. the domains are rewritten for the new name;
//! 4. the journal is removed.
//!
//! The next holder of either app's lock finishes what was interrupted ([`recover`]): a journal in
//! the directory named `from` means step 2 never happened (the journal is dropped: the rename is
//! rolled back); one in the directory named `to` means it did (steps 3 and 4 are redone, which is
//! idempotent). The app therefore exists exactly once, under one of its two names, at every moment.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::atomic::sync_dir;
use super::{Scope, Secrecy, Store, StoreError, docs, read_optional, remove_durable, write_atomic};
use crate::model::AppName;
use crate::model::domain::{AppDomains, Domain};

/// The journal's file name inside the app directory (hidden: not a state document).
const JOURNAL: &str = ".renaming";

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    from: AppName,
    to: AppName,
}

impl Store {
    /// Move `old`'s state to `new` (the caller holds both locks and has checked that `old` exists
    /// and `new` does not).
    pub(super) fn rename_dir(&self, old: &AppName, new: &AppName) -> Result<(), StoreError> {
        let old_dir = self.scope_dir(&Scope::App(old.clone()));
        let new_dir = self.scope_dir(&Scope::App(new.clone()));
        let journal = Journal {
            from: old.clone(),
            to: new.clone(),
        };
        let text = serde_json::to_string(&journal).expect("names serialise");
        write_atomic(&old_dir.join(JOURNAL), text.as_bytes(), Secrecy::Public)?;
        // A leftover directory without record.json (an interrupted destroy) is not an app.
        if new_dir.exists() && !self.app_exists(new) {
            fs::remove_dir_all(&new_dir).map_err(|e| StoreError::io(&new_dir, e))?;
        }
        fs::rename(&old_dir, &new_dir).map_err(|e| StoreError::io(&old_dir, e))?;
        sync_dir(&self.root().join("apps"))?;
        self.finish_rename(&journal)
    }

    /// Steps 3 and 4 on `apps/<to>`: rewrite `<from>.<global>` vhosts to `<to>.<global>`, drop the
    /// journal.
    fn finish_rename(&self, journal: &Journal) -> Result<(), StoreError> {
        let dir = self.scope_dir(&Scope::App(journal.to.clone()));
        let global: Vec<Domain> = self.read_json(&Scope::Global, docs::DOMAINS)?;
        let domains_path = dir.join(docs::DOMAINS.file);
        if let Some(text) = read_optional(&domains_path)?
            && let Ok(mut domains) = serde_json::from_str::<AppDomains>(&text)
        {
            domains.vhosts = domains
                .vhosts
                .iter()
                .map(|v| renamed_vhost(v, &journal.from, &journal.to, &global))
                .collect();
            domains.vhosts.sort();
            domains.vhosts.dedup();
            let mut text = serde_json::to_string_pretty(&domains).expect("domains serialise");
            text.push('\n');
            write_atomic(&domains_path, text.as_bytes(), docs::DOMAINS.secrecy)?;
        }
        remove_durable(&dir.join(JOURNAL))?;
        Ok(())
    }
}

/// `<from>.<g>` becomes `<to>.<g>` for a global domain `g`; other vhosts are kept.
fn renamed_vhost(vhost: &Domain, from: &AppName, to: &AppName, global: &[Domain]) -> Domain {
    global
        .iter()
        .find(|g| Domain::app_vhost(from, g).as_ref() == Some(vhost))
        .and_then(|g| Domain::app_vhost(to, g))
        .unwrap_or_else(|| vhost.clone())
}

/// Finish or roll back a rename interrupted in `app`'s directory (see the module doc). Called by
/// the holder of `app`'s lock, before anything else reads or writes the app.
pub(super) fn recover(store: &Store, app: &AppName) -> Result<(), StoreError> {
    let dir = store.scope_dir(&Scope::App(app.clone()));
    let path = dir.join(JOURNAL);
    let Some(text) = read_optional(&path)? else {
        return Ok(());
    };
    match serde_json::from_str::<Journal>(&text) {
        // Renamed: finish the rewrite.
        Ok(journal) if &journal.to == app => store.finish_rename(&journal),
        // Not moved yet (or a journal that names neither: a hand-made file): the app stays here.
        _ => remove_durable(&path).map(|_| ()),
    }
}

/// Publish a staging directory an earlier berth (which staged renames outside `apps/<app>`) left
/// behind, when it holds an app and `apps/<app>` does not: it is the only copy of that app.
pub(super) fn adopt_legacy_staging(store: &Store, app: &AppName, staging: &Path) -> bool {
    if !staging.join(docs::RECORD.file).is_file() || store.app_exists(app) {
        return false;
    }
    let target = store.scope_dir(&Scope::App(app.clone()));
    if target.exists() && fs::remove_dir_all(&target).is_err() {
        return false;
    }
    fs::rename(staging, &target).is_ok() && sync_dir(&store.root().join("apps")).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(app: &str) -> (tempfile::TempDir, Store, AppName) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        let name: AppName = app.parse().unwrap();
        let lock = store.lock(&Scope::App(name.clone()), "test").unwrap();
        store.create_app(&lock).unwrap();
        (dir, store, name)
    }

    #[test]
    fn a_journal_in_the_old_directory_rolls_the_rename_back() {
        let (_d, store, old) = store_with("old");
        let dir = store.scope_dir(&Scope::App(old.clone()));
        fs::write(dir.join(JOURNAL), r#"{"from":"old","to":"new"}"#).unwrap();
        recover(&store, &old).unwrap();
        assert!(store.app_exists(&old));
        assert!(!dir.join(JOURNAL).exists());
    }

    #[test]
    fn a_journal_in_the_new_directory_finishes_the_rename() {
        let (_d, store, old) = store_with("old");
        let new: AppName = "new".parse().unwrap();
        let (from, to) = (Scope::App(old.clone()), Scope::App(new.clone()));
        fs::write(
            store.scope_dir(&from).join(JOURNAL),
            r#"{"from":"old","to":"new"}"#,
        )
        .unwrap();
        fs::rename(store.scope_dir(&from), store.scope_dir(&to)).unwrap();
        recover(&store, &new).unwrap();
        assert!(store.app_exists(&new) && !store.app_exists(&old));
        assert!(!store.scope_dir(&to).join(JOURNAL).exists());
    }

    #[test]
    fn a_legacy_staged_rename_is_published_not_swept() {
        let (_d, store, old) = store_with("old");
        let new: AppName = "new".parse().unwrap();
        let staging = store.root().join("apps/.rename-new-0123abcd");
        fs::rename(store.scope_dir(&Scope::App(old.clone())), &staging).unwrap();
        let _lock = store.lock(&Scope::App(new.clone()), "test").unwrap();
        assert!(store.app_exists(&new));
        assert!(!staging.exists());
    }
}
