//! berth: Dokku's `scheduler-k3s` as one Rust binary.
//!
//! Dependencies point down only: `cli` (parse, print) → `ops` (one function per command) →
//! the core (`store`, `model`, `render`, `crds`, `kube`, `cluster`) → `ssh`; `progress` is the
//! one channel from the core back up, and `input` the one bounded reader for file arguments. `model`, `render` and `crds` are pure: no IO crate is
//! imported there.

pub mod cli;
pub mod cluster;
pub mod crds;
pub mod input;
pub mod kube;
pub mod model;
pub mod ops;
pub mod progress;
pub mod render;
pub mod ssh;
pub mod store;
