//! ssh: `ssh://user@host:port` targets, connections through the system OpenSSH client with a
//! strict host-key policy, and remote commands as argv with streamed, host-prefixed output.

pub mod session;
pub mod target;

pub use session::{
    HostKeyPolicy, OutputSink, Privilege, RemoteCommand, RemoteHost, SshError, SshOptions,
    stderr_sink,
};
pub use target::{SshTarget, TargetError};
