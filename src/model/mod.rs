//! Domain types with validation. Pure: no IO crate is imported here.

pub mod names;

pub use names::{AppName, ProcessType};
