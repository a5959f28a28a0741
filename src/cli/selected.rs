//! The `selected` property shared by `scheduler:set|report` and `builder:set|report`: one value
//! per app or `--global`, an empty value resets it, and the report shows app, global and computed
//! values in Dokku's layout.

use super::args::{existing_scope, report_scopes};
use super::output::{Format, Report, Row, emit_reports, info2, warn};
use super::{CliError, Ctx};
use crate::model::AppName;
use crate::store::{Scope, Store, StoreError};

/// A plugin whose only property is `selected`.
pub struct SelectedProperty {
    /// `scheduler`, `builder`: the store plugin and the report flag prefix.
    pub plugin: &'static str,
    /// The computed value when neither the app nor `--global` sets one.
    pub default: &'static str,
    /// `Err(message)` for a value the plugin does not accept.
    pub validate: fn(&str) -> Result<(), String>,
    /// The computed value for an app (app, then global, then default).
    pub computed: fn(&Store, &AppName) -> Result<String, StoreError>,
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
        if property != "selected" {
            return Err(CliError::msg(format!(
                "invalid {} property {property:?}, valid properties include: selected",
                self.plugin
            )));
        }
        let value = value.filter(|v| !v.is_empty());
        if let Some(v) = &value {
            (self.validate)(v).map_err(CliError::msg)?;
        }
        crate::ops::settings::set_property(ctx, &scope, self.plugin, "selected", value.as_deref())?;
        match value {
            Some(v) => info2(format!("Setting selected to {v}")),
            None => info2("Unsetting selected"),
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
