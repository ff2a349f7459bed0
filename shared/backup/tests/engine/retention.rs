//! Retention on real files: exactly what the policy says goes, and never the newest verified backup.

use std::{fs, path::Path};

use lawha_backup::{
    archive::{Completed, list},
    manifest::manifest_path,
    retention::{Retention, apply},
};

use crate::support::{at, backup, file, key, names};

/// Four daily backups: run 1 three days ago … run 4 today.
fn four_days(work: &Path) -> Vec<Completed> {
    let source = work.join("src");
    fs::create_dir_all(&source).expect("src");
    file(&source.join("a.txt"), b"a\n", 0o644, 1_700_000_000);
    (1..=4).map(|run| backup(&source, &work.join("backups"), run, (run as i64 - 4) * 86_400)).collect()
}

fn file_names(completed: &[&Completed]) -> Vec<String> {
    let mut names: Vec<String> = completed
        .iter()
        .flat_map(|c| [c.manifest.archive_file.clone(), format!("{}.manifest.json", c.manifest.archive_file)])
        .collect();
    names.sort();
    names
}

#[test]
fn keep_last_removes_exactly_the_older_archives_with_their_manifests() {
    let work = tempfile::tempdir().expect("tempdir");
    let runs = four_days(work.path());
    let backups = work.path().join("backups");
    let removed =
        apply(&backups, &Retention { keep_last: Some(2), ..Retention::default() }, &key(), at(0)).expect("apply");
    let removed: Vec<_> = removed.iter().map(|b| b.run_id).collect();
    assert_eq!(removed, [runs[0].manifest.run_id, runs[1].manifest.run_id]);
    assert_eq!(names(&backups), file_names(&[&runs[2], &runs[3]]));
    assert_eq!(list(&backups).expect("list").len(), 2);
}

#[test]
fn the_newest_verified_backup_stays_when_newer_ones_do_not_verify() {
    let work = tempfile::tempdir().expect("tempdir");
    let runs = four_days(work.path());
    let backups = work.path().join("backups");
    // The two newest no longer verify: one manifest edited, one archive cut short.
    let edited = fs::read_to_string(manifest_path(&runs[3].archive_path)).expect("read").replace("site files", "x");
    fs::write(manifest_path(&runs[3].archive_path), edited).expect("edit");
    fs::OpenOptions::new().write(true).open(&runs[2].archive_path).expect("open").set_len(3).expect("truncate");

    let policy = Retention { keep_last: Some(0), keep_days: Some(0), max_total_bytes: Some(0) };
    apply(&backups, &policy, &key(), at(0)).expect("apply");
    assert_eq!(names(&backups), file_names(&[&runs[1]]));
}

#[test]
fn the_size_cap_removes_the_oldest_first() {
    let work = tempfile::tempdir().expect("tempdir");
    let runs = four_days(work.path());
    let backups = work.path().join("backups");
    let each = runs[0].manifest.stored_bytes;
    assert!(runs.iter().all(|r| r.manifest.stored_bytes == each), "the same tree compresses the same");
    let policy = Retention { max_total_bytes: Some(each * 3 - 1), ..Retention::default() };
    apply(&backups, &policy, &key(), at(0)).expect("apply");
    assert_eq!(names(&backups), file_names(&[&runs[2], &runs[3]]));
}
