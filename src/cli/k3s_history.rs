//! `scheduler-k3s:history`, `scheduler-k3s:rollback`: the app's revisions (Helm release
//! records, so `helm history <app>` shows the same).

use clap::Subcommand;

use super::args::existing_app;
use super::output::print_table;
use super::output::{Format, info1, info2, print_json};
use super::{CliError, Ctx};
use crate::ops::history as ops_history;

#[derive(Debug, Subcommand)]
pub enum K3sHistory {
    /// List an app's revisions (what `helm history <app>` shows)
    #[command(
        name = "scheduler-k3s:history",
        after_help = "Examples:\n  berth scheduler-k3s:history my-app\n  berth scheduler-k3s:history my-app --format json"
    )]
    History {
        app: String,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
    /// Roll an app back to a revision (default: the one before the deployed one) and wait
    #[command(
        name = "scheduler-k3s:rollback",
        after_help = "Examples:\n  berth scheduler-k3s:rollback my-app\n  berth scheduler-k3s:rollback my-app 3\n  berth scheduler-k3s:rollback my-app -o json   # progress as JSON lines, for CI"
    )]
    Rollback {
        app: String,
        /// Revision number from scheduler-k3s:history
        revision: Option<u32>,
        #[command(flatten)]
        flags: super::ps_cluster::RolloutFlags,
    },
}

impl K3sHistory {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            K3sHistory::History { app, format } => {
                let app = existing_app(&ctx.store, &app)?;
                let rows =
                    ops_history::revisions(ctx, &app, &super::terminal::Terminal::new(false))?;
                if format == Format::Json {
                    return print_json(&rows);
                }
                info2(format!("{app} revisions"));
                let mut table = vec![
                    ["REVISION", "UPDATED", "STATUS", "IMAGE", "DESCRIPTION"].map(String::from),
                ];
                for r in &rows {
                    table.push([
                        r.revision.to_string(),
                        r.updated.clone(),
                        r.status.clone(),
                        r.image.clone().unwrap_or_default(),
                        r.description.clone(),
                    ]);
                }
                print_table(&table);
                Ok(())
            }
            K3sHistory::Rollback {
                app,
                revision,
                flags,
            } => {
                let app = existing_app(&ctx.store, &app)?;
                let wait = flags.lock_wait();
                if flags.format == Format::Json {
                    return super::json_events::run(app.as_str(), "rolled-back", |events| {
                        let done = ops_history::rollback(ctx, &app, revision, wait, events)?;
                        Ok(
                            serde_json::json!({"target": done.target, "revision": done.revision, "restored": done.restored}),
                        )
                    });
                }
                let progress = super::terminal::Terminal::new(flags.quiet);
                let done = ops_history::rollback(ctx, &app, revision, wait, &progress)?;
                info1(format!(
                    "Rolled {app} back to revision {} (now revision {}); {}",
                    done.target, done.revision, done.restored
                ));
                Ok(())
            }
        }
    }
}
