//! Files written so that a reader (nginx, the next worker) sees the old content or the new one, never half of
//! either: a temporary file beside the target, written, flushed to disk, given its mode, then renamed over the
//! target, and the folder flushed so the rename survives a crash. And the guard that keeps every write under
//! the certificates' folder.

use std::{
    io::Write as _,
    os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _},
    path::{Component, Path, PathBuf},
};

use lawha_domain::Message;

use crate::messages;

/// An I/O failure as a message: `action` is `create`, `read`, `write`, `rename` or `remove`.
pub fn io_failed(action: &str, path: &Path, error: &std::io::Error) -> Message {
    messages::io_failed(action, path, error.to_string())
}

/// Refuses a certificates' folder that is relative, holds `..`, or where a write could replace the machine's own
/// files: a system folder, a parent of one, or a place inside a system tree (the backup engine's list,
/// [`lawha_domain::system_paths::writes_system`]).
pub fn check_dir(dir: &Path) -> Result<(), Message> {
    let refused = || messages::dir_refused(dir);
    if !dir.is_absolute() || dir.components().any(|c| matches!(c, Component::ParentDir | Component::CurDir)) {
        return Err(refused());
    }
    let normal: PathBuf = dir.components().collect();
    if lawha_domain::system_paths::writes_system(&normal) {
        return Err(refused());
    }
    Ok(())
}

/// `dir/<parts…>`, refused unless it stays under `dir` (each part one plain name, no `/`, no `..`).
pub fn under(dir: &Path, parts: &[&str]) -> Result<PathBuf, Message> {
    check_dir(dir)?;
    let mut path = dir.to_path_buf();
    for part in parts {
        let plain = !part.is_empty()
            && Path::new(part).components().count() == 1
            && matches!(Path::new(part).components().next(), Some(Component::Normal(_)));
        if !plain {
            return Err(messages::path_refused(&dir.join(part)));
        }
        path.push(part);
    }
    Ok(path)
}

/// Creates `dir` and its parents, the new ones with `mode`.
pub fn create_dir(dir: &Path, mode: u32) -> Result<(), Message> {
    std::fs::DirBuilder::new().recursive(true).mode(mode).create(dir).map_err(|e| io_failed("create", dir, &e))
}

/// Writes `content` to `path` atomically with `mode` (0600 for keys and accounts).
pub fn write_atomic(path: &Path, content: &[u8], mode: u32) -> Result<(), Message> {
    let dir = path.parent().ok_or_else(|| messages::path_refused(path))?;
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| messages::path_refused(path))?;
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp)?;
        file.write_all(content)?;
        // The mode given at creation is masked by the umask; set it exactly.
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io_failed("write", &temp, &e));
    }
    if let Err(e) = std::fs::rename(&temp, path) {
        let _ = std::fs::remove_file(&temp);
        return Err(io_failed("rename", path, &e));
    }
    sync_dir(dir);
    Ok(())
}

/// Flushes a folder's entries (a rename) to disk; a failure only weakens crash safety, so it is ignored.
pub fn sync_dir(dir: &Path) {
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
}

/// Reads a file that may be missing: None when it is not there.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Message> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_failed("read", path, &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_folders_and_their_parents_are_refused() {
        for dir in ["/", "/etc", "/usr/", "/dev", "relative/dir", "/var/lib/../../etc"] {
            assert!(check_dir(Path::new(dir)).is_err(), "{dir} was accepted");
        }
        assert!(check_dir(Path::new("/var/lib/lawha/certificates")).is_ok());
        assert!(check_dir(Path::new("/etc/lawha/certificates")).is_ok(), "a folder under /etc is not /etc");
    }

    #[test]
    fn a_path_stays_under_its_folder() {
        let dir = Path::new("/var/lib/lawha/certificates");
        assert_eq!(under(dir, &["abc", "privkey.pem"]).unwrap(), dir.join("abc/privkey.pem"));
        for bad in ["..", "a/b", "", "/etc", "."] {
            assert!(under(dir, &[bad]).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn an_atomic_write_leaves_the_file_with_its_mode_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("privkey.pem");
        write_atomic(&path, b"one", 0o600).unwrap();
        write_atomic(&path, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
