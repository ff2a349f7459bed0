//! The stored row, shared by both backends, and its decoding into a [`RecordedEvent`].

use chrono::DateTime;
use lawha_domain::{RecordedEvent, StreamId};
use uuid::Uuid;

use crate::StoreError;

/// An event row exactly as stored: JSON as text, time in microseconds. The chain verifier reads these so that
/// a tampered row that no longer decodes is reported as tampering rather than as a read error.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// Global position.
    pub position: i64,
    /// Event id.
    pub event_id: Uuid,
    /// Stream name.
    pub stream: String,
    /// Version in the stream.
    pub version: i64,
    /// Type name.
    pub event_type: String,
    /// Shape version.
    pub schema_version: i32,
    /// Data as JSON text.
    pub data: String,
    /// Metadata as JSON text.
    pub metadata: String,
    /// Commit time, microseconds since the epoch.
    pub recorded_at_micros: i64,
    /// Stored chain value.
    pub chain: Vec<u8>,
}

impl RawEvent {
    /// Decodes the row; a row that does not decode is [`StoreError::Corrupt`].
    pub fn into_recorded(self) -> Result<RecordedEvent, StoreError> {
        let position = self.position;
        let corrupt = |reason: String| StoreError::Corrupt { position, reason };
        Ok(RecordedEvent {
            position,
            event_id: self.event_id,
            stream: StreamId::parse(self.stream).map_err(|e| corrupt(e.to_string()))?,
            version: self.version,
            event_type: self.event_type,
            schema_version: self.schema_version,
            data: serde_json::from_str(&self.data).map_err(|e| corrupt(format!("data: {e}")))?,
            metadata: serde_json::from_str(&self.metadata).map_err(|e| corrupt(format!("metadata: {e}")))?,
            recorded_at: DateTime::from_timestamp_micros(self.recorded_at_micros)
                .ok_or_else(|| corrupt("recorded_at out of range".into()))?,
            chain: self.chain,
        })
    }
}

/// Decodes a page of rows.
pub(crate) fn decode_all(rows: Vec<RawEvent>) -> Result<Vec<RecordedEvent>, StoreError> {
    rows.into_iter().map(RawEvent::into_recorded).collect()
}
