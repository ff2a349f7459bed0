//! The event envelope: what is stored for every fact, whoever recorded it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A stream name of the form `<category>-<id>`, e.g. `backup_plan-0193…` or `github_delivery-<guid>`.
///
/// It exists only in valid form, so the store can derive the category without re-checking.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

/// Why a stream name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stream name {name:?}: {reason}")]
pub struct InvalidStreamId {
    /// The refused name, so the caller can echo it back.
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl StreamId {
    /// The longest stream name accepted; the column is indexed, so it stays short.
    pub const MAX_LEN: usize = 200;

    /// Parses `<category>-<id>`: the category is `[a-z_]+`, the id is non-empty printable ASCII without spaces.
    pub fn parse(name: impl Into<String>) -> Result<Self, InvalidStreamId> {
        let name = name.into();
        let fail = |reason| InvalidStreamId { name: name.clone(), reason };
        if name.len() > Self::MAX_LEN {
            return Err(fail("longer than 200 bytes"));
        }
        let Some((category, id)) = name.split_once('-') else {
            return Err(fail("expected <category>-<id>"));
        };
        if category.is_empty() || !category.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(fail("the category must be lowercase letters and underscores"));
        }
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(fail("the id must be non-empty printable ASCII without spaces"));
        }
        Ok(Self(name))
    }

    /// Builds the stream of one aggregate instance: `<category>-<uuid>`.
    pub fn for_entity(category: &str, id: Uuid) -> Result<Self, InvalidStreamId> {
        Self::parse(format!("{category}-{id}"))
    }

    /// The part before the first `-`; `read_all` filters on it.
    pub fn category(&self) -> &str {
        self.0.split_once('-').map_or(self.0.as_str(), |(c, _)| c)
    }

    /// The whole name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for StreamId {
    type Error = InvalidStreamId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<StreamId> for String {
    fn from(value: StreamId) -> Self {
        value.0
    }
}

/// Who and what caused an event. Requests fill it from their context; workers from the job they run.
///
/// Every field is optional because a fact recorded by the scheduler has no IP and a CLI command has no request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The user, token or system component that acted (`user:alice`, `token:deploy-bot`, `system:scheduler`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The client address of the request, after trusted-proxy handling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The client's User-Agent, for the audit view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The `x-request-id` of the request that appended the event, to join logs and events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Ties together every event of one piece of work (a deployment and its job results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    /// The event that directly caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
}

/// What the caller expects the stream's version to be, for optimistic concurrency (invariant 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the version is (used by facts that cannot conflict, such as audit notes).
    Any,
    /// The stream must be at exactly this version; 0 means "the stream must not exist yet".
    Exact(i64),
}

/// An event about to be appended: the store assigns position, version, time and chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// UUIDv7 for commands, UUIDv5 (see [`event_id_for`]) for worker results, so a retry never doubles them.
    pub event_id: Uuid,
    /// The past-tense type name, stable forever (`BackupCompleted`).
    pub event_type: String,
    /// Bumped when the data shape changes; old versions are upcast when read.
    pub schema_version: i32,
    /// The fact itself. Never a secret (invariant 8).
    pub data: serde_json::Value,
    /// Who and why.
    pub metadata: Metadata,
}

impl NewEvent {
    /// A new event with a fresh UUIDv7 id and schema version 1.
    pub fn new(event_type: impl Into<String>, data: serde_json::Value, metadata: Metadata) -> Self {
        Self { event_id: Uuid::now_v7(), event_type: event_type.into(), schema_version: 1, data, metadata }
    }
}

/// An event as stored in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// Gap-free, commit-ordered global position, starting at 1 (invariant 5).
    pub position: i64,
    /// The id given at append; unique in the log.
    pub event_id: Uuid,
    /// The stream it belongs to.
    pub stream: StreamId,
    /// Its version in that stream, 1.. without gaps.
    pub version: i64,
    /// Past-tense type name.
    pub event_type: String,
    /// Shape version of `data`.
    pub schema_version: i32,
    /// The fact.
    pub data: serde_json::Value,
    /// Who and why.
    pub metadata: Metadata,
    /// Commit time as the appender saw it, in microseconds precision.
    pub recorded_at: DateTime<Utc>,
    /// HMAC-SHA256 over the previous chain value and this event's canonical bytes (invariant 7).
    #[serde(with = "hex_bytes")]
    pub chain: Vec<u8>,
}

/// Derives a deterministic event id from a job id and a step name (invariant 4): appending it twice is a no-op.
pub fn event_id_for(job_id: Uuid, step: &str) -> Uuid {
    Uuid::new_v5(&job_id, step.as_bytes())
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() % 2 != 0 {
            return Err(D::Error::custom("odd hex length"));
        }
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(D::Error::custom)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_carry_their_category() {
        let s = StreamId::parse("backup_plan-0193").unwrap();
        assert_eq!(s.category(), "backup_plan");
        assert_eq!(StreamId::parse("github_delivery-a-b-c").unwrap().category(), "github_delivery");
    }

    #[test]
    fn malformed_stream_names_are_refused() {
        for bad in ["", "nocategory", "-id", "Backup-1", "backup-", "backup-has space", &"a-".repeat(150)] {
            assert!(StreamId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn worker_event_ids_are_deterministic_per_job_and_step() {
        let job = Uuid::now_v7();
        assert_eq!(event_id_for(job, "started"), event_id_for(job, "started"));
        assert_ne!(event_id_for(job, "started"), event_id_for(job, "succeeded"));
    }
}
