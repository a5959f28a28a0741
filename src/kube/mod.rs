//! kube: see DESIGN.md.
