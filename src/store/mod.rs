//! The state directory: app records, properties (per app or `--global`), JSON documents, locks
//! and atomic writes. Everything berth knows between commands lives here.
//!
//! Layout under `$BERTH_HOME` (default `/var/lib/berth`; directories 0700):
//!
//! ```text
//! global/                                  the --global scope
//!   properties/<plugin>/<name>             one plain value per file (scheduler-k3s, registry, scheduler ...)
//!   config.json                   0600     global env vars {"KEY": "value"}
//!   domains.json                           global domains ["example.com"]
//!   registry-credentials.json     0600     {"<server>": {"username", "password"}}
//!   scheduler-k3s/annotations.json         {"<process|--global>": {"<resource-type>": {"key": "value"}}}
//!   scheduler-k3s/labels.json              same shape as annotations
//!   scheduler-k3s/autoscaling-auth.json 0600 {"<trigger>": {"key": "value"}}
//!   scheduler-k3s/chart-overrides.json     {"<chart>": {"key": "value"}}
//! apps/<app>/                              one directory per app, same files as global/ plus:
//!   record.json                            {"created_at": "..."}
//!   scale.json                             {"web": 1, "worker": 2}
//!   domains.json                           {"vhosts": [...], "enabled": true}
//!   ports.json                             ["http:80:5000"]
//!   resources.json                         {"_default_"|"<process>": {"limit": {...}, "reserve": {...}}}
//!   app.json                               the app.json text as given to app-json:set
//! locks/global.lock, locks/app-<app>.lock  flock files naming their holder
//! ```
//!
//! Reads need no lock (every write is an atomic replace). Writes go through a [`ScopeLock`] from
//! [`Store::lock`], so read-modify-write cycles on one scope serialise across processes.

mod accessors;
mod apps;

mod atomic;
mod lock;
mod rename;
mod sweep;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::AppName;
use crate::model::properties::{RawProperties, ResolvedProperties};

pub use accessors::PropertyError;
pub use apps::AppRecord;
pub use atomic::{Secrecy, ensure_dir, read_optional, remove_durable, write_atomic};
pub use lock::{DEFAULT_LOCK_TIMEOUT, lock_timeout};

/// Default state directory.
pub const DEFAULT_HOME: &str = "/var/lib/berth";

/// Failure reading or writing state. Messages are one line and name the path or scope.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}{}", not_writable_hint(source))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid (state file damaged or edited by hand): {message}")]
    Corrupt { path: String, message: String },
    #[error(
        "{scope} is locked by {holder}; gave up after {}s (raise BERTH_LOCK_TIMEOUT to wait longer)",
        waited.as_secs_f64()
    )]
    Locked {
        scope: String,
        holder: String,
        waited: Duration,
    },
    #[error("App {0} does not exist")]
    NoSuchApp(AppName),
    #[error("Name is already taken: app {0} exists")]
    AppExists(AppName),
    #[error(
        "Name is already taken: app {new}'s Kubernetes objects would be named like app {existing}'s ({object}); choose another name"
    )]
    SharesObjectNames {
        new: AppName,
        existing: AppName,
        object: String,
    },
    #[error("Invalid state name {0:?}: names may not contain '/' or start with '.'")]
    BadName(String),
}

/// What to do when berth may not write its state directory (not root, read-only mount).
fn not_writable_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            " (berth keeps its state in BERTH_HOME, default /var/lib/berth: run it as root, e.g. with sudo, or set BERTH_HOME to a directory you can write)"
        }
        _ => "",
    }
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Whose state: one app, or the scheduler-wide `--global` scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    App(AppName),
    Global,
}

impl Scope {
    pub fn is_global(&self) -> bool {
        matches!(self, Scope::Global)
    }
    pub fn app(&self) -> Option<&AppName> {
        match self {
            Scope::App(a) => Some(a),
            Scope::Global => None,
        }
    }
}

impl fmt::Display for Scope {
    /// `app <name>` or `--global`, as used in messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::App(a) => write!(f, "app {a}"),
            Scope::Global => f.write_str("--global"),
        }
    }
}

/// A JSON (or text) document kept per scope: its file name and file mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Doc {
    /// Path relative to the scope directory.
    pub file: &'static str,
    pub secrecy: Secrecy,
}

impl Doc {
    pub const fn public(file: &'static str) -> Doc {
        Doc {
            file,
            secrecy: Secrecy::Public,
        }
    }
    pub const fn secret(file: &'static str) -> Doc {
        Doc {
            file,
            secrecy: Secrecy::Secret,
        }
    }
}

/// The documents berth keeps. Other modules may declare their own `Doc` constants.
pub mod docs {
    use super::Doc;
    pub const RECORD: Doc = Doc::public("record.json");
    pub const CONFIG: Doc = Doc::secret("config.json");
    pub const SCALE: Doc = Doc::public("scale.json");
    pub const DOMAINS: Doc = Doc::public("domains.json");
    pub const PORTS: Doc = Doc::public("ports.json");
    pub const RESOURCES: Doc = Doc::public("resources.json");
    pub const APP_JSON: Doc = Doc::public("app.json");
    pub const REGISTRY_CREDENTIALS: Doc = Doc::secret("registry-credentials.json");
    pub const ANNOTATIONS: Doc = Doc::public("scheduler-k3s/annotations.json");
    pub const LABELS: Doc = Doc::public("scheduler-k3s/labels.json");
    pub const AUTOSCALING_AUTH: Doc = Doc::secret("scheduler-k3s/autoscaling-auth.json");
    /// Docker options per phase (`docker-options:add`).
    pub const DOCKER_OPTIONS: Doc = Doc::public("docker-options.json");
    /// Present while the app is locked for deploys (`apps:lock`).
    pub const DEPLOY_LOCK: Doc = Doc::public("deploy.lock");
    /// The imported certificate and key (`certs:add`).
    pub const TLS: Doc = Doc::secret("tls.json");
    pub const CHART_OVERRIDES: Doc = Doc::public("scheduler-k3s/chart-overrides.json");
    /// Node profiles (`scheduler-k3s:profiles:*`), by name, as set.
    pub const NODE_PROFILES: Doc = Doc::public("scheduler-k3s/node-profiles.json");
    /// Node sysctls (`scheduler-k3s:node-sysctls:*`), global and per profile, as set.
    pub const NODE_SYSCTLS: Doc = Doc::public("scheduler-k3s/node-sysctls.json");
}

/// Plugin names used as property namespaces.
pub mod plugins {
    pub const SCHEDULER_K3S: &str = "scheduler-k3s";
    pub const SCHEDULER: &str = "scheduler";
    pub const BUILDER: &str = "builder";
    pub const REGISTRY: &str = "registry";
}

fn check_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') || name.contains('\0') {
        return Err(StoreError::BadName(name.to_owned()));
    }
    Ok(())
}

/// Handle on the state directory. Cheap to clone; holds no file open.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The store at `$BERTH_HOME`, else `/var/lib/berth`.
    pub fn from_env() -> Store {
        let root = std::env::var_os("BERTH_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_HOME));
        Store { root }
    }

    /// The store at `root` (tests, tools).
    pub fn at(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn apps_dir(&self) -> PathBuf {
        self.root.join("apps")
    }

    /// Directory of a scope (`apps/<app>` or `global`).
    pub fn scope_dir(&self, scope: &Scope) -> PathBuf {
        match scope {
            Scope::App(a) => self.apps_dir().join(a.as_str()),
            Scope::Global => self.root.join("global"),
        }
    }

    /// True when the app has been created.
    pub fn app_exists(&self, app: &AppName) -> bool {
        self.scope_dir(&Scope::App(app.clone()))
            .join(docs::RECORD.file)
            .is_file()
    }

    /// `Ok` when the app exists, else [`StoreError::NoSuchApp`].
    pub fn require_app(&self, app: &AppName) -> Result<(), StoreError> {
        if self.app_exists(app) {
            Ok(())
        } else {
            Err(StoreError::NoSuchApp(app.clone()))
        }
    }

    /// Every app, sorted by name.
    pub fn list_apps(&self) -> Result<Vec<AppName>, StoreError> {
        let dir = self.apps_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io(&dir, e)),
        };
        let mut apps = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&dir, e))?;
            if let Some(app) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<AppName>().ok())
                && self.app_exists(&app)
            {
                apps.push(app);
            }
        }
        apps.sort();
        Ok(apps)
    }

    fn property_path(
        &self,
        scope: &Scope,
        plugin: &str,
        name: &str,
    ) -> Result<PathBuf, StoreError> {
        check_name(plugin)?;
        check_name(name)?;
        Ok(self
            .scope_dir(scope)
            .join("properties")
            .join(plugin)
            .join(name))
    }

    /// One stored property value (`None` when unset).
    pub fn property(
        &self,
        scope: &Scope,
        plugin: &str,
        name: &str,
    ) -> Result<Option<String>, StoreError> {
        read_optional(&self.property_path(scope, plugin, name)?)
    }

    /// Every stored property of `plugin` in `scope`.
    pub fn properties(&self, scope: &Scope, plugin: &str) -> Result<RawProperties, StoreError> {
        check_name(plugin)?;
        let dir = self.scope_dir(scope).join("properties").join(plugin);
        let mut out = BTreeMap::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(StoreError::io(&dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&dir, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if name.starts_with('.') {
                continue; // temp files of an interrupted write
            }
            if let Some(v) = read_optional(&entry.path())? {
                out.insert(name, v);
            }
        }
        Ok(out)
    }

    /// `scheduler-k3s` properties resolved app → global → default (`None` = `--global` only).
    pub fn scheduler_k3s_properties(
        &self,
        app: Option<&AppName>,
    ) -> Result<ResolvedProperties, StoreError> {
        let global = self.properties(&Scope::Global, plugins::SCHEDULER_K3S)?;
        let app_props = match app {
            Some(a) => self.properties(&Scope::App(a.clone()), plugins::SCHEDULER_K3S)?,
            None => RawProperties::new(),
        };
        Ok(ResolvedProperties::resolve(&app_props, &global))
    }

    /// A document's text, `None` when absent.
    pub fn read_text(&self, scope: &Scope, doc: Doc) -> Result<Option<String>, StoreError> {
        read_optional(&self.scope_dir(scope).join(doc.file))
    }

    /// A JSON document, `T::default()` when absent.
    pub fn read_json<T: DeserializeOwned + Default>(
        &self,
        scope: &Scope,
        doc: Doc,
    ) -> Result<T, StoreError> {
        let path = self.scope_dir(scope).join(doc.file);
        match read_optional(&path)? {
            None => Ok(T::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        }
    }

    /// Lock `scope` for writing. `command` (e.g. `berth config:set`) is recorded as the holder; no
    /// argument values are recorded. Waits up to [`lock_timeout`], printing one line on stderr
    /// when it has to wait.
    pub fn lock(&self, scope: &Scope, command: &str) -> Result<ScopeLock<'_>, StoreError> {
        self.lock_within(scope, command, lock_timeout())
    }

    /// [`Store::lock`] with an explicit bound on the wait (zero = fail at once when busy); long
    /// operations such as deploys wait as long as another deploy may take.
    pub fn lock_within(
        &self,
        scope: &Scope,
        command: &str,
        timeout: std::time::Duration,
    ) -> Result<ScopeLock<'_>, StoreError> {
        let file = match scope {
            Scope::App(a) => format!("app-{a}.lock"),
            Scope::Global => "global.lock".to_owned(),
        };
        let path = self.root.join("locks").join(file);
        let mut on_wait = |holder: &str| {
            eprintln!("-----> Waiting for the {scope} lock held by {holder}");
        };
        let guard = lock::acquire(path, scope, command, timeout, &mut on_wait)?;
        if let Scope::App(app) = scope {
            rename::recover(self, app)?;
        }
        sweep::sweep(self, scope);
        Ok(ScopeLock {
            store: self,
            scope: scope.clone(),
            _guard: guard,
        })
    }
}

/// Write access to one scope, held while the lock is. All mutations go through here.
#[derive(Debug)]
pub struct ScopeLock<'s> {
    store: &'s Store,
    scope: Scope,
    _guard: lock::LockFile,
}

impl ScopeLock<'_> {
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn store(&self) -> &Store {
        self.store
    }

    fn doc_path(&self, doc: Doc) -> PathBuf {
        self.store.scope_dir(&self.scope).join(doc.file)
    }

    /// Writes to an app scope need the app: a command that checked existence before taking the
    /// lock must not recreate files of an app destroyed meanwhile.
    fn check_target(&self) -> Result<(), StoreError> {
        match &self.scope {
            Scope::App(app) => self.store.require_app(app),
            Scope::Global => Ok(()),
        }
    }

    /// Set (`Some`) or delete (`None`) a property atomically.
    pub fn set_property(
        &self,
        plugin: &str,
        name: &str,
        value: Option<&str>,
        secrecy: Secrecy,
    ) -> Result<(), StoreError> {
        self.check_target()?;
        let path = self.store.property_path(&self.scope, plugin, name)?;
        match value {
            Some(v) => write_atomic(&path, v.as_bytes(), secrecy),
            None => remove_durable(&path).map(|_| ()),
        }
    }

    /// Replace a JSON document atomically (pretty-printed, trailing newline).
    pub fn write_json<T: Serialize>(&self, doc: Doc, value: &T) -> Result<(), StoreError> {
        self.check_target()?;
        let path = self.doc_path(doc);
        let mut text = serde_json::to_string_pretty(value).map_err(|e| StoreError::Corrupt {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        text.push('\n');
        write_atomic(&path, text.as_bytes(), doc.secrecy)
    }

    /// Replace a text document atomically.
    pub fn write_text(&self, doc: Doc, text: &str) -> Result<(), StoreError> {
        self.check_target()?;
        write_atomic(&self.doc_path(doc), text.as_bytes(), doc.secrecy)
    }

    /// Delete a document (missing is fine).
    pub fn remove(&self, doc: Doc) -> Result<(), StoreError> {
        self.check_target()?;
        remove_durable(&self.doc_path(doc)).map(|_| ())
    }

    /// Read a JSON document, let `f` change it, write it back (under this lock). `f` may refuse
    /// with an error, in which case nothing is written.
    pub fn update_json<T, R, E>(
        &self,
        doc: Doc,
        f: impl FnOnce(&mut T) -> Result<R, E>,
    ) -> Result<R, E>
    where
        T: DeserializeOwned + Serialize + Default,
        E: From<StoreError>,
    {
        let mut value: T = self.store.read_json(&self.scope, doc)?;
        let out = f(&mut value)?;
        self.write_json(doc, &value)?;
        Ok(out)
    }
}
