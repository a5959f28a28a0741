//! `certs:report --ssl-verified`: whether an imported certificate chains to a trusted certificate
//! authority, as Dokku's `openssl verify -purpose sslserver` answers it — the leaf, with the
//! intermediates stored after it, against the trust anchors given (the system's CA bundle in
//! the CLI), for server authentication at `now`.

use jiff::Timestamp;
use rustls_pki_types::{CertificateDer, UnixTime};
use x509_parser::pem::Pem;

/// Dokku's two answers.
pub const VERIFIED: &str = "verified by a certificate authority";
pub const SELF_SIGNED: &str = "self signed";

/// The DER certificates of a PEM chain, leaf first.
fn chain_der(chain_pem: &str) -> Vec<Vec<u8>> {
    Pem::iter_from_buffer(chain_pem.as_bytes())
        .map_while(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .map(|p| p.contents)
        .collect()
}

/// True when the chain in `chain_pem` verifies against `anchors_der` (DER CA certificates).
pub fn chains_to_trusted_ca(chain_pem: &str, anchors_der: &[Vec<u8>], now: Timestamp) -> bool {
    let chain = chain_der(chain_pem);
    let Some((leaf, intermediates)) = chain.split_first() else {
        return false;
    };
    let anchor_certs: Vec<CertificateDer<'_>> = anchors_der
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    // A CA certificate webpki cannot read as an anchor is skipped, as openssl skips it.
    let anchors: Vec<_> = anchor_certs
        .iter()
        .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
        .collect();
    let leaf = CertificateDer::from(leaf.as_slice());
    let Ok(end_entity) = webpki::EndEntityCert::try_from(&leaf) else {
        return false;
    };
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let Ok(secs) = u64::try_from(now.as_second()) else {
        return false;
    };
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &intermediates,
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs)),
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .is_ok()
}

/// Dokku's `--ssl-verified` value.
pub fn verification(chain_pem: &str, anchors_der: &[Vec<u8>], now: Timestamp) -> &'static str {
    if chains_to_trusted_ca(chain_pem, anchors_der, now) {
        VERIFIED
    } else {
        SELF_SIGNED
    }
}
