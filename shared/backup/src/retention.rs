//! Which backups a retention policy removes ([`plan`], pure) and removing them from a plan's folder ([`apply`]).
//!
//! Architecture Invariant: retention never removes the newest verified backup, whatever the policy says.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    BackupError,
    archive::{StoredBackup, list, remove_backup},
    manifest::ManifestKey,
};

/// A plan's retention policy. Every rule is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep the newest N backups.
    pub keep_last: Option<u32>,
    /// Keep backups younger than N days.
    pub keep_days: Option<u32>,
    /// Then remove the oldest kept backups until the total is at most this many bytes.
    pub max_total_bytes: Option<u64>,
}

/// What retention needs to know about one backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    /// The run.
    pub run_id: Uuid,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Bytes it occupies.
    pub stored_bytes: u64,
    /// Whether it verified (only verified backups are protected as "the newest good one").
    pub verified: bool,
}

/// The runs to remove under `policy` at `now`, oldest first.
///
/// How the rules combine: a backup is kept when ANY keep rule keeps it (among the `keep_last` newest, OR younger
/// than `keep_days`); with neither keep rule set, every backup is kept by them. Then, while the kept backups
/// together exceed `max_total_bytes`, the oldest kept one is removed. The newest verified backup is never removed,
/// by any rule, even when it alone exceeds `max_total_bytes`.
pub fn plan(backups: &[BackupSummary], policy: &Retention, now: DateTime<Utc>) -> Vec<Uuid> {
    let mut newest_first: Vec<&BackupSummary> = backups.iter().collect();
    newest_first.sort_by_key(|b| std::cmp::Reverse((b.created_at, b.run_id)));
    let protected = newest_first.iter().find(|b| b.verified).map(|b| b.run_id);
    let any_keep_rule = policy.keep_last.is_some() || policy.keep_days.is_some();

    let mut kept: Vec<bool> = newest_first
        .iter()
        .enumerate()
        .map(|(position, backup)| {
            let by_count = policy.keep_last.is_some_and(|n| position < n as usize);
            let by_age = policy.keep_days.is_some_and(|days| now - backup.created_at < Duration::days(days.into()));
            !any_keep_rule || by_count || by_age || Some(backup.run_id) == protected
        })
        .collect();

    if let Some(max) = policy.max_total_bytes {
        let mut total: u64 = newest_first.iter().zip(&kept).filter(|(_, k)| **k).map(|(b, _)| b.stored_bytes).sum();
        for (backup, keep) in newest_first.iter().zip(kept.iter_mut()).rev() {
            if total <= max {
                break;
            }
            if *keep && Some(backup.run_id) != protected {
                *keep = false;
                total -= backup.stored_bytes;
            }
        }
    }

    newest_first.iter().zip(&kept).rev().filter(|(_, keep)| !**keep).map(|(b, _)| b.run_id).collect()
}

/// Lists `plan_folder`, plans with [`plan`] and removes each chosen archive with its manifest; returns what it
/// removed. Here "verified" means a manifest signed with `key` that names this file and its exact size: a full
/// SHA-256 check of every archive is [`crate::verify::verify_archive`]'s job, not retention's. An archive without
/// a valid manifest (left by a crash) is never protected.
pub fn apply(
    plan_folder: &Path,
    policy: &Retention,
    key: &ManifestKey,
    now: DateTime<Utc>,
) -> Result<Vec<StoredBackup>, BackupError> {
    let stored = list(plan_folder)?;
    let summaries: Vec<BackupSummary> = stored
        .iter()
        .map(|b| BackupSummary {
            run_id: b.run_id,
            created_at: b.created_at,
            stored_bytes: b.size,
            verified: b.manifest.as_ref().is_some_and(|m| {
                m.check_signature(key).is_ok()
                    && m.run_id == b.run_id
                    && m.stored_bytes == b.size
                    && b.archive_path.file_name().is_some_and(|n| n.to_str() == Some(m.archive_file.as_str()))
            }),
        })
        .collect();
    let remove = plan(&summaries, policy, now);
    let mut removed = Vec::new();
    for backup in stored {
        if remove.contains(&backup.run_id) {
            remove_backup(&backup.archive_path)?;
            removed.push(backup);
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests;
