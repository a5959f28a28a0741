//! `url` and `urls`: the addresses an app answers on (Dokku's `00_dokku-standard` commands).

use clap::Subcommand;

use super::{CliError, Ctx};
use crate::model::urls::first_url;
use crate::ops::urls::app_urls;

#[derive(Debug, Subcommand)]
pub enum Urls {
    /// Show the first URL of an app (https when its ingress serves TLS)
    #[command(name = "url", after_help = "Example:\n  berth url my-app")]
    Url { app: String },
    /// Show every URL of an app: its domains with each http/https port mapping
    #[command(
        name = "urls",
        after_help = "Examples:\n  berth urls my-app\n  for u in $(berth --quiet urls my-app); do curl -fsS \"$u\"; done"
    )]
    All { app: String },
}

impl Urls {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let (app, first_only) = match self {
            Urls::Url { app } => (app, true),
            Urls::All { app } => (app, false),
        };
        let app = app.parse()?;
        let found = app_urls(ctx, &app)?;
        if found.urls.is_empty() {
            return Err(CliError::msg(format!(
                "{app} has no domains, so no URL (add one: berth domains:add {app} app.example.com)"
            )));
        }
        if first_only {
            if let Some(url) = first_url(&found.urls, found.tls) {
                println!("{url}");
            }
        } else {
            for url in &found.urls {
                println!("{url}");
            }
        }
        Ok(())
    }
}
