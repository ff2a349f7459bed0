//! Lawha's backup engine, free of the panel: a [`Source`] writes its bytes (a tar stream, a database dump) into
//! the archive pipeline, which compresses them with zstd (several threads), optionally encrypts them for an age
//! recipient, hashes the stored bytes with SHA-256 as they are written, and lands the file under a temporary name
//! that is fsynced and renamed only once complete. Beside the archive goes a manifest signed with HMAC-SHA256
//! under a key derived from the panel's secret key. A backup counts as done only after the stored file was read
//! back and matched its manifest ([`archive::run_backup`]).
//!
//! Everything here is blocking I/O on purpose (zstd, tar and the dump tools are streams of `Read`/`Write`):
//! callers run it on `tokio::task::spawn_blocking`.
//!
//! Code map: `archive` (the write pipeline and read-back), `manifest` (format, key, signature), `verify`,
//! `encryption` (age recipients and identities), `retention` (which backups a policy removes), `sources`
//! (directory, SQLite, PostgreSQL, MySQL/MariaDB), `restore` (safe directory extraction that keeps the replaced
//! folder aside, and the sweep of what restores leave; database restore with a safety dump), `paths` (the policy
//! of which paths a backup may read, write into or restore over, checked by the panel and the worker), `error`, `messages` (every message the engine emits, as codes the panel renders in the reader's
//! language), and `bench` (the engine side of `lawha bench backup`: a generated folder, process
//! measurement, one real backup).

pub mod archive;
pub mod bench;
pub mod encryption;
pub mod error;
mod fsutil;
pub mod manifest;
pub mod messages;
pub mod naming;
pub mod paths;
pub mod restore;
pub mod retention;
pub mod sources;
pub mod verify;

pub use error::BackupError;
