//! Leftovers of writers that were killed mid-write: `.tmp-*` files next to their targets and
//! staging directories of app create/clone/destroy. They are removed by the next holder of the
//! scope's lock, which is the only writer of that scope, so none of them can still be in use.
//! A staged rename (an earlier berth's) is the only copy of its app: it is published instead.

use std::fs;
use std::path::Path;

use super::{Scope, Store};

/// How deep temp files can sit under a scope directory (`properties/<plugin>/<name>`).
const MAX_DEPTH: usize = 3;

fn sweep_temp_files(dir: &Path, depth: usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_file() && name.starts_with(".tmp-") {
            let _ = fs::remove_file(entry.path());
        } else if ft.is_dir() && depth < MAX_DEPTH {
            sweep_temp_files(&entry.path(), depth + 1);
        }
    }
}

/// The staging tags `apps.rs` uses. `rename` is the one an earlier berth used for renames; such a
/// directory may be the only copy of an app, so it is published, never swept.
const STAGING_TAGS: [&str; 4] = ["new", "trash", "clone", "rename"];

/// The tag of `.<tag>-<app>-<8 hex digits>`, a staging name `apps.rs` uses for `app`.
fn staging_tag_of(name: &str, app: &str) -> Option<&'static str> {
    STAGING_TAGS.into_iter().find(|tag| {
        name.strip_prefix(&format!(".{tag}-{app}-"))
            .is_some_and(|rest| rest.len() == 8 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

#[cfg(test)]
fn is_staging_of(name: &str, app: &str) -> bool {
    staging_tag_of(name, app).is_some()
}

/// Remove what killed writers of `scope` left behind. Best effort: failures are ignored (the
/// leftovers are harmless, only untidy).
pub(super) fn sweep(store: &Store, scope: &Scope) {
    sweep_temp_files(&store.scope_dir(scope), 0);
    if let Scope::App(app) = scope {
        let apps = store.root().join("apps");
        let Ok(entries) = fs::read_dir(&apps) else {
            return;
        };
        for entry in entries.flatten() {
            match staging_tag_of(&entry.file_name().to_string_lossy(), app.as_str()) {
                // Published, or left alone when the name is taken again: never deleted.
                Some("rename") => {
                    super::rename::adopt_legacy_staging(store, app, &entry.path());
                }
                Some(_) => {
                    let _ = fs::remove_dir_all(entry.path());
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_belong_to_one_app() {
        assert!(is_staging_of(".new-web-0000abcd", "web"));
        assert!(is_staging_of(".trash-web-ffffffff", "web"));
        assert!(!is_staging_of(".new-web-2-0000abcd", "web"));
        assert!(!is_staging_of(".new-web-0000abc", "web"));
        assert!(!is_staging_of("web", "web"));
    }

    #[test]
    fn sweeps_temp_files_and_staging_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path());
        let app: crate::model::AppName = "web".parse().unwrap();
        let scope = Scope::App(app);
        let props = store.scope_dir(&scope).join("properties/scheduler-k3s");
        fs::create_dir_all(&props).unwrap();
        fs::write(props.join(".tmp-abc"), "partial").unwrap();
        fs::write(props.join("namespace"), "apps").unwrap();
        fs::create_dir_all(dir.path().join("apps/.trash-web-0123abcd/x")).unwrap();
        fs::create_dir_all(dir.path().join("apps/.trash-web-2-0123abcd")).unwrap();
        sweep(&store, &scope);
        assert!(!props.join(".tmp-abc").exists());
        assert!(props.join("namespace").exists());
        assert!(!dir.path().join("apps/.trash-web-0123abcd").exists());
        assert!(dir.path().join("apps/.trash-web-2-0123abcd").exists());
    }
}
