//! kube: everything that talks to the Kubernetes API (apply/prune, rollout wait, release history,
//! logs, exec, one-off jobs). Pure helpers (codec, rollout condition) sit next to their IO.

pub mod apply;
pub mod charts;
pub mod client;
pub mod cluster_objects;
pub mod conditions;
pub mod deadline;
pub mod deploy;
pub mod errors;
pub mod evidence;
pub mod exec;
pub mod helm_release;
pub mod history;
pub mod interrupt;
pub mod jobs;
pub mod logs;
pub mod node_sysctls;
pub mod nodes;
pub mod pod_health;
pub mod ps;
pub mod rollout;
pub mod run;
pub mod wait;
pub mod watch;
