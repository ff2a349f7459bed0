//! Secrets that must be read back (a TOTP secret, a database password inside a backup plan's URL, an age identity)
//! are stored sealed: XChaCha20-Poly1305 with a random 192-bit nonce, under a key derived from the configured secret
//! key for one purpose only. Hashes serve secrets that are only ever compared (passwords, tokens).
//!
//! A sealed value names the secret key that sealed it (`sealed2:` then hex of the key id, the nonce and the
//! ciphertext; the purpose and the key id are its associated data), so after `lawha admin rotate-key` the values
//! sealed under a previous key still open while new ones are sealed under the new key. Values sealed before key ids
//! (`sealed1:`) are tried under each key of the ring.

use std::sync::Arc;

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};

use crate::keyring::{self, KeyId};

/// The format marker of a value sealed before key ids: no key id, the purpose alone as associated data.
const PREFIX_V1: &str = "sealed1:";
/// The format marker of a sealed value: hex of key id (8 bytes), nonce, ciphertext.
const PREFIX: &str = "sealed2:";
/// Nonce length of XChaCha20-Poly1305.
const NONCE_LEN: usize = 24;

/// A key for one purpose (`totp`, `backup-source`…), derived as HMAC-SHA256(secret, "lawha/seal/<purpose>"), from
/// the current secret key (which seals) and from the previous ones (which only open what they sealed).
#[derive(Clone)]
pub struct SealKey {
    current: (KeyId, [u8; 32]),
    previous: Arc<[(KeyId, [u8; 32])]>,
    purpose: &'static str,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({}, key {}, [redacted])", self.purpose, self.current.0)
    }
}

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not produced by [`SealKey::seal`].
    #[error("the stored value is not a sealed secret")]
    Malformed,
    /// Changed, sealed for another purpose, or sealed under another secret key.
    #[error("the sealed secret does not open with this secret key (was LAWHA_SECRET_KEY changed?)")]
    WrongKeyOrTampered,
    /// Sealed under a secret key that is neither the current one nor one of the previous ones.
    #[error("the secret was sealed under key {0}, which is neither the secret key nor one of previous_secret_keys")]
    UnknownKey(KeyId),
}

impl SealKey {
    /// Derives the key of `purpose` from the configured secret key, and from the previous secret keys the process
    /// remembered ([`keyring::remember_previous_secrets`]) for opening what they sealed.
    pub fn derive(secret: &[u8], purpose: &'static str) -> Self {
        let current_id = KeyId::of(secret);
        let previous: Vec<Vec<u8>> = keyring::previous_secrets(current_id).into_iter().map(|(_, s)| s).collect();
        let previous: Vec<&[u8]> = previous.iter().map(Vec::as_slice).collect();
        Self::derive_with_previous(secret, &previous, purpose)
    }

    /// Derives the key of `purpose` from `secret` and exactly these previous secrets.
    pub fn derive_with_previous(secret: &[u8], previous: &[&[u8]], purpose: &'static str) -> Self {
        let one = |s: &[u8]| (KeyId::of(s), keyring::derive(s, &[b"lawha/seal/", purpose.as_bytes()]));
        let current = one(secret);
        let previous = previous.iter().map(|s| one(s)).filter(|(id, _)| *id != current.0).collect();
        Self { current, previous, purpose }
    }

    /// The id of the secret key that seals.
    pub fn key_id(&self) -> KeyId {
        self.current.0
    }

    fn cipher(key: &[u8; 32]) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&(*key).into())
    }

    /// The associated data: the purpose, and the key id for values that carry one.
    fn aad(&self, id: Option<KeyId>) -> Vec<u8> {
        let mut aad = self.purpose.as_bytes().to_vec();
        if let Some(id) = id {
            aad.push(0);
            aad.extend_from_slice(&id.0);
        }
        aad
    }

    /// Seals `plaintext` under the current key; the purpose and the key id are bound as associated data, and the key
    /// id travels in the value, so it opens after the secret key has been rotated. The result is printable text.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let (id, key) = self.current;
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = Self::cipher(&key)
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: &self.aad(Some(id)) })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory input");
        format!("{PREFIX}{}{}{}", hex::encode(id.0), hex::encode(nonce), hex::encode(sealed))
    }

    /// Opens a value sealed by [`Self::seal`] for the same purpose, under the current or a previous secret key (the
    /// one the value names; a value sealed before key ids is tried under each).
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, SealError> {
        let ring = || std::iter::once(&self.current).chain(self.previous.iter());
        if let Some(rest) = sealed.strip_prefix(PREFIX) {
            let bytes = hex::decode(rest).map_err(|_| SealError::Malformed)?;
            let id = KeyId::from_prefix(&bytes).ok_or(SealError::Malformed)?;
            let (_, key) = ring().find(|(known, _)| *known == id).ok_or(SealError::UnknownKey(id))?;
            return self.open_with(key, &bytes[8..], &self.aad(Some(id)));
        }
        let bytes = sealed.strip_prefix(PREFIX_V1).and_then(|hex| hex::decode(hex).ok()).ok_or(SealError::Malformed)?;
        let mut outcome = Err(SealError::WrongKeyOrTampered);
        for (_, key) in ring() {
            outcome = self.open_with(key, &bytes, &self.aad(None));
            if !matches!(outcome, Err(SealError::WrongKeyOrTampered)) {
                break;
            }
        }
        outcome
    }

    fn open_with(&self, key: &[u8; 32], bytes: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Malformed)?;
        Self::cipher(key).decrypt(&nonce, Payload { msg: body, aad }).map_err(|_| SealError::WrongKeyOrTampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &[u8] = b"a secret key of at least thirty-two bytes";
    const B: &[u8] = b"another secret key of thirty-two bytes!!";

    #[test]
    fn sealed_values_open_only_with_the_same_secret_and_purpose() {
        let key = SealKey::derive_with_previous(A, &[], "totp");
        let sealed = key.seal(b"JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("JBSWY3DP"));
        assert_ne!(sealed, key.seal(b"JBSWY3DPEHPK3PXP"), "a fresh nonce each time");
        assert_eq!(key.open(&sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        let other_secret = SealKey::derive_with_previous(B, &[], "totp");
        assert_eq!(other_secret.open(&sealed), Err(SealError::UnknownKey(KeyId::of(A))));
        let other_purpose = SealKey::derive_with_previous(A, &[], "backup-source");
        assert_eq!(other_purpose.open(&sealed), Err(SealError::WrongKeyOrTampered));
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(key.open(std::str::from_utf8(&tampered).unwrap()), Err(SealError::WrongKeyOrTampered));
        assert_eq!(key.open("plain"), Err(SealError::Malformed));
        assert_eq!(key.open("sealed1:abcd"), Err(SealError::Malformed));
        assert_eq!(key.open("sealed2:abcd"), Err(SealError::Malformed));
    }

    #[test]
    fn a_value_sealed_under_the_previous_key_opens_after_rotation_and_new_ones_use_the_new_key() {
        let before = SealKey::derive_with_previous(A, &[], "totp");
        let old = before.seal(b"sealed under A");
        let after = SealKey::derive_with_previous(B, &[A], "totp");
        assert_eq!(after.open(&old).unwrap(), b"sealed under A");
        let new = after.seal(b"sealed under B");
        assert_eq!(&new[PREFIX.len()..PREFIX.len() + 16], KeyId::of(B).to_string());
        assert_eq!(after.open(&new).unwrap(), b"sealed under B");
        // The old panel cannot open what the new key sealed, and says which key it would need.
        assert_eq!(before.open(&new), Err(SealError::UnknownKey(KeyId::of(B))));
        // A key id changed in the value is another key's (unknown) or fails authentication (known).
        let swapped = format!("{PREFIX}{}{}", KeyId::of(A), &new[PREFIX.len() + 16..]);
        assert_eq!(after.open(&swapped), Err(SealError::WrongKeyOrTampered));
    }

    #[test]
    fn a_value_sealed_before_key_ids_still_opens_under_the_current_or_a_previous_key() {
        // The format every panel wrote before key ids: `sealed1:` + hex(nonce || ciphertext), the purpose as AAD.
        let legacy = |secret: &[u8]| {
            let key = keyring::derive(secret, &[b"lawha/seal/", b"totp"]);
            let nonce = [7u8; NONCE_LEN];
            let body =
                SealKey::cipher(&key).encrypt(&XNonce::from(nonce), Payload { msg: b"legacy", aad: b"totp" }).unwrap();
            format!("{PREFIX_V1}{}{}", hex::encode(nonce), hex::encode(body))
        };
        let ring = SealKey::derive_with_previous(B, &[A], "totp");
        assert_eq!(ring.open(&legacy(A)).unwrap(), b"legacy");
        assert_eq!(ring.open(&legacy(B)).unwrap(), b"legacy");
        let stranger = legacy(b"a third secret key, known to nobody here");
        assert_eq!(ring.open(&stranger), Err(SealError::WrongKeyOrTampered));
    }
}
