//! ssh: see DESIGN.md.
