//! The writers of the archive pipeline: one counting what the source writes (and reporting progress), one hashing
//! and counting what reaches the file, and the optional age stage between zstd and the file.

use std::{
    fs::File,
    io::{self, BufWriter, Write},
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sha2::{Digest as _, Sha256};

use super::writeback::Writeback;
use crate::encryption::{EncryptingWriter, Recipient, encrypting_writer};

/// How often progress is reported at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// Where a backup stands, as [`super::BackupRequest::progress`] receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Uncompressed bytes the source has written so far.
    pub source_bytes: u64,
    /// Bytes stored in the archive file so far.
    pub stored_bytes: u64,
    /// Source bytes per second since the start.
    pub bytes_per_second: u64,
}

/// A progress callback.
pub type ProgressFn = Box<dyn Fn(Progress) + Send>;

/// Counts the source's bytes and calls the progress callback at most every [`PROGRESS_EVERY`].
pub(crate) struct Counting<W> {
    inner: W,
    pub(crate) bytes: u64,
    stored: Arc<AtomicU64>,
    progress: Option<ProgressFn>,
    started: Instant,
    last_report: Instant,
}

impl<W: Write> Counting<W> {
    pub(crate) fn new(inner: W, stored: Arc<AtomicU64>, progress: Option<ProgressFn>) -> Self {
        let now = Instant::now();
        Self { inner, bytes: 0, stored, progress, started: now, last_report: now }
    }

    /// The inner writer, the bytes counted, and what the final report needs.
    pub(crate) fn finish(self) -> (W, u64, FinalReport) {
        (self.inner, self.bytes, FinalReport { progress: self.progress, started: self.started })
    }

    fn report(&mut self) {
        if let Some(progress) = &self.progress {
            let now = Instant::now();
            self.last_report = now;
            let seconds = now.duration_since(self.started).as_secs_f64();
            let stored = self.stored.load(Ordering::Relaxed);
            let rate = if seconds > 0.0 { (self.bytes as f64 / seconds) as u64 } else { 0 };
            progress(Progress { source_bytes: self.bytes, stored_bytes: stored, bytes_per_second: rate });
        }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        if self.progress.is_some() && self.last_report.elapsed() >= PROGRESS_EVERY {
            self.report();
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The last progress report, sent once the file is complete, whatever the interval.
pub(crate) struct FinalReport {
    progress: Option<ProgressFn>,
    started: Instant,
}

impl FinalReport {
    pub(crate) fn send(self, source_bytes: u64, stored_bytes: u64) {
        if let Some(progress) = self.progress {
            let seconds = self.started.elapsed().as_secs_f64();
            let rate = if seconds > 0.0 { (source_bytes as f64 / seconds) as u64 } else { 0 };
            progress(Progress { source_bytes, stored_bytes, bytes_per_second: rate });
        }
    }
}

/// Hashes and counts the stored bytes on their way into the file, and keeps the first error the file returned so
/// that the pipeline can name it even when a source wraps it in its own error. The file is synced to disk as it
/// grows ([`Writeback`]), so that the fsync at the end has little left to wait for.
pub(crate) struct Hashing {
    file: BufWriter<File>,
    hasher: Sha256,
    pub(crate) bytes: u64,
    shared_bytes: Arc<AtomicU64>,
    pub(crate) failure: Arc<Mutex<Option<io::Error>>>,
    writeback: Writeback,
}

impl Hashing {
    pub(crate) fn new(file: File, shared_bytes: Arc<AtomicU64>) -> Self {
        let writeback = Writeback::start(&file);
        Self {
            file: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            bytes: 0,
            shared_bytes,
            failure: Arc::new(Mutex::new(None)),
            writeback,
        }
    }

    /// The file's writer (to flush and sync), the SHA-256 of everything written, and the writeback thread to stop
    /// before the final fsync.
    pub(crate) fn finish(self) -> (BufWriter<File>, [u8; 32], Writeback) {
        (self.file, self.hasher.finalize().into(), self.writeback)
    }

    fn remember<T>(&self, result: io::Result<T>) -> io::Result<T> {
        result.map_err(|e| {
            let copy = io::Error::new(e.kind(), e.to_string());
            let mut slot = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
            slot.get_or_insert(e);
            copy
        })
    }
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.file.write(buf);
        let n = self.remember(result)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        self.shared_bytes.store(self.bytes, Ordering::Relaxed);
        self.writeback.written(self.bytes);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.file.flush();
        self.remember(result)
    }
}

/// What zstd writes into: the hashing file writer, directly or through age.
pub(crate) enum Sink {
    /// Unencrypted.
    Plain(Hashing),
    /// Encrypted for a recipient.
    Age(EncryptingWriter<Hashing>),
}

impl Sink {
    pub(crate) fn new(hashing: Hashing, recipient: Option<&Recipient>) -> io::Result<Self> {
        Ok(match recipient {
            None => Sink::Plain(hashing),
            Some(recipient) => Sink::Age(encrypting_writer(recipient, hashing)?),
        })
    }

    /// Writes age's last chunk when encrypting.
    pub(crate) fn finish(self) -> io::Result<Hashing> {
        match self {
            Sink::Plain(hashing) => Ok(hashing),
            Sink::Age(writer) => writer.finish(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Age(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Age(w) => w.flush(),
        }
    }
}
