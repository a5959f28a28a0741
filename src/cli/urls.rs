//! `url` and `urls`: the addresses an app answers on (Dokku's `00_dokku-standard` commands).

use clap::Subcommand;

use super::{CliError, Ctx};
use crate::model::urls::first_url;
use crate::ops::urls::app_urls;

#[derive(Debug, Subcommand)]
pub enum Urls {
    /// Show the first URL of an app (https when its ingress serves TLS)
    #[command(
        name = "url",
        after_help = "Examples:\n  berth url my-app\n  berth url my-app -o json"
    )]
    Url {
        app: String,
        /// stdout (the URL) or json (a JSON string)
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: super::output::Format,
    },
    /// Show every URL of an app: its domains with each http/https port mapping
    #[command(
        name = "urls",
        after_help = "Examples:\n  berth urls my-app\n  for u in $(berth --quiet urls my-app); do curl -fsS \"$u\"; done\n  berth urls my-app -o json"
    )]
    All {
        app: String,
        /// stdout (one URL a line) or json (an array)
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: super::output::Format,
    },
}

impl Urls {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let (app, first_only, format) = match self {
            Urls::Url { app, format } => (app, true, format),
            Urls::All { app, format } => (app, false, format),
        };
        let json = format == super::output::Format::Json;
        let app = app.parse()?;
        let found = app_urls(ctx, &app)?;
        if found.urls.is_empty() {
            return Err(CliError::msg(format!(
                "{app} has no domains, so no URL (add one: berth domains:add {app} app.example.com)"
            )));
        }
        if first_only {
            if let Some(url) = first_url(&found.urls, found.tls) {
                match json {
                    true => println!("{}", serde_json::json!(url)),
                    false => println!("{url}"),
                }
            }
        } else if json {
            println!("{}", serde_json::json!(found.urls));
        } else {
            for url in &found.urls {
                println!("{url}");
            }
        }
        Ok(())
    }
}
