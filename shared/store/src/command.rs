//! The one way a command runs on an aggregate: load its stream, fold it, decide, append the facts at the version
//! that was read (invariant 6). The panel's commands and the workers' facts all go through [`load`] and
//! [`execute`], so "read the stream, decode it, else the store is corrupt" and "append at the version decided
//! on" are written once.

use chrono::Utc;
use lawha_domain::{Aggregate, DomainEvent as _, Metadata, NewEvent, RecordedEvent, StreamId};

use crate::{AppendError, Appended, EventStore, StoreError};

/// An aggregate as its stream leaves it.
#[derive(Debug)]
pub struct Loaded<A> {
    /// The state folded from the stream.
    pub state: A,
    /// The stream's version it was read at: the version a decision on it appends at.
    pub version: i64,
    /// The stream's events, oldest first (a worker finds its request among them).
    pub history: Vec<RecordedEvent>,
}

/// Reads a whole stream and folds it. A stored event this build cannot decode is [`StoreError::Corrupt`]
/// (tampering, or a newer release wrote it): nothing is decided on a state that is not the log's.
pub async fn load<A: Aggregate>(events: &dyn EventStore, stream: &StreamId) -> Result<Loaded<A>, StoreError> {
    let history = events.read_stream(stream, 0, i64::MAX).await?;
    let (state, version) = lawha_domain::load::<A>(&history).map_err(|e| StoreError::Corrupt {
        position: history.last().map_or(0, |e| e.position),
        reason: e.to_string(),
    })?;
    Ok(Loaded { state, version, history })
}

/// Why a command did not record its facts.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<R> {
    /// The aggregate's rules refused the command.
    #[error(transparent)]
    Rejected(R),
    /// The stream could not be read or the facts not appended; a concurrent change is
    /// [`AppendError::Conflict`].
    #[error(transparent)]
    Append(#[from] AppendError),
}

impl<R> From<StoreError> for CommandError<R> {
    fn from(e: StoreError) -> Self {
        Self::Append(AppendError::Store(e))
    }
}

/// What a command recorded.
#[derive(Debug)]
pub struct Executed<A: Aggregate> {
    /// The state the command was decided on.
    pub before: Loaded<A>,
    /// The facts decided, in order (none when the command changed nothing).
    pub events: Vec<A::Event>,
    /// Their ids, in the same order.
    pub ids: Vec<uuid::Uuid>,
    /// What the append stored; `None` when there was nothing to append.
    pub appended: Option<Appended>,
}

/// Loads `stream`, decides `command` on its state now, and appends the facts at the version read. `envelope`
/// turns each fact, given the state it was decided on, into the event to store (its id: fresh, or derived from
/// a job for a worker's fact; its metadata). A concurrent write to the stream is a [`AppendError::Conflict`]; nothing is retried here.
pub async fn execute<A: Aggregate>(
    events: &dyn EventStore,
    stream: &StreamId,
    command: &A::Command,
    envelope: impl Fn(&A, &A::Event) -> NewEvent,
) -> Result<Executed<A>, CommandError<A::Rejection>> {
    let before = load::<A>(events, stream).await?;
    let decided = before.state.decide(command, Utc::now()).map_err(CommandError::Rejected)?;
    let new: Vec<NewEvent> = decided.iter().map(|e| envelope(&before.state, e)).collect();
    let ids = new.iter().map(|e| e.event_id).collect();
    let appended = if new.is_empty() {
        None
    } else {
        Some(events.append(stream, lawha_domain::ExpectedVersion::Exact(before.version), new).await?)
    };
    Ok(Executed { before, events: decided, ids, appended })
}

/// [`execute`], decided again on a fresh read while another writer moved the stream meanwhile (a conflict), at
/// most `attempts` times in all; when they are used up, the last conflict is returned. A worker recording its
/// facts uses it: its facts' ids are derived from its job, so deciding again never records one twice.
pub async fn execute_retrying<A: Aggregate>(
    events: &dyn EventStore,
    stream: &StreamId,
    command: &A::Command,
    envelope: impl Fn(&A, &A::Event) -> NewEvent,
    attempts: usize,
) -> Result<Executed<A>, CommandError<A::Rejection>> {
    let mut left = attempts.max(1);
    loop {
        left -= 1;
        match execute::<A>(events, stream, command, &envelope).await {
            Err(CommandError::Append(AppendError::Conflict { .. })) if left > 0 => {}
            other => return other,
        }
    }
}

/// [`execute`] for a command asked for by a request: aggregate `id`'s stream, every fact with a fresh id and the
/// request's `metadata`; a refusal or a failed append is the caller's error. Returns the facts' ids.
pub async fn decide_and_append<A: Aggregate, E>(
    events: &dyn EventStore,
    id: uuid::Uuid,
    command: &A::Command,
    metadata: &Metadata,
) -> Result<Vec<uuid::Uuid>, E>
where
    E: From<A::Rejection> + From<AppendError>,
{
    let envelope = |_: &A, e: &A::Event| e.to_new_event(metadata.clone());
    match execute::<A>(events, &A::stream(id), command, envelope).await {
        Ok(executed) => Ok(executed.ids),
        Err(CommandError::Rejected(rejection)) => Err(rejection.into()),
        Err(CommandError::Append(e)) => Err(e.into()),
    }
}
