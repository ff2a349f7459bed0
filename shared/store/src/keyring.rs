//! Which secret made a stored value. Every key Lawha uses (the audit chain's, its checkpoints', each seal's) is
//! derived from the configured secret key; after `lawha admin rotate-key` a new secret makes everything new, and the
//! previous ones (`previous_secret_keys`) are kept so that what they made still verifies and opens. Each stored value
//! carries the [`KeyId`] of the secret that made it, so a verifier picks the right key instead of guessing.
//!
//! The previous secrets are the process's configuration, like its secret key: the binary hands them over once at
//! start ([`remember_previous_secrets`]), and every key derived afterwards knows them. That is what lets the callers
//! that seal and open (two-factor secrets, backup passwords, age identities) stay as they are: they derive a key from
//! the current secret, and a value sealed under an older one still opens.

use std::sync::RwLock;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The public fingerprint of a secret key: the first 8 bytes of HMAC-SHA256(secret, "lawha/key-id/v1"). It names
/// the secret (in chain values, sealed values, checkpoints and `lawha admin rotate-key`'s output) and reveals
/// nothing that helps to find it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

impl KeyId {
    /// The id of `secret`.
    pub fn of(secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"lawha/key-id/v1");
        let digest = mac.finalize().into_bytes();
        let mut id = [0; 8];
        id.copy_from_slice(&digest[..8]);
        Self(id)
    }

    /// Parses 16 hex digits.
    pub fn parse(hex_id: &str) -> Option<Self> {
        let bytes = hex::decode(hex_id).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// Reads an id from the first 8 bytes of `bytes`.
    pub(crate) fn from_prefix(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.get(..8)?.try_into().ok()?))
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The previous secret keys this process was given, with their ids.
static PREVIOUS: RwLock<Vec<(KeyId, Vec<u8>)>> = RwLock::new(Vec::new());

/// Hands the process's previous secret keys over, once at start, before keys are derived: every [`crate::ChainKey`]
/// and [`crate::SealKey`] derived afterwards verifies and opens what they made. Calling it again adds to the list
/// (a secret already known is not added twice).
pub fn remember_previous_secrets<'a>(secrets: impl IntoIterator<Item = &'a [u8]>) {
    let mut known = PREVIOUS.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    for secret in secrets {
        let id = KeyId::of(secret);
        if !known.iter().any(|(known_id, _)| *known_id == id) {
            known.push((id, secret.to_vec()));
        }
    }
}

/// The previous secrets remembered so far, with their ids, oldest first as given; `except` (the current secret's
/// id) is left out, so a secret listed both ways is the current one.
pub(crate) fn previous_secrets(except: KeyId) -> Vec<(KeyId, Vec<u8>)> {
    let known = PREVIOUS.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    known.iter().filter(|(id, _)| *id != except).cloned().collect()
}

/// Derives a 32-byte key for one purpose: HMAC-SHA256(secret, label).
pub(crate) fn derive(secret: &[u8], label: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    for part in label {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_id_names_one_secret_and_reads_back_from_hex() {
        let a = KeyId::of(b"a secret key of at least thirty-two bytes");
        let b = KeyId::of(b"another secret key of thirty-two bytes!!");
        assert_ne!(a, b);
        assert_eq!(a, KeyId::of(b"a secret key of at least thirty-two bytes"));
        assert_eq!(a.to_string().len(), 16);
        assert_eq!(KeyId::parse(&a.to_string()), Some(a));
        assert_eq!(KeyId::parse("abc"), None);
    }
}
