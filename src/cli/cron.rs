//! `cron:list`, `cron:run`: the app's deployed cron tasks (CronJobs).

use clap::Subcommand;

use super::args::existing_app;
use super::output::print_table;
use super::output::{Format, info2, print_json};
use super::{CliError, Ctx};
use crate::ops::run as ops_run;

#[derive(Debug, Subcommand)]
pub enum Cron {
    /// List the app's deployed cron tasks
    #[command(
        name = "cron:list",
        after_help = "Examples:\n  berth cron:list my-app\n  berth cron:list my-app --format json"
    )]
    List {
        app: String,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
    /// Run a cron task now (a Job from its CronJob), attached; its exit code is berth's
    #[command(
        name = "cron:run",
        after_help = "Example:\n  berth cron:list my-app\n  berth cron:run my-app 5cruaotm4yzzpnjlsdunblj8qyjp"
    )]
    Run {
        app: String,
        /// Cron id from cron:list
        cron_id: String,
        /// Start it and print the pod name instead of waiting
        #[arg(long)]
        detach: bool,
    },
}

impl Cron {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            Cron::List { app, format } => {
                let app = existing_app(&ctx.store, &app)?;
                let rows = ops_run::cron_list(ctx, &app)?;
                if format == Format::Json {
                    return print_json(&rows);
                }
                info2(format!("{app} cron tasks"));
                let mut table = vec![["ID", "Schedule", "Suspended", "Command"].map(String::from)];
                for r in &rows {
                    table.push([
                        r.id.clone(),
                        r.schedule.clone(),
                        r.suspended.to_string(),
                        r.command.clone(),
                    ]);
                }
                print_table(&table);
                Ok(())
            }
            Cron::Run {
                app,
                cron_id,
                detach,
            } => {
                let app = existing_app(&ctx.store, &app)?;
                let code = match ops_run::cron_run(ctx, &app, &cron_id, detach)? {
                    ops_run::CronRun::Started { pod } => {
                        println!("{pod}");
                        0
                    }
                    ops_run::CronRun::Exited { code } => code,
                };
                if code != 0 {
                    return Err(CliError {
                        hint: None,
                        message: String::new(),
                        code,
                    });
                }
                Ok(())
            }
        }
    }
}
