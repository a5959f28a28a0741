//! State-only settings commands: each checks its (already typed) input, takes the scope's lock,
//! changes one document, and returns. Nothing here talks to the cluster; the change reaches it
//! at the app's next deploy.

use super::Ctx;
use super::error::{Error, Result};
use super::release_inputs::PROCFILE;
use crate::model::AppName;
use crate::model::domain::{AppDomains, Domain};
use crate::model::meta::{ResourceType, UserMeta};
use crate::model::ports::{self, PortMapping, PortSelector};
use crate::model::procfile::Procfile;
use crate::model::registry::{RegistryLogin, RegistryLogins};
use crate::model::resources::{ResourceKind, Resources};
use crate::model::scheduler_k3s::{AutoscalingAuth, ChartOverrides};
use crate::model::{CpuQuantity, MemoryQuantity};
use crate::store::{Doc, Scope, Secrecy, Store, docs};
use std::collections::BTreeMap;

use anyhow::anyhow;

/// A change to an app's port mappings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortEdit {
    Add(Vec<PortMapping>),
    Set(Vec<PortMapping>),
    Clear,
    Remove(Vec<PortSelector>),
}

/// `ports:add|set|clear|remove`. A result that would map one host port twice is refused and
/// nothing is written.
pub fn edit_ports(ctx: &Ctx, app: &AppName, edit: &PortEdit) -> Result<()> {
    ctx.store.require_app(app)?;
    let scope = Scope::App(app.clone());
    // Checked against the current mappings before the lock is taken, so a refused edit touches
    // nothing (not even the lock file); checked again under the lock for a concurrent writer.
    let mut current: Vec<PortMapping> = ctx.store.read_json(&scope, docs::PORTS)?;
    apply_port_edit(edit, &mut current)?;
    let lock = ctx.store.lock(&scope, &ctx.command)?;
    lock.update_json(docs::PORTS, |list: &mut Vec<PortMapping>| {
        apply_port_edit(edit, list)
    })
}

fn apply_port_edit(edit: &PortEdit, list: &mut Vec<PortMapping>) -> Result<()> {
    match edit {
        PortEdit::Add(more) => list.extend(more.iter().copied()),
        PortEdit::Set(new) => *list = new.clone(),
        PortEdit::Clear => list.clear(),
        PortEdit::Remove(selectors) => list.retain(|m| !selectors.iter().any(|s| s.matches(m))),
    }
    Ok(ports::normalise(list)?)
}

/// A change to a domain list (an app's vhosts or the global domains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEdit {
    Add(Vec<Domain>),
    Remove(Vec<Domain>),
    Set(Vec<Domain>),
    Clear,
}

impl DomainEdit {
    /// Apply to `list`, keeping it sorted and unique.
    fn apply(&self, list: &mut Vec<Domain>) {
        match self {
            DomainEdit::Add(more) => list.extend_from_slice(more),
            DomainEdit::Remove(gone) => list.retain(|d| !gone.contains(d)),
            DomainEdit::Set(new) => *list = new.clone(),
            DomainEdit::Clear => list.clear(),
        }
        list.sort();
        list.dedup();
    }
}

/// `domains:add|remove|set|clear` (and the `*-global` spellings).
pub fn edit_domains(ctx: &Ctx, scope: &Scope, edit: &DomainEdit) -> Result<()> {
    let lock = ctx.store.lock(scope, &ctx.command)?;
    match scope {
        Scope::Global => lock.update_json(docs::DOMAINS, |list: &mut Vec<Domain>| {
            edit.apply(list);
            Ok::<_, Error>(())
        }),
        Scope::App(_) => lock.update_json(docs::DOMAINS, |d: &mut AppDomains| {
            edit.apply(&mut d.vhosts);
            Ok::<_, Error>(())
        }),
    }
}

/// `domains:enable|disable`: whether the app's domains are served (an Ingress is rendered).
pub fn set_domains_enabled(ctx: &Ctx, app: &AppName, enabled: bool) -> Result<()> {
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    lock.update_json(docs::DOMAINS, |d: &mut AppDomains| {
        d.enabled = enabled;
        Ok::<_, Error>(())
    })
}

/// `domains:reset`: the app's domains as a new app gets them; returns them.
pub fn reset_domains(ctx: &Ctx, app: &AppName) -> Result<Vec<Domain>> {
    ctx.store.require_app(app)?;
    let defaults = AppDomains::for_new_app(app, &ctx.store.global_domains()?);
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    lock.write_json(docs::DOMAINS, &defaults)?;
    Ok(defaults.vhosts)
}

/// New values for one resource slot (`_default_` or a process type); `None` keeps a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceValues {
    /// `None`: unchanged; `Some(None)`: cleared (`--cpu clear`); `Some(Some(v))`: set.
    pub cpu: Option<Option<CpuQuantity>>,
    pub memory: Option<Option<MemoryQuantity>>,
    pub nvidia_gpu: Option<Option<String>>,
    /// Docker-only keys (`memory-swap`, `network`, …): stored and reported, as Dokku does.
    pub docker_only: BTreeMap<String, Option<String>>,
}

/// `resource:limit|reserve APP [--process-type P] --cpu … --memory …`.
pub fn set_resources(
    ctx: &Ctx,
    app: &AppName,
    slot: &str,
    kind: ResourceKind,
    new: &ResourceValues,
) -> Result<()> {
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    lock.update_json(docs::RESOURCES, |r: &mut Resources| {
        let values = r.entry(slot.to_owned()).or_default().values_mut(kind);
        if let Some(cpu) = &new.cpu {
            values.cpu = cpu.as_ref().map(ToString::to_string);
        }
        if let Some(mem) = &new.memory {
            values.memory = mem.as_ref().map(ToString::to_string);
        }
        if let Some(g) = &new.nvidia_gpu {
            values.nvidia_gpu = g.clone();
        }
        for (key, value) in &new.docker_only {
            match value {
                Some(v) => values.docker_only.insert(key.clone(), v.clone()),
                None => values.docker_only.remove(key),
            };
        }
        Ok::<_, Error>(())
    })
}

/// `resource:limit-clear|reserve-clear`: forget one kind of values of a slot.
pub fn clear_resources(ctx: &Ctx, app: &AppName, slot: &str, kind: ResourceKind) -> Result<()> {
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    lock.update_json(docs::RESOURCES, |r: &mut Resources| {
        if let Some(spec) = r.get_mut(slot) {
            *spec.values_mut(kind) = Default::default();
            if spec.is_empty() {
                r.remove(slot);
            }
        }
        Ok::<_, Error>(())
    })
}

/// `procfile:set`: store the app's Procfile (an empty one removes it). Returns whether one is
/// stored now.
pub fn set_procfile(ctx: &Ctx, app: &AppName, procfile: &Procfile) -> Result<bool> {
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    if *procfile == Procfile::default() {
        lock.remove(PROCFILE)?;
        return Ok(false);
    }
    lock.write_text(PROCFILE, &procfile.to_text())?;
    Ok(true)
}

/// `app-json:set`: store the app's app.json text, or remove it (`None`). The text is checked
/// exactly as `deploy` checks it — parsed, then built into a release with the app's other stored
/// inputs — before the lock is taken, so what is stored is what a deploy accepts.
pub fn set_app_json(ctx: &Ctx, app: &AppName, text: Option<&str>) -> Result<()> {
    ctx.store.require_app(app)?;
    if let Some(t) = text {
        let parsed = crate::model::app_json::AppJson::parse(t)?;
        super::release_inputs::release_from_store(
            &ctx.store,
            app,
            // Any valid reference: the image plays no part in what app.json may declare.
            "berth.invalid/app-json-check:latest",
            super::release_inputs::Overrides {
                procfile: None,
                app_json: Some(parsed),
                deployment_id: super::release::new_deployment_id(),
                extra_env: Default::default(),
                builder: None,
            },
        )?;
    }
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    match text {
        Some(t) => lock.write_text(docs::APP_JSON, t)?,
        None => lock.remove(docs::APP_JSON)?,
    }
    Ok(())
}

/// `<plugin>:set <app|--global> <property> [value]` for a plugin whose values are already
/// checked (`registry:set`, `builder:set`, `scheduler:set`): store or (with `None`) unset it.
pub fn set_property(
    ctx: &Ctx,
    scope: &Scope,
    plugin: &str,
    name: &str,
    value: Option<&str>,
) -> Result<()> {
    let lock = ctx.store.lock(scope, &ctx.command)?;
    lock.set_property(plugin, name, value, Secrecy::Public)?;
    Ok(())
}

/// `scheduler-k3s:set`: store or unset a scheduler-k3s property (its stored form, already
/// checked, so the store's own check cannot refuse it).
pub fn set_scheduler_k3s_property(
    ctx: &Ctx,
    scope: &Scope,
    name: &str,
    value: Option<&str>,
) -> Result<()> {
    let lock = ctx.store.lock(scope, &ctx.command)?;
    lock.set_scheduler_k3s_property(name, value)?;
    Ok(())
}

/// `scheduler-k3s:set --global chart.<chart>.<key> [value]`: a Helm value override of a
/// cluster component chart (`None` removes it).
pub fn set_chart_value(ctx: &Ctx, chart: &str, key: &str, value: Option<&str>) -> Result<()> {
    let lock = ctx.store.lock(&Scope::Global, &ctx.command)?;
    lock.update_json(docs::CHART_OVERRIDES, |o: &mut ChartOverrides| {
        match value {
            Some(v) => {
                o.entry(chart.to_owned())
                    .or_default()
                    .insert(key.to_owned(), v.to_owned());
            }
            None => {
                if let Some(m) = o.get_mut(chart) {
                    m.remove(key);
                    if m.is_empty() {
                        o.remove(chart);
                    }
                }
            }
        }
        Ok::<_, Error>(())
    })
}

/// `registry:login`: keep the credentials for `server` (0600, never printed).
pub fn registry_login(ctx: &Ctx, scope: &Scope, server: &str, login: RegistryLogin) -> Result<()> {
    let lock = ctx.store.lock(scope, &ctx.command)?;
    lock.update_json(docs::REGISTRY_CREDENTIALS, |logins: &mut RegistryLogins| {
        logins.insert(server.to_owned(), login);
        Ok::<_, Error>(())
    })
}

/// `registry:logout`: forget `server`'s credentials; false when none were stored.
pub fn registry_logout(ctx: &Ctx, scope: &Scope, server: &str) -> Result<bool> {
    // Nothing stored: refuse without taking the lock or writing a file.
    if !ctx.store.registry_logins(scope)?.contains_key(server) {
        return Ok(false);
    }
    let lock = ctx.store.lock(scope, &ctx.command)?;
    let mut removed = false;
    lock.update_json(docs::REGISTRY_CREDENTIALS, |logins: &mut RegistryLogins| {
        removed = logins.remove(server).is_some();
        Ok::<_, Error>(())
    })?;
    Ok(removed)
}

/// `scheduler-k3s:annotations:set|labels:set`: one key of one resource type (and process
/// type), or (with `None`) its removal.
pub fn set_user_meta(
    ctx: &Ctx,
    scope: &Scope,
    doc: Doc,
    process: Option<&str>,
    resource: ResourceType,
    key: &str,
    value: Option<&str>,
) -> Result<()> {
    let lock = ctx.store.lock(scope, &ctx.command)?;
    lock.update_json(doc, |m: &mut UserMeta| {
        m.set(process, resource, key, value);
        Ok::<_, Error>(())
    })
}

/// `scheduler-k3s:autoscaling-auth:set`: merge `pairs` into the trigger's stored metadata (no
/// pairs removes the trigger). Returns the trigger's metadata now.
pub fn set_autoscaling_auth(
    ctx: &Ctx,
    scope: &Scope,
    trigger: &str,
    pairs: &[(String, String)],
) -> Result<BTreeMap<String, String>> {
    let lock = ctx.store.lock(scope, &ctx.command)?;
    lock.update_json(docs::AUTOSCALING_AUTH, |auth: &mut AutoscalingAuth| {
        if pairs.is_empty() {
            auth.remove(trigger);
        } else {
            auth.entry(trigger.to_owned())
                .or_default()
                .extend(pairs.iter().cloned());
        }
        Ok::<_, Error>(auth.get(trigger).cloned().unwrap_or_default())
    })
}

/// Checks that need the other global settings: `kubeconfig-path` must be a kubeconfig (holding
/// the configured `kube-context`, if any) and `kube-context` must name a context of the
/// configured kubeconfig when that file exists.
pub fn check_cluster_settings(store: &Store, name: &str, value: &str) -> Result<()> {
    let props = store.scheduler_k3s_properties(None)?;
    let (path, context) = match name {
        "kubeconfig-path" => {
            if !std::path::Path::new(value).exists() {
                return Ok(()); // written later (initialize): checked by the first cluster command
            }
            (value.to_owned(), props.kube_context().map(str::to_owned))
        }
        "kube-context" => {
            let path = props.kubeconfig_path().to_owned();
            if !std::path::Path::new(&path).exists() {
                return Ok(()); // no cluster yet: checked when kubeconfig-path is set
            }
            (path, Some(value.to_owned()))
        }
        _ => return Ok(()),
    };
    let contexts = crate::kube::client::kubeconfig_contexts(&path)
        .map_err(|e| anyhow!("Invalid kubeconfig-path {path:?}: {e}"))?;
    if let Some(ctx) = context
        && !contexts.contains(&ctx)
    {
        let known = if contexts.is_empty() {
            "none".to_owned()
        } else {
            contexts.join(", ")
        };
        return Err(anyhow!(
            "kube-context {ctx:?} is not a context of kubeconfig {path:?} (its contexts: {known})"
        )
        .into());
    }
    Ok(())
}

/// A change to an app's docker options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerOptionsChange {
    /// Append these options (split already) to each phase, once.
    Add(Vec<String>, Vec<String>),
    /// Remove these options from each phase.
    Remove(Vec<String>, Vec<String>),
    /// Clear these phases (all when empty).
    Clear(Vec<String>),
}

/// `docker-options:add|remove|clear`.
pub fn change_docker_options(ctx: &Ctx, app: &AppName, change: &DockerOptionsChange) -> Result<()> {
    use crate::model::docker_options::{DockerOptions, PHASES};
    ctx.store.require_app(app)?;
    let lock = ctx.store.lock(&Scope::App(app.clone()), &ctx.command)?;
    lock.update_json(docs::DOCKER_OPTIONS, |all: &mut DockerOptions| {
        match change {
            DockerOptionsChange::Add(phases, options) => {
                for phase in phases {
                    let list = all.entry(phase.clone()).or_default();
                    for o in options {
                        if !list.contains(o) {
                            list.push(o.clone());
                        }
                    }
                }
            }
            DockerOptionsChange::Remove(phases, options) => {
                for phase in phases {
                    if let Some(list) = all.get_mut(phase) {
                        list.retain(|o| !options.contains(o));
                    }
                }
            }
            DockerOptionsChange::Clear(phases) => {
                let phases: Vec<String> = if phases.is_empty() {
                    PHASES.iter().map(|p| p.to_string()).collect()
                } else {
                    phases.clone()
                };
                for phase in phases {
                    all.remove(&phase);
                }
            }
        }
        all.retain(|_, list| !list.is_empty());
        Ok::<_, Error>(())
    })
}
