//! cluster: see DESIGN.md.
pub mod components;
pub mod components_apply;
