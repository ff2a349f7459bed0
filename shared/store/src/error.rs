//! The store's errors: one enum for appends (with the typed conflict) and one for everything else.

use std::sync::Arc;

/// Why a read or a write failed for a reason other than a stream conflict.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database refused or could not be reached. Shared, because one failed batch answers many callers.
    #[error("database error: {0}")]
    Database(#[source] Arc<sqlx::Error>),
    /// Applying the schema failed.
    #[error("migration failed: {0}")]
    Migration(#[source] Arc<sqlx::migrate::MigrateError>),
    /// A stored row does not decode (tampering, or a bug that wrote it).
    #[error("stored event at position {position} is unreadable: {reason}")]
    Corrupt {
        /// The row's position.
        position: i64,
        /// What does not decode.
        reason: String,
    },
    /// The URL names a database Lawha does not speak.
    #[error("unsupported database URL scheme (expected postgres:// or sqlite://)")]
    UnsupportedUrl,
    /// The appender task has stopped (the process is shutting down).
    #[error("the event store is shutting down")]
    Closed,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(Arc::new(e))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(Arc::new(e))
    }
}

/// Why an append did not happen.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    /// Someone else wrote to the stream first (invariant 6); the API answers 409.
    #[error("stream {stream} is at version {actual}, the command expected {expected}")]
    Conflict {
        /// The stream.
        stream: String,
        /// The version the caller expected.
        expected: i64,
        /// The version the stream is at.
        actual: i64,
    },
    /// The call itself is malformed (no events, an id twice, only some ids already stored).
    #[error("invalid append: {0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AppendError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}
