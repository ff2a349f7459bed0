//! Small file-system helpers shared by the archive writer, the manifest and restores.

use std::{
    fs::{self, File, OpenOptions},
    io,
    os::unix::fs::OpenOptionsExt as _,
    path::{Path, PathBuf},
};

use crate::{BackupError, messages::actions};

/// Creates a file that must not exist yet, readable by its owner only (archives hold the server's data).
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

/// Fsyncs a folder, so that a rename in it survives a crash.
pub(crate) fn sync_dir(folder: &Path) -> Result<(), BackupError> {
    File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| BackupError::io(actions::SYNCING_THE_FOLDER, folder, e))
}

/// Paths removed when dropped unless disarmed: what makes every failure leave no file under a final name.
#[derive(Debug, Default)]
pub(crate) struct RemoveOnDrop {
    paths: Vec<PathBuf>,
}

impl RemoveOnDrop {
    /// Removes `path` on drop.
    pub(crate) fn add(&mut self, path: PathBuf) {
        self.paths.push(path);
    }

    /// Forgets `path` (it was renamed away, or is complete).
    pub(crate) fn forget(&mut self, path: &Path) {
        self.paths.retain(|p| p != path);
    }

    /// Keeps everything.
    pub(crate) fn disarm(mut self) {
        self.paths.clear();
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        for path in &self.paths {
            if let Err(e) = fs::remove_file(path)
                && e.kind() != io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "could not remove an incomplete backup file");
            }
        }
    }
}
