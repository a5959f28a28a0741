//! `scheduler-k3s:profiles:add|list|remove`: named `cluster:add` settings (Dokku's node
//! profiles), applied with `scheduler-k3s:cluster:add --profile NAME`.

use std::io::Write;

use clap::Subcommand;

use super::output::{Format, info1, print_json};
use super::{CliError, Ctx};
use crate::cluster::k3s::parse_kubelet_args;
use crate::model::node_profile::{NodeProfile, ProfileRole};
use crate::ops::cluster::profiles;

#[derive(Debug, Subcommand)]
pub enum K3sProfiles {
    /// Adds a node profile to the k3s cluster
    #[command(
        name = "scheduler-k3s:profiles:add",
        after_help = "Examples:\n  berth scheduler-k3s:profiles:add edge-workers --role worker --insecure-allow-unknown-hosts \\\n    --kubelet-args protect-kernel-defaults=true,eviction-hard=memory.available<200Mi\n  berth scheduler-k3s:profiles:add control --role server --taint-scheduling\n  berth scheduler-k3s:cluster:add --profile edge-workers ssh://root@10.0.0.4\n\nAn existing profile of the same name is replaced. Names: letters, digits and inner dashes, at\nmost 32 characters."
    )]
    Add {
        #[arg(value_name = "PROFILE", allow_hyphen_values = true, default_value = "")]
        profile: String,
        /// server or worker
        #[arg(long, default_value = "worker")]
        role: String,
        /// Accept host keys that are not in known_hosts when joining with this profile
        #[arg(long)]
        insecure_allow_unknown_hosts: bool,
        /// Taint nodes CriticalAddonsOnly=true:NoSchedule (servers only)
        #[arg(long)]
        taint_scheduling: bool,
        /// kubelet arguments key=value (comma-separated and/or repeated)
        #[arg(long, value_name = "K=V,...")]
        kubelet_args: Vec<String>,
    },
    /// Lists all node profiles in the k3s cluster
    #[command(
        name = "scheduler-k3s:profiles:list",
        after_help = "Examples:\n  berth scheduler-k3s:profiles:list\n  berth scheduler-k3s:profiles:list --format json   # the profiles as stored"
    )]
    List {
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
    /// Removes a node profile from the k3s cluster
    #[command(
        name = "scheduler-k3s:profiles:remove",
        after_help = "Examples:\n  berth scheduler-k3s:profiles:remove edge-workers\n\nNodes that joined with the profile keep their configuration and label."
    )]
    Remove {
        #[arg(value_name = "PROFILE", allow_hyphen_values = true, default_value = "")]
        profile: String,
    },
}

impl K3sProfiles {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            K3sProfiles::Add {
                profile,
                role,
                insecure_allow_unknown_hosts,
                taint_scheduling,
                kubelet_args,
            } => {
                // Dokku's order: the role, then the name.
                let role = ProfileRole::parse(&role)?;
                crate::model::node_profile::validate_profile_name(&profile)?;
                let kubelet_args = parse_kubelet_args(&kubelet_args).map_err(CliError::msg)?;
                profiles::add(
                    ctx,
                    NodeProfile {
                        name: profile.clone(),
                        role,
                        allow_unknown_hosts: insecure_allow_unknown_hosts,
                        taint_scheduling,
                        kubelet_args,
                    },
                )?;
                info1(format!("Node profile {profile} added"));
                Ok(())
            }
            K3sProfiles::List { format } => {
                let all = profiles::list(ctx)?;
                if format == Format::Json {
                    return print_json(&all);
                }
                let rows: Vec<(&str, &str)> = std::iter::once(("name", "role"))
                    .chain(all.iter().map(|p| (p.name.as_str(), p.role.as_str())))
                    .collect();
                let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
                let mut out = std::io::stdout().lock();
                for (name, role) in rows {
                    // A closed pipe (`| head`) ends the listing.
                    if writeln!(out, "{name:<width$} {role}").is_err() {
                        break;
                    }
                }
                Ok(())
            }
            K3sProfiles::Remove { profile } => {
                profiles::remove(ctx, &profile, &super::terminal::Terminal::new(false))?;
                info1(format!("Node profile {profile} removed"));
                Ok(())
            }
        }
    }
}
