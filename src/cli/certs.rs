//! `certs:add|update|remove|report|show`: an imported TLS certificate for an app, used by its
//! ingress instead of letsencrypt. The pair is checked (it parses, the key is the certificate's,
//! it has not expired) before anything is stored; the key is stored 0600 and shown only by
//! `certs:show <app> key`.

use clap::Subcommand;

use super::args::existing_app;
use super::output::{Format, Report, Row, emit_reports, info1};
use super::terminal::Terminal;
use super::{CliError, Ctx};
use std::io::IsTerminal;

use crate::input::{CERT_ARCHIVE, CERTIFICATE, read_stdin_bytes, read_text};
use crate::model::cert_archive::pair_from_tar;
use crate::model::cert_verify::verification;
use crate::model::certificate::{CertInfo, ImportedTls, check_pair, inspect};
use crate::ops::certs;

/// `<app> CRT KEY`, shared by `certs:add` and `certs:update`.
#[derive(Debug, clap::Args)]
pub struct CertFiles {
    app: String,
    /// PEM certificate (chain)
    #[arg(value_name = "CRT")]
    crt: Option<String>,
    /// PEM private key (PKCS#8, RSA or EC)
    #[arg(value_name = "KEY")]
    key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Certs {
    /// Import a certificate and key for an app (the ingress serves it instead of letsencrypt)
    #[command(
        name = "certs:add",
        after_help = "Examples:\n  berth certs:add my-app server.crt server.key\n  berth certs:add my-app fullchain.pem privkey.pem\n  tar cf - server.crt server.key | berth certs:add my-app\n\nThe certificate file may hold the whole chain (leaf first). A deployed app is redeployed\nso its ingress uses the certificate (Secret tls-<app>)."
    )]
    Add(CertFiles),
    /// Replace an app's imported certificate and key
    #[command(
        name = "certs:update",
        after_help = "Example:\n  berth certs:update my-app server.crt server.key"
    )]
    Update(CertFiles),
    /// Remove an app's imported certificate (letsencrypt, if configured, takes over)
    #[command(
        name = "certs:remove",
        after_help = "Example:\n  berth certs:remove my-app"
    )]
    Remove { app: String },
    /// Show an app's imported certificate: subject, hostnames, issuer, validity
    #[command(
        name = "certs:report",
        after_help = "Examples:\n  berth certs:report my-app\n  berth certs:report my-app --format json\n  berth certs:report my-app --ssl-expires-at"
    )]
    Report {
        app: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
        #[arg(long, hide = true, allow_hyphen_values = true)]
        info_flag: Option<String>,
    },
    /// Print the stored certificate (crt) or private key (key)
    #[command(
        name = "certs:show",
        after_help = "Examples:\n  berth certs:show my-app crt\n  berth certs:show my-app key > server.key"
    )]
    Show {
        app: String,
        /// crt or key
        #[arg(value_name = "crt|key")]
        which: String,
    },
}

impl Certs {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let store = &ctx.store;
        match self {
            Certs::Add(CertFiles { app, crt, key })
            | Certs::Update(CertFiles { app, crt, key }) => {
                let app = existing_app(store, &app)?;
                let (crt, key) = match (crt, key) {
                    (Some(crt), Some(key)) => (
                        read_text(std::path::Path::new(&crt), CERTIFICATE)?,
                        read_text(std::path::Path::new(&key), CERTIFICATE)?,
                    ),
                    // Dokku's streamed import: without both paths, a tar on stdin.
                    _ if std::io::stdin().is_terminal() => {
                        return Err(CliError::msg(
                            "Tar archive containing server.crt and server.key expected on stdin",
                        ));
                    }
                    _ => pair_from_tar(&read_stdin_bytes(CERT_ARCHIVE)?)?,
                };
                let info = check_pair(&crt, &key, jiff::Timestamp::now())?;
                let tls = ImportedTls { crt, key };
                let progress = Terminal::new(false);
                let revision = certs::set(ctx, &app, &tls, &progress)?;
                info1(format!(
                    "Added the certificate for {} (expires {})",
                    info.hostnames.join(", "),
                    openssl_time(info.not_after)
                ));
                if let Some(revision) = revision {
                    info1(format!("{app} is running revision {revision}"));
                }
            }
            Certs::Remove { app } => {
                let app = existing_app(store, &app)?;
                let progress = Terminal::new(false);
                match certs::remove(ctx, &app, &progress)? {
                    None => {
                        return Err(CliError::msg("An app-specific SSL endpoint is not defined"));
                    }
                    Some(Some(revision)) => info1(format!("{app} is running revision {revision}")),
                    Some(None) => {}
                }
            }
            Certs::Show { app, which } => {
                if which != "crt" && which != "key" {
                    return Err(CliError::msg(format!(
                        "specify either 'key' or 'crt', not {which:?}"
                    )));
                }
                let app = existing_app(store, &app)?;
                let Some(tls) = store.imported_tls(&app)? else {
                    return Err(CliError::msg(format!(
                        "{app} doesn't have an SSL endpoint defined"
                    )));
                };
                let text = if which == "crt" { tls.crt } else { tls.key };
                print!("{}", text);
                if !text.ends_with('\n') {
                    println!();
                }
            }
            Certs::Report {
                app,
                format,
                info_flag,
            } => {
                let Some(apps) = super::args::report_apps(store, app.as_deref(), "certs:report")?
                else {
                    return Ok(());
                };
                let mut reports = Vec::new();
                // Read once, and only when some app has a certificate to verify.
                let mut anchors: Option<Vec<Vec<u8>>> = None;
                for app in apps {
                    let (info, verified) = match store.imported_tls(&app)? {
                        Some(tls) => {
                            let anchors = anchors.get_or_insert_with(certs::system_trust_anchors);
                            let verified = verification(&tls.crt, anchors, jiff::Timestamp::now());
                            (Some(inspect(&tls.crt)?), verified)
                        }
                        None => (None, ""),
                    };
                    let dir = store
                        .scope_dir(&crate::store::Scope::App(app.clone()))
                        .join("tls.json")
                        .display()
                        .to_string();
                    reports.push(Report {
                        subject: app.to_string(),
                        plugin: "ssl",
                        rows: report_rows(dir, info.as_ref(), verified),
                    });
                }
                emit_reports(&reports, format, info_flag.as_deref())?;
            }
        }
        Ok(())
    }
}

fn report_rows(dir: String, info: Option<&CertInfo>, verified: &str) -> Vec<Row> {
    let field = |f: fn(&CertInfo) -> String| info.map(f).unwrap_or_default();
    vec![
        Row::new("--ssl-dir", dir),
        Row::new("--ssl-enabled", info.is_some().to_string()),
        Row::new("--ssl-hostnames", field(|i| i.hostnames.join(" "))),
        Row::new("--ssl-expires-at", field(|i| openssl_time(i.not_after))),
        Row::new("--ssl-starts-at", field(|i| openssl_time(i.not_before))),
        Row::new("--ssl-issuer", field(|i| i.issuer.clone())),
        Row::new("--ssl-subject", field(|i| i.subject.clone())),
        Row::new("--ssl-verified", verified),
    ]
}

/// OpenSSL's date form, which Dokku's report prints: `Mar  1 12:00:00 2027 GMT`.
fn openssl_time(t: jiff::Timestamp) -> String {
    t.strftime("%b %e %H:%M:%S %Y GMT").to_string()
}
