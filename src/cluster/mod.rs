//! cluster: the k3s cluster itself — installing k3s on this host (`initialize`), joining and
//! removing other hosts over SSH, applying the cluster components (k3s HelmCharts, built in
//! `render::components`), and the Node views.
//!
//! - [`k3s`]: pure — installer arguments, node names, the installer/uninstaller settings.
//! - [`installer`]: this host — fetch and run the installer, root check, interface address.
//! - [`nodes`]: the Kubernetes API — node rows, wait for Ready, label, cordon/drain/delete.
//! - [`state`]: the cluster record in berth's state directory.
//! - [`kubeconfig`]: the kubeconfig `show-kubeconfig` prints.
//!
//! The commands composed from these (`initialize`, `cluster-add|remove`, `uninstall`) are in
//! `ops::cluster`.

pub mod components_apply;
pub mod installer;
pub mod k3s;
pub mod kubeconfig;
pub mod nodes;
pub mod state;
