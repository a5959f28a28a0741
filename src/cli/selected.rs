//! The properties of `scheduler:set|report` and `builder:set|report`: `selected` and the plugin's
//! others, one value per app or `--global`, an empty value resets it, and the report shows app,
//! global and computed values in Dokku's layout.

use super::args::{existing_scope, report_scopes};
use super::output::{Format, Report, Row, emit_reports, info2, warn};
use super::{CliError, Ctx};
use crate::model::AppName;
use crate::store::{Scope, Store, StoreError};

/// A plugin property next to `selected` (Dokku's `builder` has `build-dir` and `skip-cleanup`,
/// `scheduler` has `shell`): app and `--global` values, computed app → global → default.
pub struct OtherProperty {
    pub name: &'static str,
    pub default: &'static str,
    /// `Err(message)` for a value the plugin does not accept.
    pub validate: fn(&str) -> Result<(), String>,
}

/// A plugin with a `selected` property (and maybe [`OtherProperty`]s and report-only keys).
pub struct SelectedProperty {
    /// `scheduler`, `builder`: the store plugin and the report flag prefix.
    pub plugin: &'static str,
    /// The computed value when neither the app nor `--global` sets one.
    pub default: &'static str,
    /// `Err(message)` for a value the plugin does not accept.
    pub validate: fn(&str) -> Result<(), String>,
    /// The computed value for an app (app, then global, then default).
    pub computed: fn(&Store, &AppName) -> Result<String, StoreError>,
    /// The plugin's other settable properties.
    pub others: &'static [OtherProperty],
    /// Keys shown in the app report with an empty value (Dokku's `builder-detected`: berth
    /// deploys built images, so it detects nothing).
    pub report_only: &'static [&'static str],
}

impl SelectedProperty {
    /// `<plugin>:set <app|--global> selected [value]`.
    pub fn set(
        &self,
        ctx: &Ctx,
        target: &str,
        property: &str,
        value: Option<String>,
    ) -> Result<(), CliError> {
        let store = &ctx.store;
        let scope = existing_scope(store, target)?;
        let validate = if property == "selected" {
            self.validate
        } else if let Some(other) = self.others.iter().find(|o| o.name == property) {
            other.validate
        } else {
            let mut names = vec!["selected"];
            names.extend(self.others.iter().map(|o| o.name));
            return Err(crate::model::error::invalid_property(&names, property).into());
        };
        let value = value.filter(|v| !v.is_empty());
        if let Some(v) = &value {
            validate(v).map_err(CliError::msg)?;
        }
        crate::ops::settings::set_property(ctx, &scope, self.plugin, property, value.as_deref())?;
        match value {
            Some(v) => info2(format!("Setting {property} to {v}")),
            None => info2(format!("Unsetting {property}")),
        }
        Ok(())
    }

    /// `<plugin>:report [<app>|--global] [--format stdout|json] [--<plugin>-<key>]`.
    pub fn report(
        &self,
        ctx: &Ctx,
        target: Option<&str>,
        format: Format,
        info_flag: Option<&str>,
    ) -> Result<(), CliError> {
        let store = &ctx.store;
        let scopes = report_scopes(store, target)?;
        if scopes.is_empty() {
            warn("You haven't deployed any applications yet");
            return Ok(());
        }
        let plugin = self.plugin;
        let global = store
            .property(&Scope::Global, plugin, "selected")?
            .unwrap_or_default();
        let mut reports = Vec::new();
        for scope in scopes {
            let mut rows = vec![Row::new(
                format!("--{plugin}-global-selected"),
                global.clone(),
            )];
            let subject = match &scope {
                Scope::App(a) => {
                    let app_value = store
                        .property(&scope, plugin, "selected")?
                        .unwrap_or_default();
                    rows.push(Row::new(format!("--{plugin}-selected"), app_value));
                    rows.push(Row::new(
                        format!("--{plugin}-computed-selected"),
                        (self.computed)(store, a)?,
                    ));
                    a.to_string()
                }
                Scope::Global => {
                    let computed = if global.is_empty() {
                        self.default.to_owned()
                    } else {
                        global.clone()
                    };
                    rows.push(Row::new(format!("--{plugin}-computed-selected"), computed));
                    "--global".to_owned()
                }
            };
            for other in self.others {
                let name = other.name;
                let global = store
                    .property(&Scope::Global, plugin, name)?
                    .unwrap_or_default();
                let app = match &scope {
                    Scope::App(a) => Some(a),
                    Scope::Global => None,
                };
                rows.push(Row::new(format!("--{plugin}-global-{name}"), global));
                if app.is_some() {
                    rows.push(Row::new(
                        format!("--{plugin}-{name}"),
                        store.property(&scope, plugin, name)?.unwrap_or_default(),
                    ));
                }
                rows.push(Row::new(
                    format!("--{plugin}-computed-{name}"),
                    store.computed_property(app, plugin, name, other.default)?,
                ));
            }
            if matches!(scope, Scope::App(_)) {
                for key in self.report_only {
                    rows.push(Row::new(format!("--{plugin}-{key}"), String::new()));
                }
            }
            reports.push(Report {
                subject,
                plugin,
                rows,
            });
        }
        emit_reports(&reports, format, info_flag)?;
        Ok(())
    }
}
