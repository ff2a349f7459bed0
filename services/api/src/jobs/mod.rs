//! The jobs capability: jobs as people and programs see them, and the pipeline this binary runs. The reads of
//! the `jobs` read model and the job log (`read.rs`), the `jobs` projection (`projection/`), the commands that
//! ask for work (`commands.rs`: retry by hand, and the admin requests the dispatcher turns into jobs; they only
//! append events, invariant 2), the JSON API (`api/`), the pages (`pages.rs`), the in-process handlers of the
//! panel's own kinds (`handlers.rs`), the built-in schedules (`schedules.rs`), the redispatch sweep
//! (`redispatch.rs`), the pipeline `lawha serve` runs (`pipeline.rs`) and `lawha worker` (`worker.rs`).

pub mod api;
pub mod commands;
pub mod error;
pub mod handlers;
pub mod messages;
pub mod pages;
pub mod pipeline;
pub mod projection;
pub mod read;
pub mod redispatch;
pub mod schedules;
pub mod worker;

pub use commands::Retried;
pub use error::JobError;
pub use pipeline::{connect, in_process_queues, runtime, serve};
