//! cluster: see DESIGN.md.
