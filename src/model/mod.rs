//! Domain types with validation. Pure: no IO crate is imported here.

pub mod app_json;
pub mod cert_archive;
pub mod cert_verify;
pub mod certificate;
pub mod chart_hooks;
pub mod docker_options;
pub mod domain;
pub mod duration;
pub mod env;
pub mod env_file;
pub mod error;
pub mod fleet;
pub mod meta;
pub mod names;
pub mod node_profile;
pub mod node_sysctls;
pub mod ports;
pub mod preflight;
pub mod preview;
pub mod procfile;
pub mod properties;
pub mod ps_properties;
pub mod quantity;
pub mod registry;
pub mod release;
pub mod resources;
pub mod scheduler_k3s;
pub mod shell_words;
pub mod urls;

pub use domain::Domain;
pub use error::InvalidValue;
pub use meta::{MetaKind, ResourceType};
pub use names::{AppName, ProcessType};
pub use ports::{PortMapping, PortScheme};
pub use quantity::{CpuQuantity, MemoryQuantity};
