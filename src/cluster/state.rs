//! What berth remembers about the cluster it installed on this host (`scheduler-k3s:initialize`):
//! `global/scheduler-k3s/cluster.json`. The join token is the global `token` property (0600).

use serde::{Deserialize, Serialize};

use crate::store::{Doc, Scope, ScopeLock, Store, StoreError};

/// The cluster record document (global scope).
pub const CLUSTER_RECORD: Doc = Doc::public("scheduler-k3s/cluster.json");

/// The cluster initialized on this host. Absent fields mean "not initialized by berth".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRecord {
    /// The address joining nodes and `show-kubeconfig` use (`https://<server_ip>:6443`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_ip: Option<String>,
    /// The first server's Node name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_class: Option<String>,
    /// RFC 3339 time of the first successful `initialize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initialized_at: Option<String>,
}

impl ClusterRecord {
    pub fn is_initialized(&self) -> bool {
        self.node_name.is_some()
    }
}

/// The stored record (default when none).
pub fn read(store: &Store) -> Result<ClusterRecord, StoreError> {
    store.read_json(&Scope::Global, CLUSTER_RECORD)
}

/// Replace the record (under the global lock).
pub fn write(lock: &ScopeLock<'_>, record: &ClusterRecord) -> Result<(), StoreError> {
    lock.write_json(CLUSTER_RECORD, record)
}

/// Forget the cluster (after `uninstall`).
pub fn clear(lock: &ScopeLock<'_>) -> Result<(), StoreError> {
    lock.remove(CLUSTER_RECORD)
}
