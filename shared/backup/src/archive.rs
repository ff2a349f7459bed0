//! The write pipeline: `source.write_to` → a counting writer (progress) → zstd (several threads) → [age] → a
//! writer hashing and counting the stored bytes → `.<final name>.partial` in the plan's folder. Then flush,
//! fsync, rename to the final name, fsync the folder, write the signed manifest the same way, and read the stored
//! file back from disk (size, SHA-256 and, for unencrypted archives, a full decompression) before reporting the
//! backup as done.
//!
//! Architecture Invariant: a file carries a final name only when it is complete and was read back. Every
//! failure removes what the run wrote ([`crate::fsutil::RemoveOnDrop`]); only a crash can leave a `.partial`
//! file, or an archive without its manifest, which [`list`] reports as unverified.

mod stored;
mod writeback;
mod writers;

use std::{
    fs::{self, File},
    io::{self, BufWriter, Write as _},
    path::{Path, PathBuf},
    sync::{Arc, PoisonError, atomic::AtomicU64},
};

use chrono::{DateTime, Utc};
use lawha_domain::Message;
use uuid::Uuid;
use zstd::zstd_safe::CParameter::JobSize;

use crate::{
    BackupError,
    encryption::{Recipient, parse_recipient},
    fsutil::{RemoveOnDrop, create_new, sync_dir},
    manifest::{Compression, Encryption, FORMAT_VERSION, Manifest, ManifestKey, ToolVersion},
    messages::{self, IoAction, actions},
    sources::{Source, SourceStats},
    verify::{self, Check},
};

pub use crate::naming::{archive_file_name, parse_archive_name};
pub use stored::{StoredBackup, list};
pub use writers::{Progress, ProgressFn};

/// One backup to run.
pub struct BackupRequest {
    /// What to back up.
    pub source: Box<dyn Source>,
    /// The plan's own folder (the caller names it, e.g. `<destination>/<plan id>`); created when missing.
    pub destination: PathBuf,
    /// The plan.
    pub plan_id: Uuid,
    /// The plan's name, recorded in the manifest.
    pub plan_name: String,
    /// This run; part of the archive's name.
    pub run_id: Uuid,
    /// When the run started; the start of the archive's name and the manifest's `created_at`.
    pub started_at: DateTime<Utc>,
    /// zstd level, 1..=19.
    pub level: i32,
    /// zstd worker threads; 0 means one per CPU.
    pub threads: u32,
    /// An age recipient (`age1…`) to encrypt for, or none.
    pub recipient: Option<String>,
    /// Signs the manifest.
    pub key: ManifestKey,
    /// Called at most about four times a second while the source writes, and once when the file is complete.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for BackupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupRequest")
            .field("source", &self.source.describe())
            .field("destination", &self.destination)
            .field("plan_id", &self.plan_id)
            .field("run_id", &self.run_id)
            .field("level", &self.level)
            .field("threads", &self.threads)
            .field("recipient", &self.recipient)
            .finish_non_exhaustive()
    }
}

/// A backup that was written, renamed, signed and read back.
#[derive(Debug, Clone)]
pub struct Completed {
    /// The archive under its final name.
    pub archive_path: PathBuf,
    /// Its manifest.
    pub manifest_path: PathBuf,
    /// What the manifest says.
    pub manifest: Manifest,
    /// What the source left out and why, as messages (the manifest keeps their log form).
    pub skipped: Vec<Message>,
    /// Always true: the stored file was read back and matched (a mismatch is an error, not `false`).
    pub verified: bool,
}

/// What the stream stage produced.
struct Written {
    stats: SourceStats,
    source_bytes: u64,
    stored_bytes: u64,
    sha256: [u8; 32],
}

/// Runs one backup to completion, or fails leaving no file under a final name. Blocking: call it from
/// `spawn_blocking`.
pub fn run_backup(request: BackupRequest) -> Result<Completed, BackupError> {
    let BackupRequest {
        mut source,
        destination,
        plan_id,
        plan_name,
        run_id,
        started_at,
        level,
        threads,
        recipient,
        key,
        progress,
    } = request;
    if !(1..=19).contains(&level) {
        return Err(BackupError::Invalid(messages::level_out_of_range(level)));
    }
    let recipient_key = recipient.as_deref().map(parse_recipient).transpose()?;
    let threads =
        if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get() as u32) } else { threads };
    fs::create_dir_all(&destination)
        .map_err(|e| BackupError::io(actions::CREATING_THE_BACKUP_FOLDER, &destination, e))?;
    let tool_versions = source.tool_versions()?;

    let file_name = archive_file_name(started_at, run_id, source.extension(), recipient_key.is_some());
    let archive_path = destination.join(&file_name);
    let partial = destination.join(format!(".{file_name}.partial"));
    let mut cleanup = RemoveOnDrop::default();
    let file = create_new(&partial).map_err(|e| BackupError::io(actions::CREATING_THE_ARCHIVE, &partial, e))?;
    cleanup.add(partial.clone());
    let written = write_stream(source.as_mut(), file, &partial, level, threads, recipient_key.as_ref(), progress)?;

    fs::rename(&partial, &archive_path)
        .map_err(|e| BackupError::io(actions::RENAMING_THE_ARCHIVE_TO, &archive_path, e))?;
    cleanup.forget(&partial);
    cleanup.add(archive_path.clone());
    sync_dir(&destination)?;

    let mut manifest = Manifest {
        format_version: FORMAT_VERSION,
        plan_id,
        plan_name,
        run_id,
        source: source.describe(),
        archive_file: file_name,
        stored_bytes: written.stored_bytes,
        source_bytes: written.source_bytes,
        entries: written.stats.entries,
        skipped: written.stats.skipped.iter().map(ToString::to_string).collect(),
        sha256: hex::encode(written.sha256),
        compression: Compression { algorithm: "zstd".into(), level },
        encryption: recipient.map(|r| Encryption { algorithm: "age".into(), recipient: r.trim().to_string() }),
        tool_versions: tool_versions.into_iter().map(|(tool, version)| ToolVersion { tool, version }).collect(),
        created_at: started_at,
        key_id: String::new(),
        hmac: String::new(),
    };
    manifest.sign(&key);
    let manifest_path = crate::manifest::manifest_path(&archive_path);
    cleanup.add(manifest_path.clone());
    crate::manifest::write_manifest(&manifest, &manifest_path)?;

    let check = if manifest.encryption.is_some() { Check::Hash } else { Check::Decode(None) };
    let read_back = verify::verify_archive_with(&archive_path, &key, Some(run_id), check)
        .map_err(|e| BackupError::ReadBack(e.message()))?;
    if read_back != manifest {
        return Err(BackupError::ReadBack(messages::read_back_manifest_differs()));
    }
    cleanup.disarm();
    Ok(Completed { archive_path, manifest_path, manifest, skipped: written.stats.skipped, verified: true })
}

/// Streams the source through zstd (and age) into `file`, then flushes and fsyncs it.
fn write_stream(
    source: &mut dyn Source,
    file: File,
    partial: &Path,
    level: i32,
    threads: u32,
    recipient: Option<&Recipient>,
    progress: Option<ProgressFn>,
) -> Result<Written, BackupError> {
    let stored = Arc::new(AtomicU64::new(0));
    let hashing = writers::Hashing::new(file, stored.clone());
    let failure = hashing.failure.clone();
    // An error the file returned is the real cause, whatever layer (zstd, age, the source) passed it on.
    let fail = |action: IoAction, e: io::Error| -> BackupError {
        match failure.lock().unwrap_or_else(PoisonError::into_inner).take() {
            Some(cause) => BackupError::io(actions::WRITING_THE_ARCHIVE, partial, cause),
            None => BackupError::io(action, partial, e),
        }
    };
    let sink = writers::Sink::new(hashing, recipient).map_err(|e| fail(actions::STARTING_AGE_ENCRYPTION_OF, e))?;
    let mut encoder =
        zstd::stream::write::Encoder::new(sink, level).map_err(|e| fail(actions::STARTING_ZSTD_FOR, e))?;
    encoder.multithread(threads).map_err(|e| fail(actions::STARTING_ZSTD_WORKER_THREADS_FOR, e))?;
    if level <= SMALL_WINDOW_LEVELS {
        encoder.set_parameter(JobSize(JOB_SIZE)).map_err(|e| fail(actions::CONFIGURING_ZSTD_FOR, e))?;
    }
    encoder.include_checksum(true).map_err(|e| fail(actions::CONFIGURING_ZSTD_FOR, e))?;
    let counting = writers::Counting::new(encoder, stored, progress);
    let mut buffered = BufWriter::with_capacity(1 << 20, counting);

    let stats = match source.write_to(&mut buffered) {
        Ok(stats) => stats,
        Err(source_error) => {
            drop(buffered);
            return Err(match failure.lock().unwrap_or_else(PoisonError::into_inner).take() {
                Some(cause) => BackupError::io(actions::WRITING_THE_ARCHIVE, partial, cause),
                None => source_error,
            });
        }
    };
    let counting = buffered.into_inner().map_err(|e| fail(actions::WRITING, e.into_error()))?;
    let (encoder, source_bytes, final_report) = counting.finish();
    let sink = encoder.finish().map_err(|e| fail(actions::FINISHING_THE_ZSTD_STREAM_OF, e))?;
    let hashing = sink.finish().map_err(|e| fail(actions::FINISHING_THE_AGE_STREAM_OF, e))?;
    let stored_bytes = hashing.bytes;
    let (mut file, sha256, writeback) = hashing.finish();
    file.flush().map_err(|e| fail(actions::WRITING, e))?;
    let file = file.into_inner().map_err(|e| fail(actions::WRITING, e.into_error()))?;
    writeback.stop().map_err(|e| fail(actions::SYNCING, e))?;
    file.sync_all().map_err(|e| fail(actions::SYNCING, e))?;
    final_report.send(source_bytes, stored_bytes);
    Ok(Written { stats, source_bytes, stored_bytes, sha256 })
}

/// The zstd level [`run_backup`] uses when a plan does not choose: fast and already a good ratio.
pub const DEFAULT_LEVEL: i32 = 3;

/// Input bytes per zstd worker job. zstd's default is four windows (8 MiB at the usual levels), and it keeps a few
/// jobs' input and output per worker in memory: over 100 MB of RSS with two workers. One 2 MiB window per job
/// holds the same matches within a job (jobs still overlap by part of a window) and measured within 0.01% of the
/// default's size on the bench's folder, at about a third of the memory.
const JOB_SIZE: u32 = 2 << 20;

/// The levels whose window is 2 MiB or less (zstd's `clevels.h`: levels 1 to 7 for streams of unknown size); a
/// higher level gets zstd's default jobs, since a plan chose it for the ratio.
const SMALL_WINDOW_LEVELS: i32 = 7;

/// Removes the files of a stored backup (archive, then manifest); missing files are not an error.
pub(crate) fn remove_backup(archive: &Path) -> Result<(), BackupError> {
    for path in [archive.to_path_buf(), crate::manifest::manifest_path(archive)] {
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(BackupError::io(actions::REMOVING, &path, e)),
        }
    }
    Ok(())
}
