//! The tar stream a directory backup writes: GNU headers (long names and link targets through GNU extensions, by
//! the `tar` crate), with file contents copied here 1 MiB at a time. Copying the contents ourselves keeps two
//! failures apart that the `tar` crate's `append_*` would merge: a source file that cannot be read (recorded,
//! the backup goes on) and the archive that cannot be written (the backup fails).

use std::{
    fs::{File, Metadata},
    io::{self, Read, Write},
    os::unix::fs::MetadataExt as _,
    path::Path,
};

use lawha_domain::Message;
use tar::{EntryType, Header, HeaderMode};

use super::Unreadable;
use crate::{
    BackupError,
    messages::{self, actions},
};

/// Bytes read from a source file at a time.
const CHUNK: usize = 1 << 20;

/// What became of one regular file.
pub(super) enum FileOutcome {
    /// Its bytes are in the archive as they were.
    Complete,
    /// It is in the archive, but not as it was (it shrank, grew or failed to read part-way): why.
    Incomplete(Message),
    /// It is not in the archive: why.
    Skipped(Message),
}

/// A writer that counts, so the source can report its bytes.
struct Counted<'a> {
    inner: &'a mut dyn Write,
    bytes: u64,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes tar entries into the pipeline.
pub(super) struct TarOut<'a> {
    builder: tar::Builder<Counted<'a>>,
    root: &'a Path,
    buf: Vec<u8>,
}

impl<'a> TarOut<'a> {
    pub(super) fn new(out: &'a mut dyn Write, root: &'a Path) -> Self {
        Self { builder: tar::Builder::new(Counted { inner: out, bytes: 0 }), root, buf: vec![0; CHUNK] }
    }

    /// Writes the two end blocks; returns the bytes of the whole stream.
    pub(super) fn finish(self) -> Result<u64, BackupError> {
        let counted = self.builder.into_inner().map_err(|e| write_error(self.root, e))?;
        Ok(counted.bytes)
    }

    /// A folder entry.
    pub(super) fn dir(&mut self, meta: &Metadata, rel: &Path) -> Result<(), BackupError> {
        let mut header = header(meta, EntryType::Directory, 0);
        self.builder.append_data(&mut header, rel, io::empty()).map_err(|e| write_error(self.root, e))
    }

    /// A symbolic link, stored as a link (never followed).
    pub(super) fn symlink(&mut self, meta: &Metadata, rel: &Path, target: &Path) -> Result<(), BackupError> {
        let mut header = header(meta, EntryType::Symlink, 0);
        self.builder.append_link(&mut header, rel, target).map_err(|e| write_error(self.root, e))
    }

    /// A hard link to a file stored earlier in the stream.
    pub(super) fn hardlink(&mut self, meta: &Metadata, rel: &Path, first: &Path) -> Result<(), BackupError> {
        let mut header = header(meta, EntryType::Link, 0);
        self.builder.append_link(&mut header, rel, first).map_err(|e| write_error(self.root, e))
    }

    /// A regular file. `listed` is what the walk saw; the file is opened without following a symlink and
    /// without blocking (a FIFO swapped in since cannot hang the backup), and must still be that same file.
    pub(super) fn file(&mut self, listed: &Metadata, rel: &Path, abs: &Path) -> Result<FileOutcome, BackupError> {
        use rustix::fs::{CWD, Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let mut file = match rustix::fs::openat(CWD, abs, flags, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(e) => return Ok(FileOutcome::Skipped(super::unreadable(rel, &e.into(), Unreadable::Entry))),
        };
        let meta = match file.metadata() {
            Ok(meta) => meta,
            Err(e) => return Ok(FileOutcome::Skipped(super::unreadable(rel, &e, Unreadable::Entry))),
        };
        if !meta.is_file() || meta.ino() != listed.ino() || meta.dev() != listed.dev() {
            return Ok(FileOutcome::Skipped(messages::skipped_replaced(rel)));
        }
        let size = meta.len();
        let mut header = header(&meta, EntryType::Regular, size);
        // The header goes first with the size it announces; the contents follow from the loop below, which
        // always writes exactly `size` bytes (zeros where the file fell short) so the stream stays valid.
        self.builder.append_data(&mut header, rel, io::empty()).map_err(|e| write_error(self.root, e))?;
        let (mut remaining, mut problem) = (size, None);
        while remaining > 0 {
            let want = remaining.min(self.buf.len() as u64) as usize;
            let n = match file.read(&mut self.buf[..want]) {
                Ok(0) => {
                    problem = Some(messages::incomplete_shrank(rel, size - remaining, size));
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    problem = Some(messages::incomplete_read_failed(rel, size - remaining, size, e.to_string()));
                    break;
                }
            };
            self.write(n)?;
            remaining -= n as u64;
        }
        if remaining > 0 {
            self.buf.fill(0);
            while remaining > 0 {
                let n = remaining.min(self.buf.len() as u64) as usize;
                self.write(n)?;
                remaining -= n as u64;
            }
        }
        let padding = ((512 - size % 512) % 512) as usize;
        self.buf[..padding].fill(0);
        self.write(padding)?;
        if let Some(problem) = problem {
            return Ok(FileOutcome::Incomplete(problem));
        }
        match file.read(&mut [0u8; 1]) {
            Ok(1) => Ok(FileOutcome::Incomplete(messages::incomplete_grew(rel, size))),
            _ => Ok(FileOutcome::Complete),
        }
    }

    fn write(&mut self, n: usize) -> Result<(), BackupError> {
        let root = self.root;
        self.builder.get_mut().write_all(&self.buf[..n]).map_err(|e| write_error(root, e))
    }
}

/// A GNU header with the entry's mode (permission bits), owner, mtime and size.
fn header(meta: &Metadata, kind: EntryType, size: u64) -> Header {
    let mut header = Header::new_gnu();
    header.set_metadata_in_mode(meta, HeaderMode::Complete);
    header.set_mode(meta.mode() & 0o7777);
    header.set_mtime(meta.mtime().max(0) as u64);
    header.set_entry_type(kind);
    header.set_size(size);
    header
}

/// The pipeline refused bytes (the archive pipeline names the real cause when it was the file).
fn write_error(root: &Path, e: io::Error) -> BackupError {
    BackupError::io(actions::WRITING_THE_TAR_STREAM_OF, root, e)
}
