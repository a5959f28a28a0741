//! `ps:*` on the cluster: scale, stop, start/restart/rebuild (a redeploy of the deployed image)
//! and the live state `ps:report` / `ps:inspect` show.

use std::collections::{BTreeMap, BTreeSet};

use super::Ctx;
use super::connect::{connect, connect_if_configured};
use super::error::Result;
use super::lock::{LockWait, lock_app};
use super::release::{self, Redeploy};
use super::runtime::block_on;
use crate::kube::helm_release::HelmRelease;
use crate::kube::{history, ps};
use crate::model::{AppName, ProcessType};
use crate::progress::Reporter;
use crate::store::Scope;

/// What `ps:scale` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scaled {
    /// Stored only (`--skip-deploy`, or the app is not deployed).
    Stored,
    /// Stored and rolled out as this revision.
    RolledOut(u32),
    /// The scale asked for is what is stored and what runs: no new revision.
    Unchanged,
}

/// The process types of `app`'s stored Procfile, when it has one. (Without one, those of the
/// deployed release's values are used; with neither, any name is accepted, as Dokku does
/// without a Procfile.)
pub fn procfile_process_types(
    store: &crate::store::Store,
    app: &AppName,
) -> Result<Option<BTreeSet<String>>> {
    let scope = Scope::App(app.clone());
    let Some(text) = store.read_text(&scope, super::release_inputs::PROCFILE)? else {
        return Ok(None);
    };
    let procfile = crate::model::procfile::Procfile::parse(&text)
        .map_err(super::release_inputs::Error::StoredProcfile)?;
    Ok(Some(
        procfile.processes.keys().map(|p| p.to_string()).collect(),
    ))
}

/// `processes.<type>.replicas` of a release's recorded values.
fn deployed_replicas(release: &HelmRelease) -> BTreeMap<String, u64> {
    release.config["processes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(t, v)| (t.clone(), v["replicas"].as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// Dokku's rule: a process type the app does not have may only be scaled to 0.
fn check_process_types(
    changes: &BTreeMap<ProcessType, u32>,
    known: Option<&BTreeSet<String>>,
) -> anyhow::Result<()> {
    let Some(known) = known else {
        return Ok(());
    };
    if let Some((p, _)) = changes
        .iter()
        .find(|(p, n)| **n > 0 && !known.contains(p.as_str()))
    {
        let have = known.iter().cloned().collect::<Vec<_>>().join(", ");
        return Err(anyhow::anyhow!(
            "{p} is not a valid process name to scale up (the app's process types: {})",
            if have.is_empty() { "none" } else { &have }
        ));
    }
    Ok(())
}

/// `ps:scale APP type=n…`: store the new scale and, when the app is deployed, roll it out at
/// once (unless `skip_deploy`). A process type the app does not have is refused before anything
/// is written; a scale equal to what is stored and running creates no revision. With an
/// unreachable cluster nothing changes.
pub fn scale(
    ctx: &Ctx,
    app: &AppName,
    changes: &BTreeMap<ProcessType, u32>,
    skip_deploy: bool,
    r: &dyn Reporter,
) -> Result<Scaled> {
    ctx.store.require_app(app)?;
    let summary: Vec<String> = changes.iter().map(|(p, n)| format!("{p}={n}")).collect();
    let from_procfile = procfile_process_types(&ctx.store, app)?;
    if skip_deploy {
        check_process_types(changes, from_procfile.as_ref())?;
        let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
        lock.set_scale(changes)?;
        r.info(&format!("Scaling {app} processes: {}", summary.join(" ")));
        return Ok(Scaled::Stored);
    }
    block_on(async {
        let cluster = connect_if_configured(&ctx.store, app).await?;
        let deployed = match &cluster {
            Some(c) => {
                let past = history::list(&c.client, &c.namespace, app.object_name()).await?;
                crate::kube::history::deployed(&past).cloned()
            }
            None => None,
        };
        let known = from_procfile.or_else(|| {
            deployed
                .as_ref()
                .map(|r| deployed_replicas(r).into_keys().collect())
        });
        check_process_types(changes, known.as_ref())?;
        // Store errors as their one line (their source is already part of it).
        let flat = |e: crate::store::StoreError| anyhow::anyhow!(e.to_string());
        let lock = ctx
            .store
            .lock(&Scope::App(app.clone()), &ctx.command)
            .map_err(flat)?;
        let after = lock.set_scale(changes).map_err(flat)?;
        let (Some(cluster), Some(current)) = (cluster, deployed) else {
            r.info(&format!("Scaling {app} processes: {}", summary.join(" ")));
            return Ok(Scaled::Stored);
        };
        // Unchanged when every stored count is what runs (a type that does not run counts as 0),
        // including counts stored earlier with --skip-deploy, which this rollout would apply.
        let running = deployed_replicas(&current);
        let unchanged = after
            .iter()
            .all(|(p, n)| running.get(p.as_str()).copied().unwrap_or(0) == u64::from(*n));
        if unchanged {
            r.info(&format!(
                "{app} already runs {}: nothing to roll out",
                summary.join(" ")
            ));
            return Ok(Scaled::Unchanged);
        }
        r.info(&format!("Scaling {app} processes: {}", summary.join(" ")));
        let done = release::redeploy(&lock, &cluster, Redeploy::Scale, r).await?;
        Ok(Scaled::RolledOut(done.revision))
    })
}

/// `ps:start`, `ps:restart [type]`, `ps:rebuild`: redeploy the deployed image as `mode` says and
/// wait for it. Returns the revision the app then runs.
pub fn rollout(
    ctx: &Ctx,
    app: &AppName,
    wait: LockWait,
    mode: Redeploy,
    r: &dyn Reporter,
) -> Result<u32> {
    ctx.store.require_app(app)?;
    let lock = lock_app(ctx, app, wait)?;
    let done = block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        release::redeploy(&lock, &cluster, mode, r).await
    })?;
    Ok(done.revision)
}

/// `ps:stop`: scale every process to 0 and suspend the cron jobs. Returns the process types
/// stopped.
pub fn stop(ctx: &Ctx, app: &AppName, wait: LockWait) -> Result<Vec<String>> {
    ctx.store.require_app(app)?;
    let _lock = lock_app(ctx, app, wait)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        ps::stop(&cluster.client, &cluster.namespace, app.object_name()).await
    })
}

/// What runs of an app: its latest revision record and the live state of each process type.
#[derive(Debug, Clone)]
pub struct LiveState {
    pub namespace: String,
    /// The latest revision record (whatever its status).
    pub latest: Option<HelmRelease>,
    /// The deployed revision's number.
    pub deployed_revision: Option<u32>,
    pub processes: Vec<ps::ProcessState>,
    /// The one-word running state `ps:report --running` shows.
    pub running: String,
}

async fn live(ctx: &Ctx, cluster: &super::connect::AppCluster) -> anyhow::Result<LiveState> {
    let app = cluster.app.object_name();
    let past = history::list(&cluster.client, &cluster.namespace, app).await?;
    // The report shows the repaired status; the warning is for commands that act.
    let past = super::history::repair_if_idle(ctx, cluster, past, &crate::progress::Silent).await?;
    let processes = ps::live_state(&cluster.client, &cluster.namespace, app).await?;
    Ok(LiveState {
        namespace: cluster.namespace.clone(),
        deployed_revision: history::deployed(&past).map(|r| r.version),
        latest: past.last().cloned(),
        running: ps::running_summary(&processes).to_owned(),
        processes,
    })
}

/// `ps:inspect`: the live state; the cluster must answer.
pub fn inspect(ctx: &Ctx, app: &AppName) -> Result<LiveState> {
    ctx.store.require_app(app)?;
    block_on(async { live(ctx, &connect(&ctx.store, app).await?).await })
}

/// The live part of `ps:report`: `None` when no kubeconfig exists (no cluster set up).
pub fn report_live(ctx: &Ctx, app: &AppName) -> Result<Option<LiveState>> {
    block_on(async {
        match connect_if_configured(&ctx.store, app).await? {
            Some(cluster) => live(ctx, &cluster).await.map(Some),
            None => Ok(None),
        }
    })
}
