//! The aggregate pattern: commands are decided against a state folded from past events.
//!
//! `decide(state, command, now)` holds every rule and returns the new facts or a rejection; `apply` is a pure
//! fold. Neither touches I/O, so every rule is tested with [`crate::testing`] and no database.

use chrono::{DateTime, Utc};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::event::{Metadata, NewEvent, RecordedEvent, StreamId};

/// Why a stored event could not be turned back into a typed event.
#[derive(Debug, thiserror::Error)]
pub enum UpcastError {
    /// The stored schema version is newer than this build knows (a rollback after an upgrade).
    #[error("event {event_type} has schema version {found}, this build knows up to {known}")]
    UnknownSchemaVersion {
        /// Type name of the event.
        event_type: String,
        /// The version found in the log.
        found: i32,
        /// The newest version this build understands.
        known: i32,
    },
    /// The data does not match the type's shape.
    #[error("event {event_type} at position {position} does not decode: {source}")]
    Decode {
        /// Type name of the event.
        event_type: String,
        /// Where it sits in the log.
        position: i64,
        /// serde's reason.
        source: serde_json::Error,
    },
}

/// A typed event of one aggregate. Implementations are enums tagged with serde's adjacent tagging
/// (`#[serde(tag = "type", content = "data")]`), so the variant name is the stored type name.
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// The schema version this build writes for `event_type`; bump it when a shape changes.
    fn schema_version(_event_type: &str) -> i32 {
        1
    }

    /// The upcasting hook: rewrite data stored under an older `schema_version` into the current shape. It is
    /// only called with versions up to the current one; the default has nothing to rewrite.
    fn upcast(_event_type: &str, _schema_version: i32, data: Value) -> Result<Value, UpcastError> {
        Ok(data)
    }

    /// Splits the typed event into its stored type name and data.
    fn to_parts(&self) -> (String, Value) {
        // Serializing a plain data enum into a Value cannot fail; a failure would be a programming error that
        // the aggregate's own tests catch at once.
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        let event_type = value.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
        let data = value.get("data").cloned().unwrap_or_else(|| json!({}));
        (event_type, data)
    }

    /// The typed event as a [`NewEvent`] with a fresh UUIDv7 id.
    fn to_new_event(&self, metadata: Metadata) -> NewEvent {
        self.to_new_event_with_id(Uuid::now_v7(), metadata)
    }

    /// The typed event as a [`NewEvent`] with a given id (UUIDv5 for worker results, invariant 4).
    fn to_new_event_with_id(&self, event_id: Uuid, metadata: Metadata) -> NewEvent {
        let (event_type, data) = self.to_parts();
        let schema_version = Self::schema_version(&event_type);
        NewEvent { event_id, event_type, schema_version, data, metadata }
    }

    /// Reads a stored event back, upcasting older shapes first.
    fn from_recorded(event: &RecordedEvent) -> Result<Self, UpcastError> {
        let known = Self::schema_version(&event.event_type);
        if event.schema_version > known {
            return Err(UpcastError::UnknownSchemaVersion {
                event_type: event.event_type.clone(),
                found: event.schema_version,
                known,
            });
        }
        let data = Self::upcast(&event.event_type, event.schema_version, event.data.clone())?;
        serde_json::from_value(json!({ "type": event.event_type, "data": data })).map_err(|source| {
            UpcastError::Decode { event_type: event.event_type.clone(), position: event.position, source }
        })
    }
}

/// One consistency boundary: its events live in one stream named `<CATEGORY>-<id>`.
pub trait Aggregate: Default {
    /// The stream category, e.g. `backup_plan`.
    const CATEGORY: &'static str;
    /// What a caller asks for (imperative: `RequestBackup`).
    type Command;
    /// What happened (past tense: `BackupRequested`).
    type Event: DomainEvent;
    /// Why a command was refused; the API maps it to 409 or 422.
    type Rejection: std::error::Error;

    /// Folds one event into the state. Pure and total: a stored event is a fact, never rejected here.
    fn apply(self, event: &Self::Event) -> Self;

    /// Holds every rule: the facts the command produces given the current state, or why it is refused.
    fn decide(&self, command: &Self::Command, now: DateTime<Utc>) -> Result<Vec<Self::Event>, Self::Rejection>;

    /// The stream of the instance with this id.
    fn stream(id: Uuid) -> StreamId {
        // A category made of a const that the aggregate's tests exercise is always valid.
        StreamId::for_entity(Self::CATEGORY, id).unwrap_or_else(|e| panic!("bad CATEGORY: {e}"))
    }
}

/// Rebuilds an aggregate from its stream and returns it with the stream's version (for `ExpectedVersion`).
pub fn load<A: Aggregate>(events: &[RecordedEvent]) -> Result<(A, i64), UpcastError> {
    let mut state = A::default();
    let mut version = 0;
    for recorded in events {
        state = state.apply(&A::Event::from_recorded(recorded)?);
        version = recorded.version;
    }
    Ok((state, version))
}
