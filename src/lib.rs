//! berth: Dokku's `scheduler-k3s` as one Rust binary.
//!
//! Dependencies point one way: `cli` → (`store`, `model`, `render`, `kube`, `cluster`) → `ssh`.
//! `model` and `render` are pure: no IO crate is imported there.

pub mod app_ops;
pub mod cli;
pub mod cluster;
pub mod kube;
pub mod model;
pub mod progress;
pub mod release_inputs;
pub mod render;
pub mod ssh;
pub mod store;
