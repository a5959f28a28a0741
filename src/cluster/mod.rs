//! cluster: the hosts of the k3s cluster — k3s install arguments for this host and for others
//! joined over SSH, the installer runs, the cluster record and the exported kubeconfig. The
//! Kubernetes side (Node views, drain, the component HelmCharts) is in `kube::nodes` and
//! `kube::charts`; the charts themselves are built in `render::components`.
//!
//! - [`k3s`]: pure — installer arguments, node names, the installer/uninstaller settings.
//! - [`installer`]: this host — fetch and run the installer, root check, interface address.
//! - [`state`]: the cluster record in berth's state directory.
//! - [`kubeconfig`]: the kubeconfig `show-kubeconfig` prints.
//!
//! The commands composed from these (`initialize`, `cluster-add|remove`, `uninstall`) are in
//! `ops::cluster`.

pub mod installer;
pub mod k3s;
pub mod kubeconfig;
pub mod state;
