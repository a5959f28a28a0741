//! Domain types with validation. Pure: no IO crate is imported here.

pub mod app_json;
pub mod names;
pub mod procfile;

pub use names::{AppName, ProcessType};
