//! Writing a small file so that readers (nginx, another worker) see the old content or the new one, never a
//! part: a temporary file in the same folder, synced, then renamed over the target (rename(2) within one file
//! system is atomic).

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use tokio::io::AsyncWriteExt;

use super::{EngineError, IoAction};

/// Makes temporary names unique within the process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The temporary file beside `path`: hidden, and ending in `.tmp`, so an `include *.conf` never picks it up.
fn temporary(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let unique = format!(".{name}.{}.{}.tmp", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    path.with_file_name(unique)
}

/// Replaces `path`'s content with `content` atomically, creating its folder if needed.
pub async fn write_atomically(path: &Path, content: &[u8]) -> Result<(), EngineError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent).await.map_err(|e| EngineError::io(IoAction::Create, parent, e))?;
    }
    let tmp = temporary(path);
    let written = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(content).await?;
        file.sync_all().await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(EngineError::io(IoAction::Write, tmp, e));
    }
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(EngineError::io(IoAction::Rename, path, e));
    }
    Ok(())
}

/// The content of `path`, or `None` when there is no such file.
pub async fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, EngineError> {
    match tokio::fs::read(path).await {
        Ok(content) => Ok(Some(content)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EngineError::io(IoAction::Read, path, e)),
    }
}

/// Removes `path`; a file that is not there is fine.
pub async fn remove_if_exists(path: &Path) -> Result<(), EngineError> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(EngineError::io(IoAction::Remove, path, e)),
        _ => Ok(()),
    }
}
