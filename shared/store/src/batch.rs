//! Group commit, the pure part: given the log's head, the current versions of the streams involved and the
//! event ids already stored, decide each request of a batch in arrival order and lay out the rows to write.
//!
//! Both backends do the I/O around this (lock, load, write, commit), so the rules exist once.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use lawha_domain::{
    ExpectedVersion, NewEvent, StreamId,
    canonical::{CanonicalEvent, canonical_json},
};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{AppendError, Appended, ChainKey};

/// One caller's append, waiting in the appender's queue.
#[derive(Debug)]
pub(crate) struct AppendRequest {
    pub stream: StreamId,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    /// The events' data and metadata in canonical JSON, one per event, rendered by [`prepare`].
    pub json: Vec<CanonicalJson>,
    pub reply: oneshot::Sender<Result<Appended, AppendError>>,
}

/// An event's data and metadata as stored and as the chain covers them.
#[derive(Debug, Clone)]
pub(crate) struct CanonicalJson {
    pub data: String,
    pub metadata: String,
}

/// Checks what an append can be refused for on its own, and renders its events' JSON: in the caller's task, before
/// the append joins a batch, so the appender (and on PostgreSQL the append lock) does neither.
pub(crate) fn prepare(events: &[NewEvent]) -> Result<Vec<CanonicalJson>, AppendError> {
    if events.is_empty() {
        return Err(AppendError::Invalid("an append needs at least one event".into()));
    }
    if let Some(bad) = events.iter().find(|e| e.event_type.is_empty() || e.event_type.len() > 100) {
        return Err(AppendError::Invalid(format!("event type {:?} must be 1 to 100 bytes", bad.event_type)));
    }
    let mut seen = HashSet::new();
    if let Some(dup) = events.iter().find(|e| !seen.insert(e.event_id)) {
        return Err(AppendError::Invalid(format!("event id {} appears twice in one append", dup.event_id)));
    }
    let mut json = Vec::with_capacity(events.len());
    for event in events {
        let metadata = serde_json::to_value(&event.metadata).unwrap_or_default();
        // PostgreSQL refuses NUL in TEXT and JSONB, which would fail the whole shared transaction, every caller of
        // the batch with it; refusing it here fails only this append, and both backends store the same things.
        if event.event_type.contains('\0') || has_nul(&event.data) || has_nul(&metadata) {
            return Err(AppendError::Invalid(format!("event {} contains a NUL character", event.event_id)));
        }
        json.push(CanonicalJson { data: canonical_json(&event.data), metadata: canonical_json(&metadata) });
    }
    Ok(json)
}

/// Where an already stored event sits.
#[derive(Debug, Clone)]
pub(crate) struct StoredRef {
    pub position: i64,
    pub version: i64,
}

/// A row ready to insert; JSON already in canonical text, so both backends store the bytes the chain covers.
#[derive(Debug)]
pub(crate) struct Row {
    pub position: i64,
    pub event_id: Uuid,
    pub stream: String,
    pub category: String,
    pub version: i64,
    pub event_type: String,
    pub schema_version: i32,
    pub data: String,
    pub metadata: String,
    pub recorded_at: DateTime<Utc>,
    pub chain: Vec<u8>,
}

/// What a batch writes and answers.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub rows: Vec<Row>,
    /// Final version per stream touched, with its category: (stream, category, version).
    pub streams: Vec<(String, String, i64)>,
    /// The new head, when anything is written.
    pub head: Option<(i64, Vec<u8>)>,
    /// One answer per request, in request order.
    pub results: Vec<Result<Appended, AppendError>>,
}

/// The state the backend loaded under the append lock.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub head_position: i64,
    pub head_chain: Vec<u8>,
    pub versions: HashMap<String, i64>,
    pub existing: HashMap<Uuid, StoredRef>,
}

/// Decides every request of a batch in order, as if each were its own transaction.
pub(crate) fn plan(key: &ChainKey, mut state: Loaded, requests: &[AppendRequest], now: DateTime<Utc>) -> Plan {
    // Both backends keep microseconds; truncating here makes the chain cover exactly what is stored.
    let now = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let mut plan = Plan::default();
    let mut touched: HashMap<String, (String, i64)> = HashMap::new();
    for request in requests {
        let result = decide_one(key, &mut state, request, now, &mut plan.rows);
        if let Ok(appended) = &result
            && !appended.already_applied
        {
            let stream = request.stream.as_str().to_owned();
            touched.insert(stream, (request.stream.category().to_owned(), appended.stream_version));
        }
        plan.results.push(result);
    }
    if !plan.rows.is_empty() {
        plan.head = Some((state.head_position, state.head_chain));
    }
    plan.streams = touched.into_iter().map(|(s, (c, v))| (s, c, v)).collect();
    plan
}

fn decide_one(
    key: &ChainKey,
    state: &mut Loaded,
    request: &AppendRequest,
    now: DateTime<Utc>,
    rows: &mut Vec<Row>,
) -> Result<Appended, AppendError> {
    let stored: Vec<_> = request.events.iter().filter_map(|e| state.existing.get(&e.event_id)).collect();
    if stored.len() == request.events.len() {
        // Every id is already in the log: the command was applied before (invariant 4).
        return Ok(Appended {
            first_position: stored.iter().map(|s| s.position).min().unwrap_or_default(),
            last_position: stored.iter().map(|s| s.position).max().unwrap_or_default(),
            stream_version: stored.iter().map(|s| s.version).max().unwrap_or_default(),
            already_applied: true,
        });
    }
    if let Some(event) = request.events.iter().find(|e| state.existing.contains_key(&e.event_id)) {
        return Err(AppendError::Invalid(format!(
            "event id {} is already stored but the other events of this append are not",
            event.event_id
        )));
    }
    let stream = request.stream.as_str();
    let actual = state.versions.get(stream).copied().unwrap_or(0);
    if let ExpectedVersion::Exact(expected) = request.expected
        && expected != actual
    {
        return Err(AppendError::Conflict { stream: stream.to_owned(), expected, actual });
    }
    let first_position = state.head_position + 1;
    let mut version = actual;
    for (event, json) in request.events.iter().zip(&request.json) {
        version += 1;
        state.head_position += 1;
        let canonical = CanonicalEvent {
            position: state.head_position,
            event_id: event.event_id,
            stream,
            version,
            event_type: &event.event_type,
            schema_version: event.schema_version,
            recorded_at_micros: now.timestamp_micros(),
            data: &json.data,
            metadata: &json.metadata,
        };
        let chain = key.next(&state.head_chain, &canonical);
        state.head_chain.clone_from(&chain);
        state.existing.insert(event.event_id, StoredRef { position: state.head_position, version });
        rows.push(Row {
            position: state.head_position,
            event_id: event.event_id,
            stream: stream.to_owned(),
            category: request.stream.category().to_owned(),
            version,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            data: json.data.clone(),
            metadata: json.metadata.clone(),
            recorded_at: now,
            chain,
        });
    }
    state.versions.insert(stream.to_owned(), version);
    Ok(Appended { first_position, last_position: state.head_position, stream_version: version, already_applied: false })
}

/// Whether a JSON string or key anywhere in `value` holds a NUL character.
fn has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}
