//! Lawha's job pipeline (DESIGN.md "Jobs"): the registration list of job kinds ([`registry`]), the queues
//! (Redis through apalis-redis in production, a SQLite file through apalis-sqlite as the embedded default), the
//! dispatcher that feeds them from the event log, the worker runtime every worker binary runs on, the job log,
//! and the scheduler of recurring commands.
//!
//! It owns the way from a `…Requested` event to a handler and back to `Job…` events. It must never write a read
//! model (invariant 3: workers append events and job log lines, projections do the rest), never put a secret into
//! a job or an event (invariant 8), and never be called from a request handler: handlers append events, the
//! dispatcher queues them (invariant 2).

pub mod binary;
pub mod dispatcher;
pub mod joblog;
pub mod messages;
pub mod probe;
pub mod queue;
pub mod registry;
pub mod runtime;
pub mod schedule;
#[cfg(feature = "testkit")]
pub mod testkit;
