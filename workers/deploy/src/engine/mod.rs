//! The engine: the steps of a blue-green deployment as library calls that know nothing of jobs, events or the
//! panel. Each step takes what it needs as arguments, streams its progress and its tools' output into an
//! `UnboundedSender<Message>` (the deployment's log), and fails with an [`EngineError`] whose `message()` is
//! what people read.

pub mod command;
mod error;
mod fsutil;
pub mod git;
pub(crate) mod group;
pub mod health;
pub mod nginx;
pub mod releases;
pub mod runtime;
mod text;

pub use error::{EngineError, ExitKind, IoAction, LastAnswer};
