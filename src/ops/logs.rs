//! `logs`: the app's pod logs, merged, each line prefixed with its pod.

use futures::StreamExt;

use super::Ctx;
use super::connect::connect;
use super::error::Result;
use super::runtime::block_on;
use crate::kube::logs;
/// Which logs and how they are shown; `app` and `namespace` are filled in by [`logs()`].
pub use crate::kube::logs::LogsRequest;
use crate::model::AppName;

/// Stream the logs `req` asks for to `line`, until they end or `line` returns false. The app
/// and its namespace come from `app` and its settings, whatever `req` says.
pub fn logs(
    ctx: &Ctx,
    app: &AppName,
    req: LogsRequest,
    mut line: impl FnMut(&str) -> bool,
) -> Result<()> {
    ctx.store.require_app(app)?;
    block_on(async {
        let cluster = connect(&ctx.store, app).await?;
        let req = LogsRequest {
            app: app.object_name().to_owned(),
            namespace: cluster.namespace.clone(),
            ..req
        };
        let mut lines = logs::stream_logs(&cluster.client, &req).await?;
        while let Some(next) = lines.next().await {
            if !line(&next?) {
                break;
            }
        }
        Ok(())
    })
}

/// The global sinks (`logs:set --global vector-sink|vector-cron-sink`) for the Vector chart,
/// `None` when neither is set. A stored DSN that no longer parses fails with Dokku's message.
pub fn vector_sinks(
    store: &crate::store::Store,
) -> Result<Option<crate::render::vector_sinks::VectorSinks>> {
    use crate::model::vector_sink::sink_config;
    let global = crate::store::Scope::Global;
    let read = |name: &str| -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
        match store
            .property(&global, PLUGIN, name)?
            .filter(|v| !v.is_empty())
        {
            None => Ok(None),
            Some(dsn) => sink_config(&dsn, &[]).map(Some).map_err(|e| {
                crate::model::InvalidValue::new(format!("Error parsing {name}: {e}")).into()
            }),
        }
    };
    let mut apps = std::collections::BTreeMap::new();
    for app in store.list_apps()? {
        let scope = crate::store::Scope::App(app.clone());
        if let Some(dsn) = store
            .property(&scope, PLUGIN, "vector-sink")?
            .filter(|v| !v.is_empty())
        {
            let sink = sink_config(&dsn, &[]).map_err(|e| {
                crate::model::InvalidValue::new(format!(
                    "Error parsing vector-sink of app {app}: {e}"
                ))
            })?;
            apps.insert(app.object_name().to_owned(), sink);
        }
    }
    let sinks = crate::render::vector_sinks::VectorSinks {
        sink: read("vector-sink")?,
        cron_sink: read("vector-cron-sink")?,
        apps,
    };
    Ok((!sinks.is_empty()).then_some(sinks))
}

/// The store plugin of the `logs` properties.
pub const PLUGIN: &str = "logs";

/// `logs:set <app|--global> <property> [value]`: check and store (sinks 0600); an empty value
/// unsets. Returns a warning to show when the setting has no effect on k3s.
pub fn set_property(
    ctx: &Ctx,
    scope: &crate::store::Scope,
    name: &str,
    value: Option<&str>,
) -> Result<Option<String>> {
    use crate::model::logs_properties::{SINKS, validate};
    validate(name, value.unwrap_or_default(), scope.is_global())?;
    let secrecy = if SINKS.contains(&name) {
        crate::store::Secrecy::Secret
    } else {
        crate::store::Secrecy::Public
    };
    let lock = ctx.store.lock(scope, &ctx.command)?;
    lock.set_property(PLUGIN, name, value, secrecy)?;
    let note = match (scope.is_global(), SINKS.contains(&name)) {
        (true, true) => Some(
            "The change reaches the cluster's Vector at the next scheduler-k3s:ensure-charts"
                .to_owned(),
        ),
        (false, true) if name == "vector-sink" => Some(
            "The change reaches the cluster's Vector at the next scheduler-k3s:ensure-charts; this app's logs then go to this sink instead of the global one".to_owned(),
        ),
        (false, true) => Some(format!(
            "On k3s only the global {name} is used (berth logs:set --global {name} ...); this app's value is stored for other schedulers"
        )),
        _ => None,
    };
    Ok(note)
}

/// One `logs:report` value: the flag it answers to and the stored (unredacted) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsRow {
    /// `app`, `global` or `computed`.
    pub layer: &'static str,
    pub name: &'static str,
    pub value: String,
}

/// The `logs:report` rows of one scope (app: app, global and computed values; `--global`:
/// global and computed), unredacted; the CLI redacts sinks.
pub fn report(store: &crate::store::Store, scope: &crate::store::Scope) -> Result<Vec<LogsRow>> {
    use crate::model::logs_properties::{GLOBAL_ONLY, LOGS_PROPERTIES, default_of};
    let global = crate::store::Scope::Global;
    let get = |s: &crate::store::Scope, n: &str| -> Result<String> {
        Ok(store.property(s, PLUGIN, n)?.unwrap_or_default())
    };
    let mut rows = Vec::new();
    for name in LOGS_PROPERTIES {
        let g = get(&global, name)?;
        let own = match scope {
            crate::store::Scope::App(_) if !GLOBAL_ONLY.contains(&name) => Some(get(scope, name)?),
            _ => None,
        };
        let computed = [own.clone().unwrap_or_default(), g.clone()]
            .into_iter()
            .find(|v| !v.is_empty())
            .unwrap_or_else(|| default_of(name).to_owned());
        rows.push(LogsRow {
            layer: "computed",
            name,
            value: computed,
        });
        rows.push(LogsRow {
            layer: "global",
            name,
            value: g,
        });
        if let Some(v) = own {
            rows.push(LogsRow {
                layer: "app",
                name,
                value: v,
            });
        }
    }
    Ok(rows)
}
