//! What restores leave beside their targets, cleaned up: staging folders of restores that were killed (and the
//! temporary files of SQLite restores), trees moved aside by a swap that a crash interrupted, and replaced trees
//! kept longer than wanted. Only names the restores make are touched (`.<name>.restore-XXXXXX`,
//! `.<name>.lawha-moving-…`, `.<name>.lawha-previous-…`), and only when no process holds their lock, so a
//! restore under way in another process is left alone.

use std::{
    fs,
    path::{Path, PathBuf},
    time::Duration,
};

use chrono::{DateTime, NaiveDateTime, Utc};

use super::place::{MOVING, PREVIOUS, STAGING, STAMP, remove_tree, try_lock};

/// What a sweep of one folder did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// Staging folders and files of killed restores, deleted.
    pub staging_removed: u64,
    /// Replaced trees older than the time to keep them, deleted.
    pub previous_removed: u64,
    /// Targets that were missing after an interrupted swap, with their previous tree put back.
    pub put_back: Vec<PathBuf>,
}

/// Sweeps `folder` (the folder of one or more restore targets): deletes stale staging entries and replaced trees
/// kept for `keep` or longer at `now`, and puts back a moved-aside tree whose target is missing. Failures are
/// logged and the sweep goes on: it runs again at the next restore.
pub fn sweep(folder: &Path, keep: Duration, now: DateTime<Utc>) -> Swept {
    let mut swept = Swept::default();
    let Ok(entries) = fs::read_dir(folder) else { return swept };
    let mut names: Vec<String> = entries.flatten().filter_map(|e| e.file_name().into_string().ok()).collect();
    // Moving trees first: one renamed to a previous one is then judged by its age in the same sweep.
    names.sort_by_key(|name| !name.contains(MOVING));
    for name in names {
        let Some(hidden) = name.strip_prefix('.') else { continue };
        let path = folder.join(&name);
        if let Some((_, random)) = hidden.rsplit_once(STAGING) {
            if random.len() == 6 && random.bytes().all(|b| b.is_ascii_alphanumeric()) && try_lock(&path).is_some() {
                remove_tree(&path);
                swept.staging_removed += 1;
            }
        } else if let Some((target, suffix)) = hidden.rsplit_once(MOVING) {
            if parse_stamp(suffix).is_some() && try_lock(&path).is_some() {
                finish_swap(folder, &path, target, suffix, &mut swept);
            }
        } else if let Some((_, suffix)) = hidden.rsplit_once(PREVIOUS)
            && let Some(made) = parse_stamp(suffix)
            && (now - made).to_std().unwrap_or_default() >= keep
            && try_lock(&path).is_some()
        {
            remove_tree(&path);
            swept.previous_removed += 1;
        }
    }
    swept
}

/// A tree moved aside by a swap a crash interrupted: back to `target` when that is missing (the restored folder
/// never got there), else renamed as a previous tree (the restore was done).
fn finish_swap(folder: &Path, path: &Path, target: &str, suffix: &str, swept: &mut Swept) {
    let target = folder.join(target);
    if fs::symlink_metadata(&target).is_err() {
        match fs::rename(path, &target) {
            Ok(()) => swept.put_back.push(target),
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not put a moved-aside folder back"),
        }
        return;
    }
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    if let Err(e) = fs::rename(path, folder.join(format!(".{name}{PREVIOUS}{suffix}"))) {
        tracing::warn!(path = %path.display(), error = %e, "could not name a replaced folder as kept");
    }
}

/// The time in `<stamp>-<id>`.
fn parse_stamp(suffix: &str) -> Option<DateTime<Utc>> {
    let (stamp, id) = suffix.split_once('-')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, STAMP).ok().map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_read_from_the_names_the_swap_writes() {
        let at = parse_stamp("20260107T031500Z-1a2b3c4d").expect("parses");
        assert_eq!(at.to_rfc3339(), "2026-01-07T03:15:00+00:00");
        assert_eq!(parse_stamp("20260107T031500Z"), None);
        assert_eq!(parse_stamp("yesterday-1a2b"), None);
        assert_eq!(parse_stamp("20260107T031500Z-xyz"), None);
    }
}
