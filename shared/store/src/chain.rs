//! The audit chain (invariant 7): `chain = HMAC-SHA256(audit_key, prev_chain || canonical_bytes(event))`.

use hmac::{Hmac, KeyInit, Mac};
use lawha_domain::canonical::{CanonicalEvent, canonical_json};
use sha2::Sha256;

use crate::{EventStore, StoreError, rows::RawEvent};

type HmacSha256 = Hmac<Sha256>;

/// The chain value before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The key of the audit chain, derived from the configured secret key so that one secret serves every purpose
/// without any two purposes sharing a key.
#[derive(Clone)]
pub struct ChainKey([u8; 32]);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey([redacted])")
    }
}

impl ChainKey {
    /// Derives the audit key: HMAC-SHA256(secret, "lawha/audit-chain/v1").
    pub fn derive(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
        mac.update(b"lawha/audit-chain/v1");
        Self(mac.finalize().into_bytes().into())
    }

    /// The chain value of `event` following `prev`.
    pub fn next(&self, prev: &[u8], event: &CanonicalEvent<'_>) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(prev);
        mac.update(&event.to_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// The result of recomputing the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainVerdict {
    /// Every event matched: how many, and the head chain value.
    Intact {
        /// Events checked.
        events: i64,
        /// The last chain value (hex in the CLI output).
        head: Vec<u8>,
    },
    /// The first position that does not match, and why.
    Broken {
        /// First failing position.
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
}

impl Break {
    fn reason(self) -> String {
        match self {
            Self::Missing { next } => format!("missing: the next stored event is at position {next}"),
            Self::NotJson => "data or metadata is not valid JSON".into(),
            Self::Mismatch => "chain mismatch: the event was changed after it was recorded".into(),
            Self::HeadBeyondLog { head, last } => {
                format!("missing: the recorded head is position {head}, the log ends at {last}")
            }
            Self::HeadMismatch => "the recorded chain head does not match the last event".into(),
        }
    }

    fn at(self, position: i64) -> ChainVerdict {
        ChainVerdict::Broken { position, reason: self.reason(), problem: self }
    }
}

/// Recomputes the chain from position 1 up to the recorded head and compares it with what is stored, so changed
/// bytes, deleted rows (in the middle or at the end) and reordered rows are all found.
///
/// The head is read first and the log checked up to it: an append writes its rows and the head in one transaction,
/// so every row up to a committed head is there to be read, and what is appended meanwhile (past the head read)
/// is left for the next verification. Reading the log first and the head after would compare the head of a later
/// moment with the rows of an earlier one, and report appends that raced the verifier as deleted events.
pub async fn verify_chain(store: &dyn EventStore, key: &ChainKey) -> Result<ChainVerdict, StoreError> {
    const BATCH: i64 = 1000;
    let Some((head, head_chain)) = store.chain_head().await? else {
        // No head: an empty log, or one whose head row was deleted.
        return Ok(if store.read_raw(0, 1).await?.is_empty() {
            ChainVerdict::Intact { events: 0, head: GENESIS.to_vec() }
        } else {
            Break::HeadMismatch.at(1)
        });
    };
    let mut prev = GENESIS.to_vec();
    let mut expected_position = 1;
    while expected_position <= head {
        let rows = store.read_raw(expected_position - 1, BATCH.min(head - expected_position + 1)).await?;
        if rows.is_empty() {
            // The head names a position the log no longer has: events were deleted at the end.
            return Ok(Break::HeadBeyondLog { head, last: expected_position - 1 }.at(expected_position));
        }
        for row in rows {
            if let Some(problem) = check_row(key, &prev, expected_position, &row) {
                return Ok(problem.at(expected_position));
            }
            prev = row.chain;
            expected_position += 1;
        }
    }
    if prev == head_chain {
        Ok(ChainVerdict::Intact { events: head, head: prev })
    } else {
        Ok(Break::HeadMismatch.at(head))
    }
}

fn check_row(key: &ChainKey, prev: &[u8], expected_position: i64, row: &RawEvent) -> Option<Break> {
    if row.position != expected_position {
        return Some(Break::Missing { next: row.position });
    }
    let (data, metadata) = match (serde_json::from_str(&row.data), serde_json::from_str(&row.metadata)) {
        (Ok(d), Ok(m)) => (canonical_json(&d), canonical_json(&m)),
        _ => return Some(Break::NotJson),
    };
    let canonical = CanonicalEvent {
        position: row.position,
        event_id: row.event_id,
        stream: &row.stream,
        version: row.version,
        event_type: &row.event_type,
        schema_version: row.schema_version,
        recorded_at_micros: row.recorded_at_micros,
        data: &data,
        metadata: &metadata,
    };
    let expected = key.next(prev, &canonical);
    // Constant-time comparison is not needed here: the verifier holds the key and reveals no secret by timing.
    (expected != row.chain).then_some(Break::Mismatch)
}
