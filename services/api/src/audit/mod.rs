//! The audit capability: the tamper-evident log as people review it. The `audit_log` read model (`projection.rs`)
//! and its reads (`read.rs`, one SQL builder in `sql.rs`), the query strings of the list and the export parsed
//! into valid types (`input.rs`), the JSON API (`api.rs`, streamed exports in `export.rs`, a short-lived answer
//! cache in `cache.rs`), the live event stream (`stream.rs`, SSE), the audit page (`pages.rs`) and the audit
//! chain's status with "verify now" (`chain.rs`). The chain itself is checked by the `VerifyAuditChain` job and
//! anchored outside the database by `anchor.rs`.

pub mod anchor;
pub mod api;
pub mod cache;
pub mod chain;
mod export;
pub mod input;
pub mod messages;
pub mod pages;
pub mod projection;
pub mod read;
mod sql;
pub mod stream;
