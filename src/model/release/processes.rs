//! The release's processes: the process types and their commands, one [`Process`] per type
//! (replicas, command words, web section, probes, autoscaling, resources), and the release
//! tasks run before the rollout.

use std::collections::BTreeMap;

use super::autoscaling;
use super::build::{ReleaseError, fail};
use super::inputs::*;
use super::probes::build_probes;
use super::resources::resolve_resources;
use super::*;
use crate::model::procfile::Procfile;

/// The process types and their commands: the Procfile's, else a single `web` running the
/// image's own command. Every scaled process type must be one of them.
pub(super) fn commands(
    i: &ReleaseInputs,
    procfile: &Procfile,
) -> Result<BTreeMap<ProcessType, Option<String>>, ReleaseError> {
    let mut commands: BTreeMap<ProcessType, Option<String>> = procfile
        .processes
        .iter()
        .map(|(p, c)| (p.clone(), Some(c.clone())))
        .collect();
    if commands.is_empty() {
        commands.insert(ProcessType::web(), None);
    }
    for p in i.scale.keys() {
        if !commands.contains_key(p) {
            return fail(format!(
                "scale: process type \"{p}\" is not in the Procfile (processes: {})",
                commands
                    .keys()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    Ok(commands)
}

/// Everything about the web process's network the processes share.
pub(super) struct Web<'a> {
    pub(super) maps: &'a [PortMap],
    pub(super) domains: &'a [Host],
    pub(super) tls: bool,
    pub(super) primary_port: u16,
}

/// One [`Process`] per process type: replicas, command words, web section, probes,
/// autoscaling and resources.
pub(super) fn processes(
    i: &ReleaseInputs,
    app: &AppName,
    commands: &BTreeMap<ProcessType, Option<String>>,
    web: &Web<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Process>, ReleaseError> {
    let (web_maps, domains, primary_port) = (web.maps, web.domains, web.primary_port);
    let mut vars = i.env.clone();
    vars.insert("PORT".into(), primary_port.to_string());

    let mut processes = Vec::new();
    for (proc_type, command) in commands {
        let p = proc_type.as_str();
        let formation = i.app_json.formation.get(proc_type);
        let replicas = i
            .scale
            .get(proc_type)
            .copied()
            .or_else(|| formation.and_then(|f| f.quantity))
            .unwrap_or(if proc_type.is_web() { 1 } else { 0 });
        // Reference §5.4.1: ps start-cmd (dockerfile-start-cmd for image deploys) wins over
        // the Procfile; herokuish images start through /start.
        let override_cmd = match i.builder {
            BuilderType::Dockerfile => i.dockerfile_start_cmd.as_ref().or(i.start_cmd.as_ref()),
            _ => i.start_cmd.as_ref(),
        }
        .filter(|c| !c.trim().is_empty())
        .map(|c| ("ps:set start-cmd".to_owned(), c));
        let args = match i.builder {
            BuilderType::Herokuish => vec!["/start".to_owned(), p.to_owned()],
            _ => match override_cmd.or_else(|| {
                command
                    .as_ref()
                    .map(|c| (format!("Procfile: command of {p}"), c))
            }) {
                Some((what, c)) => {
                    interpolate::shell_args(&what, c, &vars, warnings).map_err(ReleaseError)?
                }
                None => Vec::new(),
            },
        };
        let web = if proc_type.is_web() {
            Some(WebSection {
                port_maps: web_maps.to_vec(),
                domains: domains.to_vec(),
                tls: web.tls,
                primary_port,
            })
        } else if formation.is_some_and(|f| f.exposed) {
            Some(WebSection {
                port_maps: vec![PortMap {
                    scheme: PortScheme::Http,
                    host_port: 5000,
                    container_port: 5000,
                }],
                domains: Vec::new(),
                tls: false,
                primary_port: 5000,
            })
        } else {
            None
        };
        let probes = build_probes(&i.app_json, proc_type, web.as_ref())?;
        let autoscaling = autoscaling::resolve(
            app,
            proc_type,
            formation.and_then(|f| f.autoscaling.as_ref()),
            replicas,
            &i.trigger_auth,
            &i.global_trigger_auth,
        )?;
        processes.push(Process {
            proc_type: proc_type.clone(),
            args,
            replicas,
            resources: resolve_resources(&i.resources, p)?,
            probes,
            autoscaling,
            web,
            security: i
                .process_pod_security
                .get(p)
                .cloned()
                .unwrap_or_else(|| i.pod_security.clone()),
        });
    }
    for p in i.app_json.healthchecks.keys() {
        if !commands.contains_key(p) {
            warnings.push(format!(
                "app.json healthchecks.{p}: no such process type, ignored"
            ));
        }
    }

    Ok(processes)
}

/// The tasks run before the rollout: app.json `predeploy`, then the Procfile's `release`.
pub(super) fn release_tasks(
    i: &ReleaseInputs,
    procfile: &Procfile,
) -> Result<Vec<ReleaseTask>, ReleaseError> {
    let mut release_tasks = Vec::new();
    if let Some(cmd) = &i.app_json.scripts.predeploy {
        release_tasks.push(ReleaseTask {
            name: "predeploy".into(),
            command: cmd.clone(),
            resources: resolve_resources(&i.resources, "predeploy")?,
            runs: TaskRuns::BeforeRollout,
        });
    }
    if let Some(cmd) = &procfile.release {
        release_tasks.push(ReleaseTask {
            name: "release".into(),
            command: cmd.clone(),
            resources: resolve_resources(&i.resources, "release")?,
            runs: TaskRuns::BeforeRollout,
        });
    }
    if let Some(cmd) = &i.app_json.scripts.postdeploy {
        release_tasks.push(ReleaseTask {
            name: "postdeploy".into(),
            command: cmd.clone(),
            resources: resolve_resources(&i.resources, "postdeploy")?,
            runs: TaskRuns::AfterRollout,
        });
    }
    if let Some(cmd) = &i.app_json.scripts.heroku_postdeploy {
        release_tasks.push(ReleaseTask {
            name: "heroku-postdeploy".into(),
            command: cmd.clone(),
            resources: resolve_resources(&i.resources, "postdeploy")?,
            runs: TaskRuns::AfterFirstRollout,
        });
    }

    Ok(release_tasks)
}
