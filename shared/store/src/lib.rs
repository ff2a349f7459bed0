//! Lawha's event store: the one source of truth (invariant 1), on PostgreSQL in production and SQLite as the
//! embedded default, behind the [`EventStore`] trait.
//!
//! It owns the log's schema and its guarantees: gap-free, commit-ordered positions (invariant 5), optimistic
//! concurrency per stream (invariant 6), idempotent appends by event id (invariant 4) and the keyed hash chain
//! (invariant 7). Concurrent appends are grouped into shared transactions by one appender task per process
//! ("group commit"), each caller still getting its own result or `Conflict`. It also owns checkpoints and the
//! projection runner that keeps read models in step with the log. It must never hold business rules (those
//! are `lawha-domain`'s) and never talks to Redis.

mod appender;
mod batch;
pub mod chain;
pub mod checkpoint;
pub mod command;
mod database;
mod error;
pub mod keyring;
pub mod lock;
mod postgres;
pub mod projection;
mod rows;
pub mod seal;
pub mod secrets;
mod sqlite;
mod subscription;
#[cfg(feature = "testkit")]
pub mod testkit;

use async_trait::async_trait;
pub use chain::{ChainKey, ChainVerdict, verify_chain, verify_chain_anchored, verify_chain_since};
pub use checkpoint::{Checkpoint, Checkpoints};
pub use command::{CommandError, Executed, Loaded, decide_and_append, execute, execute_retrying, load};
pub use database::{ALL_READ_MODELS, Backend, Database, DatabaseOptions, MigrationStatus, ReadModelChanges};
pub use error::{AppendError, StoreError};
pub use keyring::KeyId;
use lawha_domain::{ExpectedVersion, NewEvent, RecordedEvent, StreamId};
pub use projection::{Projection, ProjectionRunner};
pub use rows::RawEvent;
pub use seal::{SealError, SealKey};
pub use subscription::Subscription;
use tokio::sync::watch;

/// What a successful append stored (or had already stored, for a repeated event id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Global position of the first event of the call.
    pub first_position: i64,
    /// Global position of the last event of the call.
    pub last_position: i64,
    /// The stream's version after the last event of the call.
    pub stream_version: i64,
    /// True when every event id was already in the log: nothing new was written (invariant 4).
    pub already_applied: bool,
}

/// Which events `read_all` returns; empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Stream categories to keep (`backup_run`, `user`…).
    pub categories: Vec<String>,
    /// Event types to keep (`BackupRequested`…).
    pub types: Vec<String>,
}

impl EventFilter {
    /// Every event.
    pub fn all() -> Self {
        Self::default()
    }

    /// Events of these types only (the job dispatcher's filter).
    pub fn types<I: IntoIterator<Item = S>, S: Into<String>>(types: I) -> Self {
        Self { categories: vec![], types: types.into_iter().map(Into::into).collect() }
    }

    /// Events of these stream categories only.
    pub fn categories<I: IntoIterator<Item = S>, S: Into<String>>(categories: I) -> Self {
        Self { categories: categories.into_iter().map(Into::into).collect(), types: vec![] }
    }

    /// Whether an event passes the filter (the in-memory twin of the SQL condition).
    pub fn matches(&self, event: &RecordedEvent) -> bool {
        (self.categories.is_empty() || self.categories.iter().any(|c| c == event.stream.category()))
            && (self.types.is_empty() || self.types.contains(&event.event_type))
    }
}

/// The event log. One implementation per backend; callers hold an `Arc<dyn EventStore>`.
#[async_trait]
pub trait EventStore: Send + Sync + std::fmt::Debug {
    /// Appends `events` to `stream` in one transaction, if the stream is at `expected` (invariant 6).
    /// A stale version is [`AppendError::Conflict`]; event ids already in the log are an idempotent success.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError>;

    /// The events of one stream with a version above `after_version`, oldest first, at most `limit`.
    async fn read_stream(
        &self,
        stream: &StreamId,
        after_version: i64,
        limit: i64,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Events with a position above `after` that pass `filter`, in position order, at most `limit`.
    async fn read_all(&self, after: i64, limit: i64, filter: &EventFilter) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Stored rows exactly as they are, undecoded, for the chain verifier.
    async fn read_raw(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError>;

    /// The recorded head of the chain: last position and its chain value (None for an empty log).
    async fn chain_head(&self) -> Result<Option<(i64, Vec<u8>)>, StoreError>;

    /// The current stream version (0 when the stream does not exist).
    async fn stream_version(&self, stream: &StreamId) -> Result<i64, StoreError>;

    /// The highest committed position (0 for an empty log).
    async fn head(&self) -> Result<i64, StoreError>;

    /// A hint channel carrying the latest known head; it may miss wake-ups (then polling catches up).
    fn wakeups(&self) -> watch::Receiver<i64>;
}
