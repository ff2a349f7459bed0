//! Lawha's domain: the event envelope, stream names, the aggregate pattern (pure `decide` / `apply`) and the
//! given/when/then helpers that every aggregate's tests use.
//!
//! This crate owns the *facts* Lawha records and the rules that produce them. It must never do I/O: it knows
//! serde (and serde_json), uuid, chrono, thiserror, and hmac/sha2/hex for the webhook signature, and nothing
//! else (no sqlx, axum, apalis or tokio), so it cannot fail for an I/O reason and its tests need no server. The canonical byte encoding of an event lives here too, because
//! it is part of what an event *is*; the keyed hash over it (the audit chain) belongs to the store.

pub mod aggregate;
pub mod backups;
pub mod canonical;
pub mod certificates;
pub mod deployments;
pub mod event;
pub mod hosts;
pub mod jobs;
pub mod message;
pub mod system_paths;
pub mod testing;
pub mod users;

pub use aggregate::{Aggregate, DomainEvent, UpcastError, load};
pub use event::{ExpectedVersion, InvalidStreamId, Metadata, NewEvent, RecordedEvent, StreamId, event_id_for};
pub use message::{Arg, Message};
