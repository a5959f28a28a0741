//! `scheduler-k3s:history`, `scheduler-k3s:rollback`: the app's revisions (Helm release
//! records, so `helm history <app>` shows the same).

use clap::Subcommand;

use super::args::existing_app;
use super::on_cluster::{LockWait, block_on, connect, lock_app};
use super::output::print_table;
use super::output::{Format, info1, info2, print_json};
use super::{CliError, Ctx};
use crate::kube::deploy;
use crate::kube::history;

#[derive(Debug, Subcommand)]
pub enum K3sHistory {
    /// List an app's revisions (what `helm history <app>` shows)
    #[command(
        name = "scheduler-k3s:history",
        after_help = "Examples:\n  berth scheduler-k3s:history my-app\n  berth scheduler-k3s:history my-app --format json"
    )]
    History {
        app: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Roll an app back to a revision (default: the one before the deployed one) and wait
    #[command(
        name = "scheduler-k3s:rollback",
        after_help = "Examples:\n  berth scheduler-k3s:rollback my-app\n  berth scheduler-k3s:rollback my-app 3"
    )]
    Rollback {
        app: String,
        /// Revision number from scheduler-k3s:history
        revision: Option<u32>,
        /// Fail at once if another command holds the app's lock
        #[arg(long)]
        no_wait: bool,
        /// Plain progress lines instead of live ones
        #[arg(long, short)]
        quiet: bool,
    },
}

impl K3sHistory {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            K3sHistory::History { app, format } => {
                let app = existing_app(&ctx.store, &app)?;
                let revs = block_on(async {
                    let cluster = connect(ctx, &app).await?;
                    history::list(&cluster.client, &cluster.namespace, app.as_str()).await
                })?;
                let rows: Vec<serde_json::Value> = revs
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "revision": r.version,
                            "updated": r.info.last_deployed,
                            "status": r.info.status.as_str(),
                            "chart": r.chart.as_ref().map(|c| format!("{}-{}", c.metadata.name, c.metadata.version)),
                            "image": r.config["global"]["image"]["name"],
                            "description": r.info.description,
                        })
                    })
                    .collect();
                if format == Format::Json {
                    return print_json(&rows);
                }
                info2(format!("{app} revisions"));
                let mut table = vec![
                    ["REVISION", "UPDATED", "STATUS", "IMAGE", "DESCRIPTION"].map(String::from),
                ];
                for r in &rows {
                    table.push([
                        r["revision"].to_string(),
                        r["updated"].as_str().unwrap_or_default().to_owned(),
                        r["status"].as_str().unwrap_or_default().to_owned(),
                        r["image"].as_str().unwrap_or_default().to_owned(),
                        r["description"].as_str().unwrap_or_default().to_owned(),
                    ]);
                }
                print_table(&table);
                Ok(())
            }
            K3sHistory::Rollback {
                app,
                revision,
                no_wait,
                quiet,
            } => {
                let app = existing_app(&ctx.store, &app)?;
                let wait = if no_wait {
                    LockWait::NoWait
                } else {
                    LockWait::DeployTimeout
                };
                let _lock = lock_app(ctx, &app, wait)?;
                let progress = super::terminal::Terminal::new(quiet);
                let (target, done) = block_on(async {
                    let cluster = connect(ctx, &app).await?;
                    let ns = &cluster.namespace;
                    let target = match revision {
                        Some(r) => r,
                        None => {
                            let past = history::list(&cluster.client, ns, app.as_str()).await?;
                            let latest = past
                                .iter()
                                .map(|r| r.version)
                                .max()
                                .ok_or_else(|| anyhow::anyhow!("App {app} is not deployed"))?;
                            history::rollback_target(&past).ok_or_else(|| {
                                anyhow::anyhow!(
                                    "{app} has no successful revision before {latest} to roll back to"
                                )
                            })?
                        }
                    };
                    let done = deploy::rollback_to(
                        &cluster.client,
                        ns,
                        app.as_str(),
                        target,
                        cluster.deploy_timeout(),
                        &progress,
                    )
                    .await?;
                    Ok((target, done))
                })?;
                info1(format!(
                    "Rolled {app} back to revision {target} (now revision {})",
                    done.revision
                ));
                Ok(())
            }
        }
    }
}
