//! The backups capability: plans and runs as the panel sees them. The commands (`commands.rs`: load, decide,
//! append at the version read), the plan JSON checked against the rules and this machine (`input.rs`), the
//! `backup_plans` and `backup_runs` read models (`projection.rs`) and their reads (`read.rs`), the plans'
//! schedules (`schedules.rs`), the JSON API (`api.rs`) and the pages (`pages/`). The work itself is the backup
//! worker's (`lawha-backup-worker`, or in-process), reached through the dispatcher (invariant 2).

pub mod api;
pub mod commands;
pub mod error;
pub mod input;
pub mod messages;
pub mod pages;
pub mod projection;
pub mod read;
pub mod schedules;

pub use commands::{
    Requested, create_plan, delete_plan, request_restore, request_run, request_verify, seal_key, update_plan,
};
pub use error::BackupCommandError;
pub use input::{PlanInput, path_policy};
