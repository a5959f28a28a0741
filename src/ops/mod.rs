//! One function per command: options in, an outcome or report data out. This is where commands
//! take locks, own the async runtime, read the store, build the release, drive the cluster
//! through `kube/` and clean up; `cli/` parses arguments, calls one function here and prints
//! what it returns.

pub mod apps;
pub mod certs;
pub mod charts;
pub mod cluster;
pub mod cluster_objects;
pub mod config;
pub mod connect;
pub mod deploy;
pub mod error;
pub mod fleet;
pub mod history;
pub mod lock;
pub mod logs;
pub mod preview;
pub mod ps;
pub mod release;
pub mod release_inputs;
pub mod restore;
pub mod run;
pub mod runtime;
pub mod settings;
pub mod urls;

pub use error::{Error, Result};

use crate::store::Store;

/// Everything a command gets: the state store and the running command's name (for lock holders).
#[derive(Debug)]
pub struct Ctx {
    pub store: Store,
    /// `berth <subcommand>`, recorded as a lock holder. Never contains argument values.
    pub command: String,
}
