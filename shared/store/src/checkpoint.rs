//! Checkpoints: heads of the audit chain anchored outside the database. The chain proves that no event was changed
//! between position 1 and the recorded head, but the head is a row of the same database, so a log truncated
//! together with its head, or an older copy of the whole database, still verifies. A checkpoint says "at this time
//! the log reached this position with this chain value", signed with the checkpoint key (derived from the secret key
//! for that purpose alone) and kept where the database cannot rewrite it: an append-only file, the structured log,
//! a URL. [`crate::chain::verify_chain_anchored`] then fails when the log no longer holds an anchored head.
//!
//! One checkpoint is one JSON line: `{"position":…,"head":"<hex>","at":"<RFC 3339, µs>","key_id":"<hex>",
//! "signature":"<hex>"}`. The signature is HMAC-SHA256(checkpoint key, "lawha-audit-checkpoint/v1" LF position LF
//! head LF at-in-microseconds LF key id). A file of such lines is read as it is; so is an export of the panel's JSON
//! logs, whose checkpoint events carry the same fields as `checkpoint.position`, `checkpoint.head`… (at the top
//! level, under `fields`, or inside a `line` string as Loki's `logcli --output=jsonl` writes them); other log lines
//! are skipped.

use std::{
    io::{self, Write as _},
    path::Path,
};

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{ChainKey, keyring::KeyId};

/// The file name of the checkpoint file under the data folder.
pub const FILE_NAME: &str = "audit-checkpoints.jsonl";

/// A signed head of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The position anchored.
    pub position: i64,
    /// The chain value of the event at that position.
    pub head: Vec<u8>,
    /// When it was anchored (microseconds kept).
    pub at: DateTime<Utc>,
    /// The secret key whose checkpoint key signed it.
    pub key_id: KeyId,
    /// HMAC-SHA256 of the fields above.
    pub signature: Vec<u8>,
}

impl Checkpoint {
    /// Signs `position` and `head` at `at` with the current checkpoint key.
    pub fn sign(key: &ChainKey, position: i64, head: Vec<u8>, at: DateTime<Utc>) -> Self {
        let at = DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
        let key_id = key.key_id();
        let signature = mac(&key.current().checkpoint, position, &head, at, key_id);
        Self { position, head, at, key_id, signature }
    }

    /// Whether a key of the ring (the one its key id names) signed exactly these fields.
    pub fn is_signed_by(&self, key: &ChainKey) -> bool {
        key.keys(self.key_id).is_some_and(|keys| {
            let mut check = <Hmac<Sha256> as KeyInit>::new_from_slice(&keys.checkpoint).expect("any key length");
            check.update(&signed_bytes(self.position, &self.head, self.at, self.key_id));
            check.verify_slice(&self.signature).is_ok()
        })
    }

    /// The checkpoint as one JSON line (without the line feed).
    pub fn to_line(&self) -> String {
        json!({
            "position": self.position,
            "head": hex::encode(&self.head),
            "at": self.at_text(),
            "key_id": self.key_id.to_string(),
            "signature": hex::encode(&self.signature),
        })
        .to_string()
    }

    /// The anchoring time as written: RFC 3339 in UTC with microseconds.
    pub fn at_text(&self) -> String {
        self.at.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// Reads a checkpoint from one JSON line's value; `Ok(None)` when the value carries no checkpoint at all (another
    /// log line), `Err(())` when it carries one that does not read.
    fn from_json(value: &Value) -> Result<Option<Self>, ()> {
        if let Some(line) = value.get("line").and_then(Value::as_str) {
            return serde_json::from_str::<Value>(line).map_or(Ok(None), |inner| Self::from_json(&inner));
        }
        let fields = [value, value.get("fields").unwrap_or(&Value::Null)];
        let get = |name: &str| {
            fields
                .iter()
                .find_map(|f| f.get(name).or_else(|| f.get(format!("checkpoint.{name}"))).filter(|v| !v.is_null()))
        };
        if get("signature").is_none() || get("key_id").is_none() {
            return Ok(None);
        }
        let text = |name: &str| get(name).and_then(Value::as_str).ok_or(());
        let position = get("position").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())).ok_or(())?;
        let at = DateTime::parse_from_rfc3339(text("at")?).map_err(|_| ())?.with_timezone(&Utc);
        Ok(Some(Self {
            position,
            head: hex::decode(text("head")?).map_err(|_| ())?,
            at,
            key_id: KeyId::parse(text("key_id")?).ok_or(())?,
            signature: hex::decode(text("signature")?).map_err(|_| ())?,
        }))
    }
}

fn signed_bytes(position: i64, head: &[u8], at: DateTime<Utc>, key_id: KeyId) -> Vec<u8> {
    let micros = at.timestamp_micros();
    format!("lawha-audit-checkpoint/v1\n{position}\n{}\n{micros}\n{key_id}", hex::encode(head)).into_bytes()
}

fn mac(key: &[u8; 32], position: i64, head: &[u8], at: DateTime<Utc>, key_id: KeyId) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(&signed_bytes(position, head, at, key_id));
    mac.finalize().into_bytes().to_vec()
}

/// A checkpoint and the line of its file it was read from (1 for the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchored {
    /// The line number.
    pub line: usize,
    /// The checkpoint.
    pub checkpoint: Checkpoint,
}

/// What a checkpoint file holds: the checkpoints signed by a key of the ring, and the lines that look like
/// checkpoints but are not (unreadable, or signed by no key the panel knows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checkpoints {
    /// Signed checkpoints, in file order.
    pub valid: Vec<Anchored>,
    /// Line numbers of lines that are not signed checkpoints.
    pub invalid: Vec<usize>,
}

impl Checkpoints {
    /// Reads the lines of a checkpoint file (or of a JSON log export), checking each signature with `key`.
    pub fn parse(text: &str, key: &ChainKey) -> Self {
        let mut out = Self::default();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(line).map_err(|_| ()).and_then(|v| Checkpoint::from_json(&v)) {
                Ok(None) => {}
                Ok(Some(checkpoint)) if checkpoint.is_signed_by(key) => {
                    out.valid.push(Anchored { line: number, checkpoint });
                }
                Ok(Some(_)) | Err(()) => out.invalid.push(number),
            }
        }
        out
    }

    /// Reads the file at `path`; a file that does not exist holds no checkpoints.
    pub fn read(path: &Path, key: &ChainKey) -> io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self::parse(&text, key)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    /// The checkpoint written last (the last valid line).
    pub fn last(&self) -> Option<&Anchored> {
        self.valid.last()
    }
}

/// Appends `checkpoint` as one line to the file at `path` (created readable by its owner only), in one write, and
/// syncs it to disk before returning.
pub fn append(path: &Path, checkpoint: &Checkpoint) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let mut line = checkpoint.to_line();
    line.push('\n');
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

#[cfg(test)]
mod tests;
