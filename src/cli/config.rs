//! `config:*`: the app (or `--global`) environment. Values are secrets: stored 0600 and printed
//! only by the commands that exist to print them (`get`, `show`, `export`).

use base64::Engine;
use clap::Subcommand;

use super::args::existing_scope;
use super::output::{info1, info2};
use super::{CliError, Ctx};
use crate::model::env::{
    EnvMap, ExportFormat, export, parse_env_pairs, shell_quote, validate_env_key,
};
use crate::ops::config::{self, Change};
use crate::store::{Scope, Store, docs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormatArg {
    Exports,
    Envfile,
    DockerArgs,
    DockerArgsKeys,
    Shell,
    Json,
    JsonList,
    Pretty,
}

impl From<ExportFormatArg> for ExportFormat {
    fn from(f: ExportFormatArg) -> Self {
        match f {
            ExportFormatArg::Exports => ExportFormat::Exports,
            ExportFormatArg::Envfile => ExportFormat::Envfile,
            ExportFormatArg::DockerArgs => ExportFormat::DockerArgs,
            ExportFormatArg::DockerArgsKeys => ExportFormat::DockerArgsKeys,
            ExportFormatArg::Shell => ExportFormat::Shell,
            ExportFormatArg::Json => ExportFormat::Json,
            ExportFormatArg::JsonList => ExportFormat::JsonList,
            ExportFormatArg::Pretty => ExportFormat::Pretty,
        }
    }
}

/// `config:import --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    Envfile,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Config {
    /// Set one or more env vars (values are not echoed)
    #[command(
        name = "config:set",
        after_help = "Examples:\n  berth config:set my-app DATABASE_URL=postgres://db/app LOG_LEVEL=info\n  berth config:set --global TZ=UTC\n  berth config:set --encoded my-app CERT=LS0tLS1CRUdJTi..."
    )]
    Set {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        /// KEY=VALUE pairs
        #[arg(value_name = "KEY=VALUE")]
        pairs: Vec<String>,
        /// Do not restart a deployed app (the change applies at its next deploy or restart)
        #[arg(long)]
        no_restart: bool,
        /// Values are base64-encoded
        #[arg(long)]
        encoded: bool,
    },
    /// Unset one or more env vars
    #[command(
        name = "config:unset",
        after_help = "Example:\n  berth config:unset my-app LOG_LEVEL"
    )]
    Unset {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        #[arg(value_name = "KEY")]
        keys: Vec<String>,
        /// Do not restart a deployed app (the change applies at its next deploy or restart)
        #[arg(long)]
        no_restart: bool,
    },
    /// Set env vars from an envfile or JSON object (a file, or `-` for stdin)
    #[command(
        name = "config:import",
        after_help = "Examples:\n  berth config:import my-app .env\n  berth config:export other-app | berth config:import my-app -\n  berth config:import --replace --format json my-app env.json\n\nEnvfile lines are KEY=value, export KEY='value' or KEY=\"value\" (what config:export writes);\n--replace drops every var the file does not set."
    )]
    Import {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        /// The file to read; `-` (the default) reads stdin
        #[arg(value_name = "FILE|-", default_value = "-")]
        file: String,
        /// envfile (default) or json
        #[arg(long, short = 'o', value_enum, default_value = "envfile")]
        format: ImportFormat,
        /// Replace the whole environment instead of merging into it
        #[arg(long)]
        replace: bool,
        /// Do not restart a deployed app (the change applies at its next deploy or restart)
        #[arg(long)]
        no_restart: bool,
    },
    /// Remove every env var
    #[command(
        name = "config:clear",
        after_help = "Example:\n  berth config:clear my-app --no-restart"
    )]
    Clear {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        /// Do not restart a deployed app (the change applies at its next deploy or restart)
        #[arg(long)]
        no_restart: bool,
    },
    /// Print one env var's value (exit 1 when unset)
    #[command(
        name = "config:get",
        after_help = "Example:\n  berth config:get my-app DATABASE_URL"
    )]
    Get {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        key: String,
        /// Print the value shell-quoted
        #[arg(long)]
        quoted: bool,
        /// Fall back to the global value
        #[arg(long)]
        merged: bool,
    },
    /// Show all env vars with their values
    #[command(
        name = "config:show",
        after_help = "Examples:\n  berth config:show my-app\n  berth config:show my-app --merged\n  berth config:show my-app -o json | jq -r .DATABASE_URL"
    )]
    Show {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        /// Include global vars (app values win)
        #[arg(long)]
        merged: bool,
        /// stdout (Dokku's listing) or json (one object, key → value)
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: super::output::Format,
    },
    /// Print env vars in a machine format
    #[command(
        name = "config:export",
        after_help = "Examples:\n  berth config:export my-app > app.env\n  berth config:export --format json --merged my-app"
    )]
    Export {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        #[arg(long, short = 'o', value_enum, default_value = "exports")]
        format: ExportFormatArg,
        /// Include global vars (app values win)
        #[arg(long)]
        merged: bool,
    },
    /// List env var names
    #[command(
        name = "config:keys",
        after_help = "Example:\n  berth config:keys my-app --merged"
    )]
    Keys {
        #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
        target: String,
        /// Include global vars
        #[arg(long)]
        merged: bool,
    },
}

/// Env vars of `scope`; with `merged`, global vars under app vars.
pub fn env_of(store: &Store, scope: &Scope, merged: bool) -> Result<EnvMap, CliError> {
    let mut env: EnvMap = if merged && !scope.is_global() {
        store.read_json(&Scope::Global, docs::CONFIG)?
    } else {
        EnvMap::new()
    };
    env.extend(store.read_json::<EnvMap>(scope, docs::CONFIG)?);
    Ok(env)
}

fn decode(key: &str, value: &str) -> Result<String, CliError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .map_err(|_| {
            CliError::msg(format!(
                "Invalid --encoded value for {key}: not valid base64"
            ))
        })?;
    String::from_utf8(bytes).map_err(|_| {
        CliError::msg(format!(
            "Invalid --encoded value for {key}: decodes to non-UTF-8 bytes"
        ))
    })
}

/// Apply `change` through ops and print the restart it made, if any.
fn change(ctx: &Ctx, scope: &Scope, change: Change, no_restart: bool) -> Result<(), CliError> {
    let progress = super::terminal::Terminal::new(false);
    if let (Some(revision), Scope::App(app)) = (
        config::change(ctx, scope, &change, !no_restart, &progress)?,
        scope,
    ) {
        info1(format!(
            "Restarted {app} with the new config (revision {revision})"
        ));
    }
    Ok(())
}

impl Config {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Config::Set {
                target,
                pairs,
                no_restart,
                encoded,
            } => {
                if pairs.is_empty() {
                    return Err(CliError::msg("At least one env pair must be given"));
                }
                let scope = existing_scope(store, &target)?;
                let mut parsed = Vec::new();
                for (k, v) in parse_env_pairs(&pairs)? {
                    let v = if encoded { decode(&k, &v)? } else { v };
                    crate::model::env::validate_env_value(&k, &v)?;
                    parsed.push((k, v));
                }
                change(ctx, &scope, Change::Set(parsed), no_restart)?;
            }
            Config::Unset {
                target,
                keys,
                no_restart,
            } => {
                if keys.is_empty() {
                    return Err(CliError::msg("At least one key must be given"));
                }
                let scope = existing_scope(store, &target)?;
                for k in &keys {
                    validate_env_key(k)?;
                }
                change(ctx, &scope, Change::Unset(keys), no_restart)?;
            }
            Config::Import {
                target,
                file,
                format,
                replace,
                no_restart,
            } => {
                let scope = existing_scope(store, &target)?;
                if file == "-" {
                    super::output::info1_quiet("Reading config vars from stdin");
                }
                let text = crate::input::read_text_or_stdin(&file, crate::input::ENV_FILE)?;
                let env = match format {
                    ImportFormat::Envfile => crate::model::env_file::parse_envfile(&text)?,
                    ImportFormat::Json => crate::model::env_file::parse_json(&text)?,
                };
                if env.is_empty() {
                    return Err(CliError::msg("No config vars to set"));
                }
                let pairs: Vec<(String, String)> = env.into_iter().collect();
                let what = if replace {
                    Change::Replace(pairs)
                } else {
                    Change::Set(pairs)
                };
                change(ctx, &scope, what, no_restart)?;
            }
            Config::Clear { target, no_restart } => {
                let scope = existing_scope(store, &target)?;
                change(ctx, &scope, Change::Clear, no_restart)?;
            }
            Config::Get {
                target,
                key,
                quoted,
                merged,
            } => {
                let scope = existing_scope(store, &target)?;
                validate_env_key(&key)?;
                let env = env_of(store, &scope, merged)?;
                match env.get(&key) {
                    Some(v) if quoted => println!("{}", shell_quote(v)),
                    Some(v) => println!("{v}"),
                    None => {
                        return Err(CliError {
                            hint: None,
                            message: String::new(),
                            code: 1,
                        });
                    }
                }
            }
            Config::Show {
                target,
                merged,
                format,
            } => {
                let scope = existing_scope(store, &target)?;
                let env = env_of(store, &scope, merged)?;
                if format == super::output::Format::Json {
                    println!("{}", export(&env, ExportFormat::Json));
                    return Ok(());
                }
                let subject = match &scope {
                    Scope::App(a) => a.to_string(),
                    Scope::Global => "global".to_owned(),
                };
                info2(format!("{subject} env vars"));
                let text = export(&env, ExportFormat::Pretty);
                if !text.is_empty() {
                    println!("{text}");
                }
            }
            Config::Export {
                target,
                format,
                merged,
            } => {
                let scope = existing_scope(store, &target)?;
                let env = env_of(store, &scope, merged)?;
                let text = export(&env, format.into());
                if !text.is_empty()
                    || matches!(format, ExportFormatArg::Json | ExportFormatArg::JsonList)
                {
                    println!("{text}");
                }
            }
            Config::Keys { target, merged } => {
                let scope = existing_scope(store, &target)?;
                for k in env_of(store, &scope, merged)?.keys() {
                    println!("{k}");
                }
            }
        }
        Ok(())
    }
}
