//! What the panel records of an issued certificate, read from the leaf of its PEM chain: the serial (lowercase
//! hexadecimal without leading zeros), the validity, the issuer's distinguished name, the SHA-256 fingerprint of
//! the leaf's DER, and its ARI identifier (`base64url(AKI keyIdentifier).base64url(DER serial)`, RFC 9773 §4.1).

use chrono::{DateTime, Utc};
use lawha_domain::Message;
use sha2::{Digest as _, Sha256};
use x509_parser::{extensions::ParsedExtension, pem::Pem};

use crate::messages;

/// The leaf certificate's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// The serial, lowercase hexadecimal.
    pub serial: String,
    /// The start of its validity.
    pub not_before: DateTime<Utc>,
    /// The end of its validity.
    pub not_after: DateTime<Utc>,
    /// The issuer's distinguished name (`CN=…, O=…`).
    pub issuer: String,
    /// SHA-256 of the DER, lowercase hexadecimal.
    pub sha256_fingerprint: String,
    /// The ARI identifier, when the certificate has an Authority Key Identifier.
    pub ari_id: Option<String>,
}

/// base64url without padding (RFC 4648 §5), as ARI identifiers are written.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The DER of the first certificate in `pem`.
pub fn leaf_der(pem: &str) -> Result<Vec<u8>, Message> {
    for block in Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| messages::chain_unreadable(e.to_string()))?;
        if block.label == "CERTIFICATE" {
            return Ok(block.contents);
        }
    }
    Err(messages::chain_unreadable("no CERTIFICATE block"))
}

/// Reads the leaf of the PEM chain `pem`.
pub fn leaf(pem: &str) -> Result<Leaf, Message> {
    let der = leaf_der(pem)?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).map_err(|e| messages::chain_unreadable(e.to_string()))?;
    let time = |t: x509_parser::time::ASN1Time| {
        DateTime::from_timestamp(t.timestamp(), 0).ok_or_else(|| messages::chain_unreadable("validity out of range"))
    };
    let raw_serial = cert.tbs_certificate.raw_serial();
    let serial = hex::encode(raw_serial).trim_start_matches('0').to_owned();
    let aki = cert.iter_extensions().find_map(|ext| match ext.parsed_extension() {
        ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref().map(|id| id.0.to_vec()),
        _ => None,
    });
    Ok(Leaf {
        serial: if serial.is_empty() { "0".to_owned() } else { serial },
        not_before: time(cert.validity().not_before)?,
        not_after: time(cert.validity().not_after)?,
        issuer: cert.issuer().to_string(),
        sha256_fingerprint: hex::encode(Sha256::digest(&der)),
        ari_id: aki.map(|aki| format!("{}.{}", base64url(&aki), base64url(raw_serial))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc_4648_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn a_self_signed_certificate_reads_back() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.test".to_owned()]).unwrap().self_signed(&key).unwrap();
        let pem = format!("{}{}", cert.pem(), cert.pem());
        let read = leaf(&pem).unwrap();
        assert_eq!(read.sha256_fingerprint, hex::encode(Sha256::digest(cert.der())));
        assert!(read.not_after > read.not_before);
        assert!(!read.serial.is_empty() && read.serial.len() <= 40, "{}", read.serial);
        assert!(leaf("garbage").is_err());
    }
}
