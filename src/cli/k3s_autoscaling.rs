//! `scheduler-k3s:autoscaling-auth:set|report`: KEDA trigger authentication metadata. The values
//! are secrets: stored 0600 and shown only with `--include-metadata`.

use clap::Subcommand;

use super::args::{existing_scope, report_scopes};
use super::output::{Format, info1, info2, invalid_flag, print_json, print_padded, verbose, warn};
use super::{CliError, Ctx};
use crate::model::scheduler_k3s::{AutoscalingAuth, parse_metadata, validate_trigger_type};
use crate::store::{Scope, docs};

#[derive(Debug, Subcommand)]
pub enum K3sAutoscaling {
    /// Store KEDA trigger authentication metadata (no --metadata removes the trigger's settings)
    #[command(
        name = "scheduler-k3s:autoscaling-auth:set",
        after_help = "Examples:\n  berth scheduler-k3s:autoscaling-auth:set my-app aws-sqs-queue --metadata awsAccessKeyID=AKIA... --metadata awsSecretAccessKey=...\n  berth scheduler-k3s:autoscaling-auth:set my-app aws-sqs-queue      # remove"
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        /// KEDA trigger type, e.g. prometheus
        trigger: String,
        /// key=value (repeatable, or comma-separated)
        #[arg(long)]
        metadata: Vec<String>,
    },
    /// Show which triggers have authentication configured
    #[command(
        name = "scheduler-k3s:autoscaling-auth:report",
        after_help = "Examples:\n  berth scheduler-k3s:autoscaling-auth:report my-app\n  berth scheduler-k3s:autoscaling-auth:report my-app --format json --include-metadata"
    )]
    Report {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        /// Show metadata values (secrets)
        #[arg(long)]
        include_metadata: bool,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
}

const MASK: &str = "*******";

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl K3sAutoscaling {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            K3sAutoscaling::Set {
                target,
                trigger,
                metadata,
            } => {
                let scope = existing_scope(store, &target)?;
                validate_trigger_type(&trigger)?;
                let pairs = parse_metadata(&metadata)?;
                let now =
                    crate::ops::settings::set_autoscaling_auth(ctx, &scope, &trigger, &pairs)?;
                if pairs.is_empty() {
                    info1(format!(
                        "Removing trigger authentication settings for {trigger}"
                    ));
                } else {
                    info1("Trigger authentication settings saved");
                    if !scope.is_global() {
                        verbose("Resources will be created or updated on next deploy");
                    }
                }
                // Cluster-wide auth exists in the cluster at once (all of the trigger's stored
                // keys, not only this call's as in the original).
                if scope.is_global() {
                    for line in crate::ops::cluster_objects::sync_cluster_trigger_auth(
                        store, &trigger, &now,
                    )? {
                        super::output::verbose(line);
                    }
                }
            }
            K3sAutoscaling::Report {
                target,
                format,
                include_metadata,
                info_flag,
            } => {
                let scopes = report_scopes(store, target.as_deref())?;
                if scopes.is_empty() {
                    warn("You haven't deployed any applications yet");
                    return Ok(());
                }
                if info_flag.is_some() && format == Format::Json {
                    return Err(CliError::msg(
                        "--format flag cannot be specified when specifying an info flag",
                    ));
                }
                for scope in scopes {
                    let auth: AutoscalingAuth = store.read_json(&scope, docs::AUTOSCALING_AUTH)?;
                    let shown = |v: &str| {
                        if include_metadata {
                            v.to_owned()
                        } else {
                            MASK.to_owned()
                        }
                    };
                    if let Some(flag) = &info_flag {
                        let found = auth
                            .iter()
                            .flat_map(|(t, m)| m.iter().map(move |(k, v)| (t, k, v)))
                            .find(|(t, k, _)| {
                                *flag == format!("--scheduler-k3s-autoscaling-auth.{t}.{k}")
                            });
                        match found {
                            Some((_, _, v)) => println!("{}", shown(v)),
                            None => {
                                let valid: Vec<String> = auth
                                    .iter()
                                    .flat_map(|(t, m)| {
                                        m.keys().map(move |k| {
                                            format!("--scheduler-k3s-autoscaling-auth.{t}.{k}")
                                        })
                                    })
                                    .collect();
                                return Err(invalid_flag(valid));
                            }
                        }
                        continue;
                    }
                    match format {
                        Format::Json => {
                            let flat: serde_json::Map<String, serde_json::Value> = auth
                                .iter()
                                .flat_map(|(t, m)| m.iter().map(move |(k, v)| (t, k, v)))
                                .map(|(t, k, v)| {
                                    (format!("{t}.{k}"), serde_json::Value::String(shown(v)))
                                })
                                .collect();
                            print_json(&flat)?;
                        }
                        Format::Stdout => {
                            let subject = match &scope {
                                Scope::App(a) => a.to_string(),
                                Scope::Global => "--global".to_owned(),
                            };
                            info2(format!("{subject} autoscaling-auth information"));
                            let mut lines = Vec::new();
                            for (t, m) in &auth {
                                lines.push((capitalise(t), "configured".to_owned()));
                                if include_metadata {
                                    for (k, v) in m {
                                        lines.push((format!("{} {k}", capitalise(t)), v.clone()));
                                    }
                                }
                            }
                            print_padded(&lines, 31);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
