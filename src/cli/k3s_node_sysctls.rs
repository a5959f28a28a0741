//! `scheduler-k3s:node-sysctls:set|report`: kernel sysctls berth keeps applied on the nodes,
//! for unprofiled nodes (`--global`, the default) or one node profile.

use std::io::Write;

use clap::Subcommand;

use super::output::{Format, info2, print_json};
use super::terminal::Terminal;
use super::{CliError, Ctx};
use crate::ops::cluster::node_sysctls::{self, SysctlTarget};

#[derive(Debug, Subcommand)]
pub enum K3sNodeSysctls {
    /// Set or clear a node-level kernel sysctl for unprofiled nodes or a single node profile
    #[command(
        name = "scheduler-k3s:node-sysctls:set",
        after_help = "Examples:\n  berth scheduler-k3s:node-sysctls:set net.core.somaxconn 1024            # nodes without a profile\n  berth scheduler-k3s:node-sysctls:set vm.max_map_count 524288 --profile db\n  berth scheduler-k3s:node-sysctls:set net.core.somaxconn                 # stop managing it\n\nA privileged DaemonSet per scope (kube-system/dokku-node-sysctls-global, -profile-<p>) runs\n`sysctl -w` on every matching node; a profile's nodes get the global values under their own.\nClearing a value does not restore the old one until the nodes reboot."
    )]
    Set {
        #[arg(value_name = "SYSCTL", default_value = "")]
        sysctl: String,
        /// New value; omit or pass "" to stop managing the sysctl
        #[arg(allow_negative_numbers = true)]
        value: Option<String>,
        /// Nodes without a profile (the default)
        #[arg(long)]
        global: bool,
        /// The nodes of this node profile
        #[arg(long, value_name = "PROFILE")]
        profile: Option<String>,
    },
    /// Displays the node-level kernel sysctls applied to each scope
    #[command(
        name = "scheduler-k3s:node-sysctls:report",
        after_help = "Examples:\n  berth scheduler-k3s:node-sysctls:report\n  berth scheduler-k3s:node-sysctls:report --format json\n\nProfile scopes show what their nodes get: the global values with the profile's over them."
    )]
    Report {
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
}

impl K3sNodeSysctls {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            K3sNodeSysctls::Set {
                sysctl,
                value,
                global,
                profile,
            } => {
                if global && profile.as_deref().is_some_and(|p| !p.is_empty()) {
                    return Err(CliError::msg(
                        "Only one of --global and --profile may be specified",
                    ));
                }
                // An empty --profile is the global scope, as in Dokku.
                let target = match profile.filter(|p| !p.is_empty()) {
                    Some(p) => SysctlTarget::Profile(p),
                    None => SysctlTarget::Global,
                };
                let value = value.filter(|v| !v.is_empty());
                let terminal = Terminal::new(false);
                node_sysctls::set(ctx, &target, &sysctl, value.as_deref(), &terminal)?;
                let scope = match &target {
                    SysctlTarget::Global => "unprofiled nodes".to_owned(),
                    SysctlTarget::Profile(p) => format!("node profile {p}"),
                };
                match value {
                    Some(v) => info2(format!("Setting {sysctl} to {v} for {scope}")),
                    None => info2(format!("Unsetting {sysctl} for {scope}")),
                }
                Ok(())
            }
            K3sNodeSysctls::Report { format } => {
                let scopes = node_sysctls::report(&ctx.store)?;
                if format == Format::Json {
                    let doc: serde_json::Map<String, serde_json::Value> = scopes
                        .iter()
                        .map(|s| (s.label().to_owned(), serde_json::json!(s.sysctls)))
                        .collect();
                    return print_json(&doc);
                }
                let mut rows = vec![("scope", "sysctl", "value")];
                for s in &scopes {
                    rows.extend(
                        s.sysctls
                            .iter()
                            .map(|(k, v)| (s.label(), k.as_str(), v.as_str())),
                    );
                }
                let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
                let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
                let mut out = std::io::stdout().lock();
                for (scope, name, value) in rows {
                    // A closed pipe (`| head`) ends the report.
                    if writeln!(out, "{scope:<w0$} {name:<w1$} {value}").is_err() {
                        break;
                    }
                }
                Ok(())
            }
        }
    }
}
