//! Imported TLS certificates (`certs:add|update`): a PEM certificate (chain) and its private key,
//! checked before anything is stored — the files must parse, the key must be the certificate's,
//! and the certificate must not have expired. Errors never show key material.

use jiff::Timestamp;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;

use super::error::{InvalidValue, Valid};

/// What `certs:report` shows of a stored certificate (the leaf of the chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// `CN=example.com; O=Acme` (Dokku's `; `-joined RDNs).
    pub subject: String,
    /// The issuer, in the same form.
    pub issuer: String,
    /// Subject alternative DNS names, and the common name when it is not among them.
    pub hostnames: Vec<String>,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    /// Issuer and subject are the same name.
    pub self_signed: bool,
}

/// A stored certificate and key (PEM), as `certs:add` checked them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportedTls {
    /// `server.crt`: the certificate, optionally followed by its chain.
    pub crt: String,
    /// `server.key`.
    pub key: String,
}

const RSA: &str = "1.2.840.113549.1.1.1";
const EC: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";

/// Check a certificate and key pair for import at time `now`.
pub fn check_pair(cert_pem: &str, key_pem: &str, now: Timestamp) -> Valid<CertInfo> {
    let cert_der = first_certificate(cert_pem)?;
    let (_, cert) = x509_parser::parse_x509_certificate(&cert_der).map_err(|e| {
        InvalidValue(format!(
            "Invalid certificate: its CERTIFICATE block is not a valid X.509 certificate ({e})"
        ))
    })?;
    let info = describe(&cert)?;
    if info.not_after < now {
        return Err(InvalidValue(format!(
            "Invalid certificate: it expired at {} (subject {})",
            info.not_after, info.subject
        )));
    }
    let spki = cert.public_key();
    let cert_alg = spki.algorithm.algorithm.to_id_string();
    let cert_key = spki.subject_public_key.data.as_ref();
    let (key_alg, key_public) = private_key_public_part(key_pem)?;
    if key_alg != cert_alg {
        return Err(InvalidValue(format!(
            "Invalid key: it is {} but the certificate's key is {}",
            algorithm_name(&key_alg),
            algorithm_name(&cert_alg)
        )));
    }
    if key_public.as_deref() != Some(cert_key) {
        return Err(InvalidValue(format!(
            "Invalid key: it does not match the certificate (subject {})",
            info.subject
        )));
    }
    Ok(info)
}

/// Describe a stored certificate (already checked at import).
pub fn inspect(cert_pem: &str) -> Valid<CertInfo> {
    let der = first_certificate(cert_pem)?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).map_err(|e| {
        InvalidValue(format!(
            "Invalid certificate: not a valid X.509 certificate ({e})"
        ))
    })?;
    describe(&cert)
}

fn first_certificate(cert_pem: &str) -> Valid<Vec<u8>> {
    for pem in Pem::iter_from_buffer(cert_pem.as_bytes()) {
        match pem {
            Ok(p) if p.label == "CERTIFICATE" => return Ok(p.contents),
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    Err(InvalidValue::new(
        "Invalid certificate: no PEM CERTIFICATE block (expected -----BEGIN CERTIFICATE-----)",
    ))
}

fn describe(cert: &X509Certificate<'_>) -> Valid<CertInfo> {
    let name = |n: &x509_parser::x509::X509Name<'_>| n.to_string().replace(", ", "; ");
    let subject = name(cert.subject());
    let issuer = name(cert.issuer());
    let mut hostnames: Vec<String> = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for g in &san.value.general_names {
            if let GeneralName::DNSName(d) = g {
                hostnames.push((*d).to_owned());
            }
        }
    }
    for cn in cert.subject().iter_common_name() {
        // A common name that is not a host name (`My Test Cert`) is not listed.
        if let Ok(cn) = cn.as_str()
            && !cn.is_empty()
            && !cn.contains(char::is_whitespace)
            && !hostnames.iter().any(|h| h == cn)
        {
            hostnames.insert(0, cn.to_owned());
        }
    }
    let ts = |t: &x509_parser::time::ASN1Time| {
        Timestamp::from_second(t.timestamp()).map_err(|_| {
            InvalidValue::new("Invalid certificate: its validity dates are out of range")
        })
    };
    let validity = cert.validity();
    Ok(CertInfo {
        self_signed: cert.subject() == cert.issuer(),
        subject,
        issuer,
        hostnames,
        not_before: ts(&validity.not_before)?,
        not_after: ts(&validity.not_after)?,
    })
}

fn algorithm_name(oid: &str) -> &'static str {
    match oid {
        RSA => "an RSA key",
        EC => "an EC key",
        ED25519 => "an Ed25519 key",
        _ => "a key of another type",
    }
}

/// The algorithm OID and the public key bytes (as a certificate's SubjectPublicKeyInfo holds
/// them) of a PEM private key; `None` for the bytes when the key does not carry them.
fn private_key_public_part(key_pem: &str) -> Valid<(String, Option<Vec<u8>>)> {
    use pkcs1::der::{Decode, Encode};
    let pem = Pem::iter_from_buffer(key_pem.as_bytes())
        .filter_map(Result::ok)
        .find(|p| p.label.ends_with("PRIVATE KEY"))
        .ok_or_else(|| {
            InvalidValue::new(
                "Invalid key: no PEM private key block (expected -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)",
            )
        })?;
    let bad = |what: &str| InvalidValue(format!("Invalid key: its {what} block does not parse"));
    let rsa_public = |der: &[u8]| -> Valid<Vec<u8>> {
        let key = pkcs1::RsaPrivateKey::from_der(der).map_err(|_| bad("RSA PRIVATE KEY"))?;
        pkcs1::RsaPublicKey {
            modulus: key.modulus,
            public_exponent: key.public_exponent,
        }
        .to_der()
        .map_err(|_| bad("RSA PRIVATE KEY"))
    };
    let ec_public = |der: &[u8]| -> Valid<Option<Vec<u8>>> {
        let key = sec1::EcPrivateKey::from_der(der).map_err(|_| bad("EC PRIVATE KEY"))?;
        Ok(key.public_key.map(<[u8]>::to_vec))
    };
    match pem.label.as_str() {
        "RSA PRIVATE KEY" => Ok((RSA.to_owned(), Some(rsa_public(&pem.contents)?))),
        "EC PRIVATE KEY" => Ok((EC.to_owned(), ec_public(&pem.contents)?)),
        "PRIVATE KEY" => {
            let info =
                pkcs8::PrivateKeyInfo::from_der(&pem.contents).map_err(|_| bad("PRIVATE KEY"))?;
            let oid = info.algorithm.oid.to_string();
            let public = match oid.as_str() {
                RSA => Some(rsa_public(info.private_key)?),
                EC => ec_public(info.private_key)?,
                _ => None,
            };
            let public = public.or_else(|| info.public_key.map(<[u8]>::to_vec));
            Ok((oid, public))
        }
        "ENCRYPTED PRIVATE KEY" => Err(InvalidValue::new(
            "Invalid key: it is encrypted; decrypt it first (openssl pkey -in key.pem -out plain.pem)",
        )),
        other => Err(InvalidValue(format!(
            "Invalid key: unsupported PEM block {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(names: &[&str]) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn a_matching_pair_is_described() {
        let (cert, key) = pair(&["example.com", "www.example.com"]);
        let info = check_pair(&cert, &key, Timestamp::now()).unwrap();
        assert!(
            info.hostnames.contains(&"www.example.com".to_owned()),
            "{info:?}"
        );
        assert!(info.self_signed);
        assert_eq!(inspect(&cert).unwrap(), info);
    }

    #[test]
    fn mismatches_and_garbage_are_refused() {
        let (cert, _) = pair(&["a.example.com"]);
        let (_, other_key) = pair(&["b.example.com"]);
        let e = check_pair(&cert, &other_key, Timestamp::now()).unwrap_err();
        assert!(e.0.starts_with("Invalid key: it does not match"), "{e}");
        let e = check_pair("not a cert", &other_key, Timestamp::now()).unwrap_err();
        assert!(e.0.starts_with("Invalid certificate: no PEM"), "{e}");
        let e = check_pair(&cert, "nope", Timestamp::now()).unwrap_err();
        assert!(e.0.starts_with("Invalid key: no PEM"), "{e}");
        // A far-future "now" makes the certificate expired.
        let later = Timestamp::from_second(253_000_000_000).unwrap();
        let (cert, key) = pair(&["c.example.com"]);
        let e = check_pair(&cert, &key, later).unwrap_err();
        assert!(e.0.starts_with("Invalid certificate: it expired at"), "{e}");
        assert!(!e.0.contains("PRIVATE"), "{e}");
    }
}
