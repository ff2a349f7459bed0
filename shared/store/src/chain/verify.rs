//! Recomputing the chain: from position 1 (or from an anchored head) up to the recorded head, comparing each stored
//! chain value, and, given checkpoints, checking that every head anchored outside the database is still in the log.

use lawha_domain::canonical::{CanonicalEvent, canonical_json};

use super::{Break, ChainKey, ChainVerdict, GENESIS};
use crate::{
    EventStore, StoreError,
    checkpoint::{Anchored, Checkpoints},
    rows::RawEvent,
};

/// Rows read per query.
const BATCH: i64 = 1000;

/// Recomputes the chain from position 1 up to the recorded head and compares it with what is stored, so changed
/// bytes, deleted rows (in the middle or at the end) and reordered rows are all found.
///
/// The head is read first and the log checked up to it: an append writes its rows and the head in one transaction,
/// so every row up to a committed head is there to be read, and what is appended meanwhile (past the head read)
/// is left for the next verification. Reading the log first and the head after would compare the head of a later
/// moment with the rows of an earlier one, and report appends that raced the verifier as deleted events.
///
/// The head itself lives in the database, so a log truncated together with its head, or an older copy of the
/// whole database, verifies intact here: [`verify_chain_anchored`] checks it against heads anchored elsewhere.
pub async fn verify_chain(store: &dyn EventStore, key: &ChainKey) -> Result<ChainVerdict, StoreError> {
    verify_chain_anchored(store, key, &Checkpoints::default()).await
}

/// [`verify_chain`], and every checkpoint must still be in the log: the event at its position must carry its
/// head. A checkpoint past the log's end means the log was truncated or rolled back; another event at its
/// position, that it was rewritten (or rolled back and appended to since). The first failure in position order is
/// the verdict; then checkpoints past the end; then lines of the file that are not signed checkpoints.
pub async fn verify_chain_anchored(
    store: &dyn EventStore,
    key: &ChainKey,
    checkpoints: &Checkpoints,
) -> Result<ChainVerdict, StoreError> {
    let mut anchors: Vec<&Anchored> = checkpoints.valid.iter().collect();
    anchors.sort_by_key(|a| (a.checkpoint.position, a.line));
    let verdict = match store.chain_head().await? {
        // No head: an empty log, or one whose head row was deleted.
        None if !store.read_raw(0, 1).await?.is_empty() => return Ok(Break::HeadMismatch.at(1)),
        None => Walked::Reached { last: 0, head: GENESIS.to_vec() },
        Some((head, head_chain)) => {
            match walk(store, key, Start { first: 1, prev: GENESIS.to_vec() }, head, &anchors).await? {
                Walked::Reached { last, head: chain } if chain != head_chain => {
                    return Ok(Break::HeadMismatch.at(last));
                }
                walked => walked,
            }
        }
    };
    let (last, head) = match verdict {
        Walked::Broken(verdict) => return Ok(verdict),
        Walked::Reached { last, head } => (last, head),
    };
    if let Some(beyond) = anchors.iter().find(|a| a.checkpoint.position > last) {
        let problem = Break::CheckpointBeyondLog { line: beyond.line, at: beyond.checkpoint.at, last };
        return Ok(problem.at(beyond.checkpoint.position));
    }
    if let Some(line) = checkpoints.invalid.first() {
        return Ok(Break::CheckpointInvalid { line: *line }.at(0));
    }
    Ok(ChainVerdict::Intact { events: last, head })
}

/// Verifies the log from an anchored head on: the event at the checkpoint's position must still carry its head,
/// and every event after it up to the recorded head must chain on from it. What the periodic anchoring checks
/// before it anchors again, without reading the whole log each time. `events` in the verdict counts the events
/// after the checkpoint.
pub async fn verify_chain_since(
    store: &dyn EventStore,
    key: &ChainKey,
    from: &Anchored,
) -> Result<ChainVerdict, StoreError> {
    let checkpoint = &from.checkpoint;
    let (line, at) = (from.line, checkpoint.at);
    let Some((head, head_chain)) = store.chain_head().await? else {
        return Ok(Break::CheckpointBeyondLog { line, at, last: 0 }.at(checkpoint.position));
    };
    let anchored = store.read_raw(checkpoint.position - 1, 1).await?;
    match anchored.first() {
        Some(row) if row.position == checkpoint.position && row.chain == checkpoint.head => {}
        Some(row) if row.position == checkpoint.position => {
            return Ok(Break::CheckpointMismatch { line, at }.at(checkpoint.position));
        }
        _ => {
            let last = store.head().await?;
            return Ok(Break::CheckpointBeyondLog { line, at, last }.at(checkpoint.position));
        }
    }
    let start = Start { first: checkpoint.position + 1, prev: checkpoint.head.clone() };
    Ok(match walk(store, key, start, head, &[]).await? {
        Walked::Broken(verdict) => verdict,
        Walked::Reached { last, head: chain } if chain != head_chain => Break::HeadMismatch.at(last),
        Walked::Reached { last, head } => ChainVerdict::Intact { events: last - checkpoint.position, head },
    })
}

/// Where a walk begins: the first position to check and the chain value before it.
struct Start {
    first: i64,
    prev: Vec<u8>,
}

/// How a walk ended.
enum Walked {
    /// Every row up to `last` chained and matched the anchors on the way; `head` is the last chain value.
    Reached { last: i64, head: Vec<u8> },
    /// The first failure.
    Broken(ChainVerdict),
}

/// Checks every row from `start` to `head`, and each anchor at a position passed on the way (`anchors` sorted by
/// position).
async fn walk(
    store: &dyn EventStore,
    key: &ChainKey,
    start: Start,
    head: i64,
    anchors: &[&Anchored],
) -> Result<Walked, StoreError> {
    let Start { first, mut prev } = start;
    let mut expected_position = first;
    let mut pending = anchors.iter().peekable();
    while expected_position <= head {
        let rows = store.read_raw(expected_position - 1, BATCH.min(head - expected_position + 1)).await?;
        if rows.is_empty() {
            // The head names a position the log no longer has: events were deleted at the end.
            let problem = Break::HeadBeyondLog { head, last: expected_position - 1 };
            return Ok(Walked::Broken(problem.at(expected_position)));
        }
        for row in rows {
            if let Some(problem) = check_row(key, &prev, expected_position, &row) {
                return Ok(Walked::Broken(problem.at(expected_position)));
            }
            while let Some(anchor) = pending.next_if(|a| a.checkpoint.position <= row.position) {
                // Anchors below `first` were checked by the caller; those at this row must name its chain value.
                if anchor.checkpoint.position == row.position && anchor.checkpoint.head != row.chain {
                    let problem = Break::CheckpointMismatch { line: anchor.line, at: anchor.checkpoint.at };
                    return Ok(Walked::Broken(problem.at(row.position)));
                }
            }
            prev = row.chain;
            expected_position += 1;
        }
    }
    Ok(Walked::Reached { last: expected_position - 1, head: prev })
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
    key.check(prev, &canonical, &row.chain).err()
}
