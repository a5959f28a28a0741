//! store: see DESIGN.md.
