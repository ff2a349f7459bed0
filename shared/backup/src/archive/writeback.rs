//! Writeback of the archive while it is still being written. Linux keeps a new file's pages dirty in memory
//! until something forces them out (up to gigabytes with the default `dirty_background_ratio`), so the fsync at the
//! end of a backup would otherwise wait for the whole archive to reach the disk after all the compression is done.
//! Here a thread of its own calls `fdatasync` on the same file every [`EVERY`] bytes, while the stream goes on, and
//! the final fsync waits only for the last stretch.
//!
//! This changes nothing in what a backup guarantees: the final `sync_all` still comes before the rename. An error
//! an early sync met is returned by [`Writeback::stop`], since the kernel reports a writeback error only once per
//! open file and the final fsync on the same file would not see it again.

use std::{
    fs::File,
    io,
    sync::mpsc::{self, SyncSender, TrySendError},
    thread::JoinHandle,
};

/// Bytes written between two early syncs.
const EVERY: u64 = 64 << 20;

/// The thread that syncs the file while it grows.
pub(crate) struct Writeback {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
    next: u64,
}

impl Writeback {
    /// Starts the thread on a second handle to `file`. Without one (no handle or no thread to be had) there is
    /// simply no early writeback: the final fsync does all of it, as it would anyway.
    pub(crate) fn start(file: &File) -> Self {
        let idle = Self { wake: None, thread: None, next: u64::MAX };
        let Ok(file) = file.try_clone() else { return idle };
        // One pending wake-up at most: a sync still running when the next is due just covers more bytes.
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new().name("backup-writeback".into()).spawn(move || {
            while woken.recv().is_ok() {
                file.sync_data()?;
            }
            Ok(())
        });
        match thread {
            Ok(thread) => Self { wake: Some(wake), thread: Some(thread), next: EVERY },
            Err(_) => idle,
        }
    }

    /// Called with the bytes written so far; wakes the thread each time another [`EVERY`] bytes were written.
    pub(crate) fn written(&mut self, bytes: u64) {
        if bytes < self.next {
            return;
        }
        self.next = bytes.saturating_add(EVERY);
        if let Some(wake) = &self.wake
            && let Err(TrySendError::Disconnected(())) = wake.try_send(())
        {
            // The thread stopped on an error, which `stop` returns.
            self.wake = None;
        }
    }

    /// Stops the thread and returns the first error an early sync met.
    pub(crate) fn stop(mut self) -> io::Result<()> {
        self.wake = None;
        match self.thread.take().map(JoinHandle::join) {
            None => Ok(()),
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the writeback thread panicked")),
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        // A failed backup drops it without `stop`: the thread ends after its current sync.
        self.wake = None;
    }
}
