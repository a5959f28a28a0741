//! render: see DESIGN.md.
