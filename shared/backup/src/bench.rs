//! The engine side of `lawha bench backup`: a generated folder to back up ([`data`]), wall time and peak RSS of a
//! process tree ([`process`]), and one real backup of a folder ([`run_lawha`]: [`run_backup`] with a
//! [`DirectorySource`], every guarantee on: temporary name, fsync, rename, signed manifest, the read-back with
//! SHA-256 and full decompression). The bench runs `run_lawha` in a child process of its own so that its peak RSS
//! is the backup's alone; the child prints a [`LawhaRun`] line that the parent parses.
//!
//! It is a measurement, never a timed test: the bench prints ratios against tools measured in the same run.

pub mod data;
pub mod process;

use std::{fs::File, io, path::Path, time::Instant};

use uuid::Uuid;

use crate::{
    BackupError,
    archive::{BackupRequest, run_backup},
    manifest::ManifestKey,
    sources::directory::DirectorySource,
};

/// What one backup by the engine took, as the child process reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct LawhaRun {
    /// Bytes of the tar stream the source wrote.
    pub source_bytes: u64,
    /// Bytes of the archive stored.
    pub stored_bytes: u64,
    /// Files, folders and links in the archive.
    pub entries: u64,
    /// From the request to the verified result, in seconds (without the process's start and exit).
    pub seconds: f64,
    /// The process's peak RSS in bytes after the backup (its `VmHWM`, exact).
    pub peak_rss: u64,
}

/// The first word of the line a child prints.
const LINE_TAG: &str = "lawha-bench-run";

impl LawhaRun {
    /// One line for the parent process.
    pub fn to_line(&self) -> String {
        format!(
            "{LINE_TAG} source_bytes={} stored_bytes={} entries={} seconds={:.6} peak_rss={}",
            self.source_bytes, self.stored_bytes, self.entries, self.seconds, self.peak_rss
        )
    }

    /// Finds and parses the line [`LawhaRun::to_line`] made in a child's output.
    pub fn parse(output: &str) -> Option<Self> {
        let line = output.lines().find(|l| l.starts_with(LINE_TAG))?;
        let field = |name: &str| {
            line.split_whitespace().find_map(|pair| pair.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
        };
        Some(Self {
            source_bytes: field("source_bytes")?.parse().ok()?,
            stored_bytes: field("stored_bytes")?.parse().ok()?,
            entries: field("entries")?.parse().ok()?,
            seconds: field("seconds")?.parse().ok()?,
            peak_rss: field("peak_rss")?.parse().ok()?,
        })
    }
}

/// Backs `source` up into `destination` once, as a plan would (zstd `level`, one zstd thread per CPU, no
/// encryption), and returns what it took. The archive stays in `destination` for the caller to measure and remove.
pub fn run_lawha(source: &Path, destination: &Path, level: i32, key: ManifestKey) -> Result<LawhaRun, BackupError> {
    let started = Instant::now();
    let now = chrono::Utc::now();
    let completed = run_backup(BackupRequest {
        source: Box::new(DirectorySource::new(source)?),
        destination: destination.to_path_buf(),
        plan_id: Uuid::from_u128(0x0062_656e_6368),
        plan_name: "bench".into(),
        run_id: Uuid::now_v7(),
        started_at: now,
        level,
        threads: 0,
        recipient: None,
        key,
        progress: None,
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let manifest = &completed.manifest;
    Ok(LawhaRun {
        source_bytes: manifest.source_bytes,
        stored_bytes: manifest.stored_bytes,
        entries: manifest.entries,
        seconds,
        peak_rss: process::own_peak_rss().unwrap_or(0),
    })
}

/// Writes back every dirty page of the file system holding `path` (syncfs), so that one contender's writes are
/// not flushed while the next one runs.
pub fn settle(path: &Path) -> io::Result<()> {
    let dir = File::open(path)?;
    rustix::fs::syncfs(&dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_line_reads_back_as_the_same_run() {
        let run = LawhaRun { source_bytes: 10, stored_bytes: 4, entries: 3, seconds: 1.5, peak_rss: 44 << 20 };
        let output = format!("some log line\n{}\n", run.to_line());

        assert_eq!(LawhaRun::parse(&output), Some(run));
        assert_eq!(LawhaRun::parse("lawha-bench-run source_bytes=1"), None);
    }

    #[test]
    fn a_generated_folder_backs_up_verified() {
        let (source, destination) = (tempfile::tempdir().expect("tmp"), tempfile::tempdir().expect("tmp"));
        let data = data::generate(source.path(), 2 << 20, 5).expect("generate");

        let run = run_lawha(source.path(), destination.path(), 3, ManifestKey::derive(b"bench test")).expect("backup");

        assert!(run.source_bytes > data.bytes, "the tar stream holds every byte and its headers");
        assert!(run.stored_bytes < run.source_bytes, "half the bytes compress");
        assert!(run.peak_rss > 0 && run.seconds > 0.0);
        settle(destination.path()).expect("syncfs");
    }
}
