//! `cron:list`, `cron:run`: the app's deployed cron tasks (CronJobs).

use std::time::Duration;

use clap::Subcommand;
use k8s_openapi::api::batch::v1::CronJob;
use kube::api::{Api, ListParams};

use super::args::existing_app;
use super::on_cluster::{block_on, connect};
use super::output::print_table;
use super::output::{Format, info2, print_json};
use super::{CliError, Ctx};
use crate::kube::deploy::app_selector;
use crate::kube::{jobs, run};

#[derive(Debug, Subcommand)]
pub enum Cron {
    /// List the app's deployed cron tasks
    #[command(
        name = "cron:list",
        after_help = "Examples:\n  berth cron:list my-app\n  berth cron:list my-app --format json"
    )]
    List {
        app: String,
        #[arg(long, value_enum, default_value_t)]
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

async fn cronjobs(client: &kube::Client, ns: &str, app: &str) -> anyhow::Result<Vec<CronJob>> {
    let api: Api<CronJob> = Api::namespaced(client.clone(), ns);
    let mut list = api
        .list(&ListParams::default().labels(&app_selector(app)))
        .await
        .map_err(crate::kube::errors::describe)?
        .items;
    list.sort_by(|a, b| jobs::cron_id(a).cmp(&jobs::cron_id(b)));
    Ok(list)
}

impl Cron {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            Cron::List { app, format } => {
                let app = existing_app(&ctx.store, &app)?;
                let list = block_on(async {
                    let cluster = connect(ctx, &app).await?;
                    cronjobs(&cluster.client, &cluster.namespace, app.as_str()).await
                })?;
                let rows: Vec<serde_json::Value> = list
                    .iter()
                    .filter_map(|c| {
                        Some(serde_json::json!({
                            "id": jobs::cron_id(c)?,
                            "app": app.as_str(),
                            "schedule": c.spec.schedule,
                            "command": jobs::cron_command(c),
                            "suspended": c.spec.suspend.unwrap_or(false),
                        }))
                    })
                    .collect();
                if format == Format::Json {
                    return print_json(&rows);
                }
                info2(format!("{app} cron tasks"));
                let mut table = vec![["ID", "Schedule", "Suspended", "Command"].map(String::from)];
                for r in &rows {
                    table.push([
                        r["id"].as_str().unwrap_or_default().to_owned(),
                        r["schedule"].as_str().unwrap_or_default().to_owned(),
                        r["suspended"].to_string(),
                        r["command"].as_str().unwrap_or_default().to_owned(),
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
                let code = block_on(async {
                    let cluster = connect(ctx, &app).await?;
                    let ns = &cluster.namespace;
                    let list = cronjobs(&cluster.client, ns, app.as_str()).await?;
                    let Some(cron) = list.iter().find(|c| jobs::cron_id(c) == Some(&cron_id))
                    else {
                        let ids: Vec<&str> = list.iter().filter_map(jobs::cron_id).collect();
                        anyhow::bail!(
                            "no cron task {cron_id:?} in {app} (deployed ids: {}); see berth cron:list {app}",
                            if ids.is_empty() {
                                "none".into()
                            } else {
                                ids.join(", ")
                            }
                        );
                    };
                    let job = jobs::job_from_cronjob(cron, app.as_str(), &jobs::random_suffix())?;
                    let start = Duration::from_secs(300);
                    if detach {
                        let pod = run::run_detached(&cluster.client, ns, &job, start).await?;
                        println!("{pod}");
                        Ok(0)
                    } else {
                        run::run_attached(&cluster.client, ns, &job, start, true).await
                    }
                })?;
                if code != 0 {
                    return Err(CliError {
                        message: String::new(),
                        code,
                    });
                }
                Ok(())
            }
        }
    }
}
