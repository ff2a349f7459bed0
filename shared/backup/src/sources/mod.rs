//! What a backup reads. Each source writes one uncompressed stream (a tar archive, a dump) into the archive
//! pipeline's writer and reports what it wrote; it never holds the whole stream in memory.

use std::io::Write;

use lawha_domain::Message;
use serde::{Deserialize, Serialize};

use crate::BackupError;

pub mod directory;
pub mod mysql;
pub mod postgres;
pub mod process;
pub mod sqlite;

/// A source of backup bytes.
pub trait Source: Send {
    /// What the manifest says about the source: never a password.
    fn describe(&self) -> SourceDescription;

    /// The archive's extension before `.zst` (`tar`, `sqlite`, `pgdump`, `sql`).
    fn extension(&self) -> &'static str;

    /// The external tools this source runs, with the versions they report (`pg_dump (PostgreSQL) 15.8`).
    fn tool_versions(&self) -> Result<Vec<(String, String)>, BackupError>;

    /// Writes the whole stream into `out`. A failure names the step, the command and its exit status with the
    /// last lines of its stderr, or the path and the I/O error.
    fn write_to(&mut self, out: &mut dyn Write) -> Result<SourceStats, BackupError>;
}

/// A source as the manifest, the API and the UI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDescription {
    /// `directory`, `sqlite`, `postgres` or `mysql`.
    pub kind: String,
    /// The path, or the connection URL with any password replaced by `***`.
    pub location: String,
}

/// What a source wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStats {
    /// Entries in the stream: files, directories and links of a directory; tables of a database when known.
    pub entries: u64,
    /// Uncompressed bytes written into the pipeline.
    pub bytes: u64,
    /// What was left out or kept incomplete, and why: one message each (`engine.skipped_socket`,
    /// `engine.skipped_permission_denied`, `engine.incomplete_grew`…), with the path relative to the source.
    pub skipped: Vec<Message>,
}
