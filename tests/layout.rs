//! The layering DESIGN.md promises, checked on the source tree: `model/`, `render/` and `crds/`
//! are pure (no IO crate, no layer above them); `cli/` neither calls the Kubernetes API nor
//! writes berth's state (that is `ops/`'s job).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Every `(file, line)` under `src/<dir>` that contains one of `needles` (comments skipped).
fn offenders(dir: &str, needles: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut found = Vec::new();
    for file in rust_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for needle in needles {
                if code.contains(needle) {
                    found.push(format!("{}:{}: {needle}", file.display(), n + 1));
                }
            }
        }
    }
    found
}

#[test]
fn the_pure_core_imports_no_io_and_no_layer_above_it() {
    let io = [
        "tokio",
        "std::fs",
        "fs_err",
        "std::process",
        "std::net::Tcp",
        "kube::Client",
        "kube::Api",
        "kube::api::Api",
        "crate::store",
        "crate::kube",
        "crate::ops",
        "crate::cluster",
        "crate::cli",
        "println!",
        "eprintln!",
    ];
    for dir in ["model", "render", "crds"] {
        let bad = offenders(dir, &io);
        assert!(
            bad.is_empty(),
            "src/{dir} must stay pure:\n{}",
            bad.join("\n")
        );
    }
}

#[test]
fn only_kube_calls_the_kubernetes_api() {
    for dir in [
        "cli", "ops", "cluster", "store", "ssh", "model", "render", "crds",
    ] {
        let bad = offenders(dir, &["Api<", "Api::", "kube::api::Api", "kube::Api"]);
        assert!(
            bad.is_empty(),
            "src/{dir} calls the API outside kube/:\n{}",
            bad.join("\n")
        );
    }
}

#[test]
fn the_cli_neither_calls_the_api_nor_writes_state() {
    let bad = offenders(
        "cli",
        &[
            "kube::",
            "tokio",
            "block_on",
            ".write_json(",
            ".write_text(",
            ".update_json(",
            ".set_property(",
            ".set_scheduler_k3s_property(",
            ".set_scale(",
            ".create_app(",
            ".destroy_app(",
            ".rename_app(",
            ".clone_app(",
            ".lock_within(",
            "store.lock(",
        ],
    );
    assert!(
        bad.is_empty(),
        "src/cli reaches past ops/:\n{}",
        bad.join("\n")
    );
}
