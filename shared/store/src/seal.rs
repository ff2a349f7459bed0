//! Secrets that must be read back (a TOTP secret, later a database password inside a backup plan's URL) are
//! stored sealed: XChaCha20-Poly1305 with a random 192-bit nonce, under a key derived from the configured secret
//! key for one purpose only. Hashes serve secrets that are only ever compared (passwords, tokens).

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The format marker of a sealed value.
const PREFIX: &str = "sealed1:";
/// Nonce length of XChaCha20-Poly1305.
const NONCE_LEN: usize = 24;

/// A key for one purpose (`totp`, `backup-source`…), derived as HMAC-SHA256(secret, "lawha/seal/<purpose>").
#[derive(Clone)]
pub struct SealKey {
    key: [u8; 32],
    purpose: &'static str,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({}, [redacted])", self.purpose)
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
}

impl SealKey {
    /// Derives the key of `purpose` from the configured secret key.
    pub fn derive(secret: &[u8], purpose: &'static str) -> Self {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"lawha/seal/");
        mac.update(purpose.as_bytes());
        Self { key: mac.finalize().into_bytes().into(), purpose }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.key.into())
    }

    /// Seals `plaintext`; the purpose is bound as associated data. The result is printable text.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher()
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: self.purpose.as_bytes() })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory input");
        format!("{PREFIX}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// Opens a value sealed by [`Self::seal`] with the same key and purpose.
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, SealError> {
        let bytes = sealed.strip_prefix(PREFIX).and_then(|hex| hex::decode(hex).ok()).ok_or(SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| SealError::Malformed)?;
        self.cipher()
            .decrypt(&nonce, Payload { msg: body, aad: self.purpose.as_bytes() })
            .map_err(|_| SealError::WrongKeyOrTampered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_secret_and_purpose() {
        let key = SealKey::derive(b"a secret key of at least thirty-two bytes", "totp");
        let sealed = key.seal(b"JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("JBSWY3DP"));
        assert_ne!(sealed, key.seal(b"JBSWY3DPEHPK3PXP"), "a fresh nonce each time");
        assert_eq!(key.open(&sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        let other_secret = SealKey::derive(b"another secret key of thirty-two bytes!!", "totp");
        assert_eq!(other_secret.open(&sealed), Err(SealError::WrongKeyOrTampered));
        let other_purpose = SealKey::derive(b"a secret key of at least thirty-two bytes", "backup-source");
        assert_eq!(other_purpose.open(&sealed), Err(SealError::WrongKeyOrTampered));
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(key.open(std::str::from_utf8(&tampered).unwrap()), Err(SealError::WrongKeyOrTampered));
        assert_eq!(key.open("plain"), Err(SealError::Malformed));
        assert_eq!(key.open("sealed1:abcd"), Err(SealError::Malformed));
    }
}
