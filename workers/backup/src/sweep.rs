//! Cleaning up beside every folder a restore went into: staging folders of killed restores, replaced folders kept
//! longer than `backups.safety_copy_hours`, and swaps a crash cut short (the engine's
//! `lawha_backup::restore::directory::sweep` does the work, touching only the names restores make and only what
//! no live restore holds). The folders are those of the restore targets the log names (`BackupRestoreRequested`,
//! read through the event-type index), so no list has to be kept beside the log, and a worker on a new machine
//! finds nothing of another's to touch.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use chrono::Utc;
use lawha_backup::{
    paths::resolve,
    restore::directory::{Swept, sweep},
};
use lawha_store::{Database, EventFilter, StoreError};

use crate::Deps;

/// Events read from the log at a time.
const PAGE: i64 = 500;

/// Sweeps the folder of every restore target the log names; a failure to read the log is logged and sweeps
/// nothing (the next restore sweeps again).
pub async fn everywhere(deps: &Deps) -> Swept {
    let targets = match restore_targets(&deps.db).await {
        Ok(targets) => targets,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the restore targets to sweep beside");
            return Swept::default();
        }
    };
    let keep = deps.safety_copy;
    let swept = tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        let mut total = Swept::default();
        for folder in folders(&targets) {
            let swept = sweep(&folder, keep, now);
            total.staging_removed += swept.staging_removed;
            total.previous_removed += swept.previous_removed;
            total.put_back.extend(swept.put_back);
        }
        total
    })
    .await
    .unwrap_or_default();
    if swept != Swept::default() {
        tracing::info!(
            staging_removed = swept.staging_removed,
            previous_removed = swept.previous_removed,
            put_back = ?swept.put_back,
            "swept beside restore targets"
        );
    }
    swept
}

/// The target paths of every restore the log holds, as they were asked for.
async fn restore_targets(db: &Database) -> Result<BTreeSet<PathBuf>, StoreError> {
    let filter = EventFilter::types(["BackupRestoreRequested"]);
    let mut targets = BTreeSet::new();
    let mut after = 0;
    loop {
        let page = db.events.read_all(after, PAGE, &filter).await?;
        targets.extend(page.iter().filter_map(|e| e.data["target"]["path"].as_str()).map(PathBuf::from));
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = last.position,
            _ => return Ok(targets),
        }
    }
}

/// The folders the targets are in: as written and as resolved now (a restore works on the resolved path).
fn folders(targets: &BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
    let mut folders = BTreeSet::new();
    for target in targets.iter().filter(|t| t.is_absolute()) {
        let resolved = resolve(target).ok();
        for path in [Some(target.as_path()), resolved.as_deref()].into_iter().flatten() {
            if let Some(parent) = path.parent().filter(|p| *p != Path::new("")) {
                folders.insert(parent.to_path_buf());
            }
        }
    }
    folders
}
