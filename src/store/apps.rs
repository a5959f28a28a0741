//! App lifecycle on disk: create, destroy, rename, clone. Each is one directory rename, so a crash
//! leaves either the old state or the new one (a rename also keeps a journal: `rename.rs`).

use std::fs;
use std::path::Path;

use super::atomic::{ensure_dir, sync_dir};
use super::{Doc, Scope, ScopeLock, Store, StoreError, docs, write_atomic};
use crate::model::AppName;
use crate::model::domain::{AppDomains, Domain};

/// `record.json`: when the app was created.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppRecord {
    pub created_at: String,
}

/// The app a lifecycle operation's lock is for; the `--global` lock holds no app.
fn app_of(lock: &ScopeLock<'_>) -> Result<AppName, StoreError> {
    match lock.scope() {
        Scope::App(a) => Ok(a.clone()),
        Scope::Global => Err(StoreError::BadName("--global".into())),
    }
}

fn staging_dir(store: &Store, tag: &str, app: &AppName) -> std::path::PathBuf {
    let suffix: u32 = rand::random();
    store
        .root()
        .join("apps")
        .join(format!(".{tag}-{app}-{suffix:08x}"))
}

fn write_json_file<T: serde::Serialize>(dir: &Path, doc: Doc, value: &T) -> Result<(), StoreError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| StoreError::Corrupt {
        path: dir.join(doc.file).display().to_string(),
        message: e.to_string(),
    })?;
    text.push('\n');
    write_atomic(&dir.join(doc.file), text.as_bytes(), doc.secrecy)
}

impl Store {
    /// The app's creation record.
    pub fn app_record(&self, app: &AppName) -> Result<AppRecord, StoreError> {
        self.require_app(app)?;
        self.read_json(&Scope::App(app.clone()), docs::RECORD)
    }

    /// Create the app held by `lock`, with `<app>.<global domain>` vhosts for each global domain.
    pub fn create_app(&self, lock: &ScopeLock<'_>) -> Result<(), StoreError> {
        let app = app_of(lock)?;
        self.refuse_taken(&app, None)?;
        let global_domains: Vec<Domain> = self.read_json(&Scope::Global, docs::DOMAINS)?;
        let staging = staging_dir(self, "new", &app);
        ensure_dir(&staging)?;
        let record = AppRecord {
            created_at: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        };
        write_json_file(
            &staging,
            docs::DOMAINS,
            &AppDomains::for_new_app(&app, &global_domains),
        )?;
        write_json_file(&staging, docs::RECORD, &record)?;
        self.publish(&staging, &app)
    }

    /// Refuse `new` when it exists, or when another app's objects would have its object names
    /// (`a.b` and `a-b` are both `a-b` in Kubernetes). `leaving` is the app being renamed away.
    fn refuse_taken(&self, new: &AppName, leaving: Option<&AppName>) -> Result<(), StoreError> {
        if self.app_exists(new) {
            return Err(StoreError::AppExists(new.clone()));
        }
        let clash = self
            .list_apps()?
            .into_iter()
            .find(|a| Some(a) != leaving && a.shares_objects_with(new));
        match clash {
            Some(existing) => Err(StoreError::SharesObjectNames {
                new: new.clone(),
                object: new.object_name().to_owned(),
                existing,
            }),
            None => Ok(()),
        }
    }

    /// Move a fully written staging directory into place as `apps/<app>`.
    fn publish(&self, staging: &Path, app: &AppName) -> Result<(), StoreError> {
        let target = self.scope_dir(&Scope::App(app.clone()));
        // A leftover directory without record.json (interrupted destroy) is not an app.
        if target.exists() && !self.app_exists(app) {
            fs::remove_dir_all(&target).map_err(|e| StoreError::io(&target, e))?;
        }
        fs::rename(staging, &target).map_err(|e| StoreError::io(&target, e))?;
        sync_dir(&self.root().join("apps"))
    }

    /// Delete the app held by `lock` and all its state.
    pub fn destroy_app(&self, lock: &ScopeLock<'_>) -> Result<(), StoreError> {
        let app = app_of(lock)?;
        self.require_app(&app)?;
        let dir = self.scope_dir(&Scope::App(app.clone()));
        let trash = staging_dir(self, "trash", &app);
        fs::rename(&dir, &trash).map_err(|e| StoreError::io(&dir, e))?;
        sync_dir(&self.root().join("apps"))?;
        fs::remove_dir_all(&trash).map_err(|e| StoreError::io(&trash, e))
    }

    /// Rename `from` to `to` (both locked). Domains equal to `<from>.<global>` become `<to>.<global>`.
    /// Recoverable at every kill point: see `rename.rs`.
    pub fn rename_app(&self, from: &ScopeLock<'_>, to: &ScopeLock<'_>) -> Result<(), StoreError> {
        let (old, new) = (app_of(from)?, app_of(to)?);
        self.require_app(&old)?;
        self.refuse_taken(&new, Some(&old))?;
        self.rename_dir(&old, &new)
    }

    /// Copy `from` to the new app `to` (both locked), with a fresh creation record and default
    /// domains for the new name.
    pub fn clone_app(&self, from: &ScopeLock<'_>, to: &ScopeLock<'_>) -> Result<(), StoreError> {
        let (old, new) = (app_of(from)?, app_of(to)?);
        self.require_app(&old)?;
        self.refuse_taken(&new, None)?;
        let staging = staging_dir(self, "clone", &new);
        copy_dir(&self.scope_dir(&Scope::App(old)), &staging)?;
        let global: Vec<Domain> = self.read_json(&Scope::Global, docs::DOMAINS)?;
        write_json_file(
            &staging,
            docs::DOMAINS,
            &AppDomains::for_new_app(&new, &global),
        )?;
        let record = AppRecord {
            created_at: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        };
        write_json_file(&staging, docs::RECORD, &record)?;
        self.publish(&staging, &new)
    }
}

/// Recursive copy keeping file modes (0600 secrets stay 0600); skips temp files.
fn copy_dir(from: &Path, to: &Path) -> Result<(), StoreError> {
    ensure_dir(to)?;
    for entry in fs::read_dir(from).map_err(|e| StoreError::io(from, e))? {
        let entry = entry.map_err(|e| StoreError::io(from, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".tmp-") {
            continue;
        }
        let src = entry.path();
        let dst = to.join(&name);
        let ft = entry.file_type().map_err(|e| StoreError::io(&src, e))?;
        if ft.is_dir() {
            copy_dir(&src, &dst)?;
        } else if ft.is_file() {
            fs::copy(&src, &dst).map_err(|e| StoreError::io(&dst, e))?;
            fs::File::open(&dst)
                .and_then(|f| f.sync_all())
                .map_err(|e| StoreError::io(&dst, e))?;
        }
    }
    sync_dir(to)
}
