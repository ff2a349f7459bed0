//! The audit chain (invariant 7): each event's chain value is `key_id || HMAC-SHA256(audit_key, key_id || prev_chain
//! || canonical_bytes(event))`, where `key_id` (8 bytes, [`KeyId`]) names the secret key whose audit key made it. The
//! chain value of the event before is `prev_chain`, so a changed, removed or reordered event breaks every link after
//! it. Events recorded before key ids existed carry the bare 32-byte HMAC of `prev_chain || canonical_bytes(event)`,
//! and verify under whichever key of the keyring made them.
//!
//! The verifier (`verify.rs`) walks the log up to its recorded head; with checkpoints (`crate::checkpoint`) it also
//! checks that heads anchored outside the database are still in the log.

mod verify;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use lawha_domain::canonical::CanonicalEvent;
use sha2::Sha256;

use crate::keyring::{self, KeyId};
pub use verify::{verify_chain, verify_chain_anchored, verify_chain_since};

type HmacSha256 = Hmac<Sha256>;

/// The chain value before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// Length of a chain value that carries its key id: 8 bytes of id, 32 of HMAC.
const KEYED_LEN: usize = 40;

/// The keys of the audit chain: the audit key (which chains events) and the checkpoint key (which signs anchored
/// heads) of the current secret key, which make everything new, and of the previous secret keys, which only verify.
/// Each is derived from its secret for one purpose, so no two purposes share a key.
#[derive(Clone)]
pub struct ChainKey {
    current: Keys,
    previous: Arc<[Keys]>,
}

/// One secret's keys.
#[derive(Clone)]
pub(crate) struct Keys {
    pub(crate) id: KeyId,
    chain: [u8; 32],
    pub(crate) checkpoint: [u8; 32],
}

impl Keys {
    fn of(secret: &[u8]) -> Self {
        Self {
            id: KeyId::of(secret),
            chain: keyring::derive(secret, &[b"lawha/audit-chain/v1"]),
            checkpoint: keyring::derive(secret, &[b"lawha/audit-checkpoint/v1"]),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.chain).expect("HMAC accepts keys of any length");
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<String> = self.previous.iter().map(|k| k.id.to_string()).collect();
        write!(f, "ChainKey(key {}, previous [{}], [redacted])", self.current.id, previous.join(", "))
    }
}

impl ChainKey {
    /// The keys of `secret`, which chain and sign from now on, and of the previous secrets the process remembered
    /// ([`keyring::remember_previous_secrets`]), which verify what they made. The audit key is
    /// HMAC-SHA256(secret, "lawha/audit-chain/v1"), the checkpoint key HMAC-SHA256(secret,
    /// "lawha/audit-checkpoint/v1").
    pub fn derive(secret: &[u8]) -> Self {
        let current = Keys::of(secret);
        let previous = keyring::previous_secrets(current.id).iter().map(|(_, s)| Keys::of(s)).collect();
        Self { current, previous }
    }

    /// The keys of `secret` and of exactly these previous secrets (whatever the process remembered).
    pub fn derive_with_previous(secret: &[u8], previous: &[&[u8]]) -> Self {
        let current = Keys::of(secret);
        let previous = previous.iter().map(|s| Keys::of(s)).filter(|k| k.id != current.id).collect();
        Self { current, previous }
    }

    /// The id of the secret key that chains new events.
    pub fn key_id(&self) -> KeyId {
        self.current.id
    }

    /// The chain value of `event` following `prev`, under the current key.
    pub fn next(&self, prev: &[u8], event: &CanonicalEvent<'_>) -> Vec<u8> {
        let id = self.current.id.0;
        let mac = self.current.mac(&[&id, prev, &event.to_bytes()]);
        let mut value = Vec::with_capacity(KEYED_LEN);
        value.extend_from_slice(&id);
        value.extend_from_slice(&mac);
        value
    }

    /// The keys of the secret `id` names, if it is the current or a previous one.
    pub(crate) fn keys(&self, id: KeyId) -> Option<&Keys> {
        std::iter::once(&self.current).chain(self.previous.iter()).find(|k| k.id == id)
    }

    /// The current secret's keys.
    pub(crate) fn current(&self) -> &Keys {
        &self.current
    }

    /// Whether `stored` is the chain value of `event` following `prev`: under the key its id names, or for a value
    /// without an id (recorded before ids existed), under any key of the ring.
    pub(crate) fn check(&self, prev: &[u8], event: &CanonicalEvent<'_>, stored: &[u8]) -> Result<(), Break> {
        // Constant-time comparison is not needed here: the verifier holds the key and reveals no secret by timing.
        match stored.len() {
            KEYED_LEN => {
                let id = KeyId::from_prefix(stored).ok_or(Break::Mismatch)?;
                let keys = self.keys(id).ok_or(Break::UnknownKey { key_id: id })?;
                let mac = keys.mac(&[&id.0, prev, &event.to_bytes()]);
                if stored[8..] == mac { Ok(()) } else { Err(Break::Mismatch) }
            }
            32 => {
                let bytes = event.to_bytes();
                let mut ring = std::iter::once(&self.current).chain(self.previous.iter());
                ring.any(|k| k.mac(&[prev, &bytes]) == stored).then_some(()).ok_or(Break::Mismatch)
            }
            _ => Err(Break::Mismatch),
        }
    }
}

/// The result of recomputing the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainVerdict {
    /// Every event matched (and every checkpoint given was found): how many, and the head chain value.
    Intact {
        /// Events checked.
        events: i64,
        /// The last chain value (hex in the CLI output).
        head: Vec<u8>,
    },
    /// The first position that does not match, and why.
    Broken {
        /// First failing position (for a checkpoint, the position it anchored).
        position: i64,
        /// What was found there, in English (the CLI's output, the verdict event's data).
        reason: String,
        /// What was found there, as data (the panel shows it in the reader's language).
        problem: Break,
    },
}

/// How the chain is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// The expected position is not stored; the next stored event is at `next`.
    Missing {
        /// Where the log continues.
        next: i64,
    },
    /// A row's data or metadata is not JSON.
    NotJson,
    /// A row's chain value does not match its content: it was changed after it was recorded.
    Mismatch,
    /// The recorded head names a position past the end of the log: events were deleted at the end.
    HeadBeyondLog {
        /// The head's position.
        head: i64,
        /// The log's last position.
        last: i64,
    },
    /// The recorded head does not match the last event.
    HeadMismatch,
    /// A row is chained under a secret key that is neither the current one nor a previous one.
    UnknownKey {
        /// The id the row names.
        key_id: KeyId,
    },
    /// A checkpoint anchored a position the log no longer reaches: it was truncated or rolled back.
    CheckpointBeyondLog {
        /// The checkpoint's line in its file.
        line: usize,
        /// When it was anchored.
        at: DateTime<Utc>,
        /// The log's last position.
        last: i64,
    },
    /// The log holds another event at a checkpoint's position: it was rewritten, or rolled back and appended to.
    CheckpointMismatch {
        /// The checkpoint's line in its file.
        line: usize,
        /// When it was anchored.
        at: DateTime<Utc>,
    },
    /// A line of the checkpoint file is not a checkpoint signed by a key this panel knows.
    CheckpointInvalid {
        /// The line.
        line: usize,
    },
}

impl Break {
    fn reason(self, position: i64) -> String {
        match self {
            Self::Missing { next } => format!("missing: the next stored event is at position {next}"),
            Self::NotJson => "data or metadata is not valid JSON".into(),
            Self::Mismatch => "chain mismatch: the event was changed after it was recorded".into(),
            Self::HeadBeyondLog { head, last } => {
                format!("missing: the recorded head is position {head}, the log ends at {last}")
            }
            Self::HeadMismatch => "the recorded chain head does not match the last event".into(),
            Self::UnknownKey { key_id } => {
                format!("chained under key {key_id}, which is neither the secret key nor one of previous_secret_keys")
            }
            Self::CheckpointBeyondLog { line, at, last } => format!(
                "checkpoint line {line} (position {position}, anchored {}) is not in the log, which ends at {last}: \
                 the log was truncated or rolled back",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            Self::CheckpointMismatch { line, at } => format!(
                "checkpoint line {line} (position {position}, anchored {}) does not match the event at that \
                 position: the log was rewritten, or rolled back and appended to",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            Self::CheckpointInvalid { line } => {
                format!("checkpoint line {line} is not a checkpoint signed by this panel's keys")
            }
        }
    }

    /// The verdict of this break at `position`.
    pub fn at(self, position: i64) -> ChainVerdict {
        ChainVerdict::Broken { position, reason: self.reason(position), problem: self }
    }
}

#[cfg(test)]
mod tests;
