//! The release's TLS source (reference §5.6): imported certificate, a named issuer, the app's
//! own letsencrypt issuer or the global ClusterIssuer, or none.

use super::build::{ReleaseError, fail};
use super::inputs::*;
use super::*;

/// True when the next deploy's ingress serves TLS: the one rule `url`/`urls` and the deploy
/// share. Inputs the deploy would refuse serve no TLS.
pub fn serves_tls(i: &ReleaseInputs) -> bool {
    tls(i, "app").is_ok_and(|(t, _)| t != Tls::Disabled)
}

/// The TLS source (reference §5.6), and the app's own letsencrypt issuer when it has one.
pub(super) fn tls(i: &ReleaseInputs, a: &str) -> Result<(Tls, Option<AppIssuer>), ReleaseError> {
    let mut app_issuer = None;
    let tls = if i.imported_tls.is_some() {
        Tls::Imported
    } else if i.letsencrypt_server == LetsencryptServer::Disabled {
        Tls::Disabled
    } else if let Some(name) = i
        .cert_issuer_name
        .as_deref()
        .filter(|n| !n.is_empty() && *n != "false")
    {
        if !crate::model::names::is_dns1123_subdomain(name) {
            return fail(format!(
                "cert-issuer-name {name:?} is not a valid DNS-1123 subdomain"
            ));
        }
        Tls::Issued {
            kind: i.cert_issuer_kind,
            name: name.to_owned(),
        }
    } else {
        let server = i.letsencrypt_server;
        let (app_email, global_email) = match server {
            LetsencryptServer::Stag => (
                &i.letsencrypt_email_stag_app,
                &i.letsencrypt_email_stag_global,
            ),
            _ => (
                &i.letsencrypt_email_prod_app,
                &i.letsencrypt_email_prod_global,
            ),
        };
        let app_email = app_email.clone().filter(|e| !e.is_empty());
        let global_email = global_email.clone().filter(|e| !e.is_empty());
        match (app_email, global_email) {
            (Some(email), _) => {
                let name = format!("{a}-letsencrypt-{}", server.short());
                app_issuer = Some(AppIssuer {
                    name: name.clone(),
                    email,
                    server_url: server.url().into(),
                });
                Tls::Issued {
                    kind: CertIssuerKind::Issuer,
                    name,
                }
            }
            (None, Some(_)) => Tls::Issued {
                kind: CertIssuerKind::ClusterIssuer,
                name: format!("letsencrypt-{}", server.short()),
            },
            (None, None) => Tls::Disabled,
        }
    };

    Ok((tls, app_issuer))
}
