//! A certificate as the JSON API takes it (`POST /api/v1/certificates`), turned into the domain's
//! [`CertificateSpec`]: names trimmed and lowercased, the defaults filled in (http-01, Let's Encrypt, ECDSA P-256,
//! the panel's own host), and every problem reported under its field with nothing recorded.

use lawha_domain::{
    Message,
    certificates::{CertificateSpec, Challenge, Directory, KeyType},
};
use lawha_store::Database;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{CertError, messages};

/// How the CA checks that the names are ours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum ChallengeName {
    /// A file under `/.well-known/acme-challenge/`, served by the host's nginx on port 80 (no wildcards).
    #[default]
    #[serde(rename = "http-01")]
    Http01,
    /// A TXT record set and cleared by `dns_hook`.
    #[serde(rename = "dns-01")]
    Dns01,
}

/// The kind of the certificate's key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum KeyTypeName {
    /// ECDSA on P-256.
    #[default]
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    /// RSA with 2048 bits, for old clients.
    #[serde(rename = "rsa-2048")]
    Rsa2048,
}

/// A certificate: its names, how they are proven, from which CA, and the host whose nginx serves them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateInput {
    /// The names (SANs), the first being the subject: lowercase host names, `*.name` only with dns-01, at most
    /// 100, none twice.
    #[schema(min_items = 1, max_items = 100)]
    pub names: Vec<String>,
    /// `http-01` (default) or `dns-01`.
    #[serde(default)]
    pub challenge: ChallengeName,
    /// With dns-01: the command called as `<hook> set <name> <value>` and then `<hook> clear <name> <value>`.
    #[serde(default)]
    #[schema(max_length = 4096)]
    pub dns_hook: Option<String>,
    /// `letsencrypt` (default), `letsencrypt-staging`, or the URL of another ACME directory (https, or http on a
    /// loopback address).
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub directory: Option<String>,
    /// With a directory URL: an absolute path, on the certificate's host, of a PEM root to trust for it.
    #[serde(default)]
    #[schema(max_length = 4096)]
    pub trusted_root: Option<String>,
    /// The contact address of the CA account (absent: an account without one).
    #[serde(default)]
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// `ecdsa-p256` (default) or `rsa-2048`.
    #[serde(default)]
    pub key_type: KeyTypeName,
    /// An ACME profile the directory offers (Let's Encrypt: `classic`, `tlsserver`, `shortlived`); absent for
    /// the CA's default.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub profile: Option<String>,
    /// The host whose nginx serves the names (`GET /api/v1/hosts`); the panel's own by default.
    #[serde(default)]
    #[schema(max_length = 63)]
    pub host: Option<String>,
}

/// A text field: trimmed, and absent when empty.
fn given(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

impl CertificateInput {
    /// The spec this input asks for; every problem names its field (`names[1]`, `dns_hook`, `directory`…).
    /// `own_host` is the panel's machine (`deployments.host`).
    pub async fn into_spec(self, db: &Database, own_host: &str) -> Result<CertificateSpec, CertError> {
        let mut problems: Vec<(String, Message)> = Vec::new();
        let hook = given(self.dns_hook.clone());
        let challenge = match (self.challenge, hook) {
            (ChallengeName::Http01, None) => Challenge::Http01,
            (ChallengeName::Http01, Some(_)) => {
                problems.push(("dns_hook".into(), messages::dns_hook_unused()));
                Challenge::Http01
            }
            (ChallengeName::Dns01, Some(hook)) => Challenge::Dns01 { hook },
            (ChallengeName::Dns01, None) => {
                problems.push(("dns_hook".into(), messages::dns_hook_missing()));
                Challenge::Dns01 { hook: String::new() }
            }
        };
        let trusted_root = given(self.trusted_root.clone());
        let directory = match given(self.directory.clone()).as_deref() {
            None | Some("letsencrypt") => Directory::LetsEncrypt,
            Some("letsencrypt-staging") => Directory::LetsEncryptStaging,
            Some(url) => Directory::Custom { url: url.to_owned(), trusted_root: trusted_root.clone() },
        };
        if trusted_root.is_some() && !matches!(directory, Directory::Custom { .. }) {
            problems.push(("trusted_root".into(), messages::trusted_root_unused()));
        }
        let host = given(self.host.clone()).unwrap_or_else(|| own_host.to_owned());
        if lawha_domain::hosts::is_host_name(&host) {
            let known = crate::hosts::read::list(&db.read_models, own_host).await?;
            if !known.iter().any(|h| h.name == host) {
                let names: Vec<&str> = known.iter().map(|h| h.name.as_str()).collect();
                problems.push(("host".into(), messages::host_unknown(&host, names.join(", "))));
            }
        }
        let spec = CertificateSpec {
            names: self.names.iter().map(|n| n.trim().to_ascii_lowercase()).collect(),
            challenge,
            directory,
            email: given(self.email),
            key_type: match self.key_type {
                KeyTypeName::EcdsaP256 => KeyType::EcdsaP256,
                KeyTypeName::Rsa2048 => KeyType::Rsa2048,
            },
            profile: given(self.profile),
            host,
        };
        for (field, problem) in spec.problems() {
            let field = api_field(&field).to_owned();
            if !problems.iter().any(|(f, _)| *f == field) {
                problems.push((field, problem));
            }
        }
        if problems.is_empty() { Ok(spec) } else { Err(CertError::Invalid(problems)) }
    }
}

/// The API's name for a field of the domain's spec.
pub fn api_field(field: &str) -> &str {
    match field {
        "challenge.hook" => "dns_hook",
        "directory.url" => "directory",
        "directory.trusted_root" => "trusted_root",
        other => other,
    }
}
