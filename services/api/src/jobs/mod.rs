//! Jobs as people and programs see them: the reads of the `jobs` read model and the job log (`read`), and the
//! commands that ask for work (`commands`: retry by hand, and the admin requests that the dispatcher turns into
//! jobs). Commands only append events (invariant 2): nothing here talks to a queue.

pub mod commands;
pub mod read;

pub use commands::{JobError, Retried};
