//! age encryption of archives for an X25519 recipient (`age1…`). The panel keeps only recipients (public keys):
//! it can write encrypted archives but never read them back, so a stolen panel database opens no backup. The
//! identity (`AGE-SECRET-KEY-1…`) is given only for a restore.

use std::{
    io::{Read, Write},
    str::FromStr as _,
};

use age::secrecy::ExposeSecret as _;
use lawha_domain::Message;

use crate::{BackupError, messages};

pub use age::x25519::{Identity, Recipient};

/// The writer [`encrypting_writer`] returns. Call its `finish()` once everything is written: without it the last
/// chunk is missing and the file does not decrypt.
pub type EncryptingWriter<W> = age::stream::StreamWriter<W>;

/// The reader [`decrypting_reader`] returns. A chunk that fails its MAC reads as an `InvalidData` error.
pub type DecryptingReader<R> = age::stream::StreamReader<R>;

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A secret key where a recipient belongs.
    #[error("this is an age secret key (AGE-SECRET-KEY-1…); give its public key (age1…) as the recipient")]
    SecretKeyAsRecipient,
    /// A recipient where a secret key belongs.
    #[error("this is an age public key (age1…); restoring needs the secret key (AGE-SECRET-KEY-1…)")]
    RecipientAsIdentity,
    /// An SSH key: the engine is built without age's SSH support.
    #[error("SSH keys are not supported as age recipients or identities; generate an X25519 key (age-keygen)")]
    Ssh,
    /// Anything else age refused.
    #[error("not a valid age {what}: {reason}")]
    Malformed {
        /// Which kind of key was expected.
        what: KeyKind,
        /// What age said (`invalid Bech32 encoding`).
        reason: String,
    },
    /// No key, or several, in an identity text.
    #[error("expected exactly one AGE-SECRET-KEY-1… line, found {0}")]
    IdentityCount(usize),
}

impl KeyError {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::SecretKeyAsRecipient => messages::key_secret_as_recipient(),
            Self::RecipientAsIdentity => messages::key_recipient_as_identity(),
            Self::Ssh => messages::key_ssh(),
            Self::Malformed { what: KeyKind::Recipient, reason } => messages::key_malformed_recipient(reason),
            Self::Malformed { what: KeyKind::Identity, reason } => messages::key_malformed_identity(reason),
            Self::IdentityCount(count) => messages::key_count(*count),
        }
    }
}

/// The two kinds of age keys a text can be parsed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A public key (`age1…`), which archives are encrypted to.
    Recipient,
    /// A secret key (`AGE-SECRET-KEY-1…`), which decrypts them.
    Identity,
}

/// For logs: `recipient (age1…)`, `secret key (AGE-SECRET-KEY-1…)`.
impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Recipient => "recipient (age1…)",
            Self::Identity => "secret key (AGE-SECRET-KEY-1…)",
        })
    }
}

impl From<KeyError> for BackupError {
    fn from(e: KeyError) -> Self {
        BackupError::Invalid(e.message())
    }
}

/// Parses an X25519 recipient (`age1…`), surrounding whitespace allowed.
pub fn parse_recipient(text: &str) -> Result<Recipient, KeyError> {
    let text = text.trim();
    if text.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
        return Err(KeyError::SecretKeyAsRecipient);
    }
    if text.starts_with("ssh-") {
        return Err(KeyError::Ssh);
    }
    Recipient::from_str(text)
        .map_err(|reason| KeyError::Malformed { what: KeyKind::Recipient, reason: reason.to_string() })
}

/// Parses an X25519 identity: the `AGE-SECRET-KEY-1…` line alone, or a whole identity file as `age-keygen`
/// writes it (comment lines starting with `#` and blank lines are ignored).
pub fn parse_identity(text: &str) -> Result<Identity, KeyError> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    match lines.as_slice() {
        [line] if line.starts_with("age1") => Err(KeyError::RecipientAsIdentity),
        [line] if line.starts_with("ssh-") || line.starts_with("-----BEGIN") => Err(KeyError::Ssh),
        [line] => Identity::from_str(line)
            .map_err(|reason| KeyError::Malformed { what: KeyKind::Identity, reason: reason.to_string() }),
        other => Err(KeyError::IdentityCount(other.len())),
    }
}

/// A key pair made by [`generate_identity`]. Its `Debug` output hides the secret key.
#[derive(Clone)]
pub struct GeneratedKeyPair {
    /// The secret key (`AGE-SECRET-KEY-1…`): shown to the operator once, never stored by the panel.
    pub identity: String,
    /// The matching recipient (`age1…`) to configure on a plan.
    pub recipient: String,
}

impl std::fmt::Debug for GeneratedKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKeyPair").field("identity", &"[redacted]").field("recipient", &self.recipient).finish()
    }
}

/// Generates a new X25519 identity and its recipient.
pub fn generate_identity() -> GeneratedKeyPair {
    let identity = Identity::generate();
    GeneratedKeyPair {
        identity: identity.to_string().expose_secret().to_string(),
        recipient: identity.to_public().to_string(),
    }
}

/// The recipient (public key) of an identity, to check it matches the one an archive was encrypted to.
pub fn recipient_of(identity: &Identity) -> String {
    identity.to_public().to_string()
}

/// Wraps `inner` so that what is written to it is encrypted for `recipient`; writes the age header at once.
pub fn encrypting_writer<W: Write>(recipient: &Recipient, inner: W) -> std::io::Result<EncryptingWriter<W>> {
    // age's own error goes into the I/O error as it is: the caller names the step (starting age encryption).
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .map_err(std::io::Error::other)?;
    encryptor.wrap_output(inner)
}

/// Why an age stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DecryptError {
    /// The identity is not one the file was encrypted to.
    #[error("the secret key does not match the key this archive was encrypted to")]
    WrongIdentity,
    /// The header is not a valid age header, or reading it failed.
    #[error("the age header cannot be read: {0}")]
    Header(String),
}

impl DecryptError {
    /// What people read.
    pub fn message(&self) -> Message {
        match self {
            Self::WrongIdentity => messages::age_wrong_identity(),
            Self::Header(reason) => messages::age_header_unreadable(reason),
        }
    }
}

/// Reads the age header from `inner` and returns a reader of the plaintext.
pub fn decrypting_reader<R: Read>(identity: &Identity, inner: R) -> Result<DecryptingReader<R>, DecryptError> {
    let decryptor = age::Decryptor::new(inner).map_err(|e| DecryptError::Header(e.to_string()))?;
    decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => DecryptError::WrongIdentity,
        other => DecryptError::Header(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_pair_round_trips_bytes() {
        let pair = generate_identity();
        let recipient = parse_recipient(&pair.recipient).expect("recipient");
        let identity =
            parse_identity(&format!("# created: now\n# public key: {}\n{}\n", pair.recipient, pair.identity))
                .expect("identity");
        assert_eq!(recipient_of(&identity), pair.recipient);
        let mut writer = encrypting_writer(&recipient, Vec::new()).expect("writer");
        writer.write_all(b"secret marker").expect("write");
        let stored = writer.finish().expect("finish");
        assert!(!stored.windows(6).any(|w| w == b"secret"));
        let mut plain = Vec::new();
        decrypting_reader(&identity, stored.as_slice()).expect("reader").read_to_end(&mut plain).expect("read");
        assert_eq!(plain, b"secret marker");
    }

    #[test]
    fn keys_in_the_wrong_place_are_named() {
        let pair = generate_identity();
        assert_eq!(parse_recipient(&pair.identity).unwrap_err(), KeyError::SecretKeyAsRecipient);
        assert_eq!(parse_identity(&pair.recipient).err(), Some(KeyError::RecipientAsIdentity));
        assert_eq!(parse_recipient("ssh-ed25519 AAAA").unwrap_err(), KeyError::Ssh);
        assert_eq!(parse_identity("# nothing\n").err(), Some(KeyError::IdentityCount(0)));
        let malformed = parse_recipient("age1nope").unwrap_err();
        assert!(matches!(malformed, KeyError::Malformed { what: KeyKind::Recipient, .. }), "{malformed}");
        assert_eq!(malformed.message().code, "engine.key_malformed_recipient");
        assert_eq!(KeyError::IdentityCount(2).message(), messages::key_count(2u32));
        let garbled = parse_identity("AGE-SECRET-KEY-1NOPE").err();
        assert!(matches!(garbled, Some(KeyError::Malformed { what: KeyKind::Identity, .. })), "{garbled:?}");
    }

    #[test]
    fn another_identity_is_refused_as_wrong() {
        let (a, b) = (generate_identity(), generate_identity());
        let mut writer = encrypting_writer(&parse_recipient(&a.recipient).expect("a"), Vec::new()).expect("writer");
        writer.write_all(b"x").expect("write");
        let stored = writer.finish().expect("finish");
        let other = parse_identity(&b.identity).expect("b");
        assert!(matches!(decrypting_reader(&other, stored.as_slice()), Err(DecryptError::WrongIdentity)));
    }
}
