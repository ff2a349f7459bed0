//! What an overwriting restore keeps and what the sweep removes: the replaced tree is kept aside, copies older
//! than the setting go, staging folders a killed restore left go (those still locked by a live restore stay), an
//! interrupted swap is repaired; setuid and setgid bits are not restored; a target without room is refused; a
//! backup of a folder holding a protected path leaves it out. Everything happens in temporary folders.

use std::{
    fs::{self, File},
    os::unix::fs::PermissionsExt as _,
    path::Path,
    time::Duration,
};

use chrono::{DateTime, Utc};
use lawha_backup::{
    BackupError,
    archive::run_backup,
    messages,
    paths::PathPolicy,
    restore::directory::{RestoreOptions, Swept, restore_directory, sweep},
    sources::directory::DirectorySource,
};
use rustix::fs::{FlockOperation, flock};

use crate::{
    failures::SmallDisk,
    support::{backup, file, key, names, options, request, snapshot},
};

/// A moment to sweep at: 2026-01-07 03:15 UTC.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-07T03:15:00Z").expect("time").with_timezone(&Utc)
}

/// A tree standing for something a restore left, with one file in it.
fn leftover(path: &Path) {
    fs::create_dir_all(path).expect("leftover");
    fs::write(path.join("f"), "x").expect("file");
}

#[test]
fn an_overwrite_keeps_the_previous_tree_beside_the_restored_one() {
    let work = tempfile::tempdir().expect("tempdir");
    let (source, backups, target) = (work.path().join("src"), work.path().join("backups"), work.path().join("site"));
    fs::create_dir_all(source.join("conf")).expect("src");
    file(&source.join("conf/app.toml"), b"new = true\n", 0o644, 1_700_000_000);
    let completed = backup(&source, &backups, 1, 0);
    fs::create_dir_all(target.join("uploads")).expect("old target");
    fs::write(target.join("uploads/photo.jpg"), b"old photo").expect("old file");
    let before = snapshot(&target);

    let overwrite = RestoreOptions { overwrite: true, keep_previous: true, ..options() };
    let stats = restore_directory(&completed.archive_path, &key(), None, &target, overwrite).expect("overwrite");

    assert_eq!(snapshot(&target), snapshot(&source), "the restored tree is in place");
    let previous = stats.previous.expect("the replaced tree is kept");
    assert_eq!(previous.parent(), Some(work.path()), "beside the target");
    let name = previous.file_name().expect("name").to_string_lossy().into_owned();
    assert!(name.starts_with(".site.lawha-previous-"), "{name}");
    assert_eq!(snapshot(&previous), before, "the previous tree, as it was");
    assert_eq!(names(work.path()), [name.as_str(), "backups", "site", "src"], "no staging folder is left");
}

#[test]
fn the_sweep_removes_copies_older_than_the_setting_and_stale_staging_folders_only() {
    let work = tempfile::tempdir().expect("tempdir");
    let folder = work.path();
    fs::create_dir(folder.join("site")).expect("target");
    for name in [
        ".site.lawha-previous-20260105T031500Z-0a1b2c3d",
        ".site.lawha-previous-20260106T120000Z-0a1b2c3e",
        ".site.restore-AbC123",
        ".site.restore-Live99",
        ".site.restore-notours",
        ".site.lawha-previous-yesterday-0a1b2c3f",
        "unrelated",
    ] {
        leftover(&folder.join(name));
    }
    // A restore under way in another process holds its staging folder's lock.
    let live = File::open(folder.join(".site.restore-Live99")).expect("open");
    flock(&live, FlockOperation::LockExclusive).expect("lock");

    let swept = sweep(folder, Duration::from_secs(24 * 3600), now());

    assert_eq!(swept, Swept { staging_removed: 1, previous_removed: 1, put_back: Vec::new() });
    assert_eq!(
        names(folder),
        [
            ".site.lawha-previous-20260106T120000Z-0a1b2c3e",
            ".site.lawha-previous-yesterday-0a1b2c3f",
            ".site.restore-Live99",
            ".site.restore-notours",
            "site",
            "unrelated"
        ],
        "a copy 15 hours old stays, and so does every name the restores do not make"
    );
    drop(live);
    let swept = sweep(folder, Duration::ZERO, now());
    assert_eq!((swept.staging_removed, swept.previous_removed), (1, 1), "once its restore is gone, and 0 hours");
}

#[test]
fn the_sweep_repairs_a_swap_a_crash_interrupted() {
    let work = tempfile::tempdir().expect("tempdir");
    let folder = work.path();
    // Killed between moving the target aside and renaming the restored folder in: the target is missing.
    leftover(&folder.join(".site.lawha-moving-20260107T031000Z-0a1b2c3d"));
    // Killed after the restored folder was in place, before the old one was named as kept.
    leftover(&folder.join("docs"));
    leftover(&folder.join(".docs.lawha-moving-20260107T031000Z-0a1b2c3e"));

    let swept = sweep(folder, Duration::from_secs(3600), now());

    assert_eq!(swept.put_back, [folder.join("site")]);
    assert_eq!(fs::read_to_string(folder.join("site/f")).expect("put back"), "x");
    assert_eq!(names(folder), [".docs.lawha-previous-20260107T031000Z-0a1b2c3e", "docs", "site"]);
}

#[test]
fn setuid_and_setgid_bits_are_not_restored() {
    let work = tempfile::tempdir().expect("tempdir");
    let (source, backups, target) = (work.path().join("src"), work.path().join("backups"), work.path().join("out"));
    fs::create_dir_all(source.join("shared")).expect("src");
    file(&source.join("suid"), b"#!/bin/sh\n", 0o4755, 1_700_000_000);
    file(&source.join("sgid"), b"#!/bin/sh\n", 0o2711, 1_700_000_000);
    fs::set_permissions(source.join("shared"), fs::Permissions::from_mode(0o2775)).expect("chmod");
    let completed = backup(&source, &backups, 1, 0);

    restore_directory(&completed.archive_path, &key(), None, &target, options()).expect("restore");

    let mode = |rel: &str| fs::metadata(target.join(rel)).expect("stat").permissions().mode() & 0o7777;
    assert_eq!((mode("suid"), mode("sgid")), (0o755, 0o711), "the rest of the mode stays");
    assert_eq!(mode("shared"), 0o2775, "a folder's setgid only passes its group on, and stays");
}

#[test]
fn a_restore_is_refused_before_writing_when_the_target_has_too_little_room() {
    let work = tempfile::tempdir().expect("tempdir");
    let (source, backups) = (work.path().join("src"), work.path().join("backups"));
    fs::create_dir_all(&source).expect("src");
    file(&source.join("data.txt"), b"data\n", 0o644, 1_700_000_000);
    let completed = backup(&source, &backups, 1, 0);
    let disk = SmallDisk::mount(&work.path().join("disk"));

    let target = disk.0.join("restored");
    let error = restore_directory(&completed.archive_path, &key(), None, &target, options()).expect_err("no room");

    let BackupError::Refused(message) = &error else { panic!("{error:?}") };
    assert_eq!(message.code, "engine.restore_no_space", "{error}");
    assert_eq!(names(&disk.0), Vec::<String>::new(), "nothing was written");
}

#[test]
fn a_backup_of_a_folder_holding_a_protected_path_leaves_it_out() {
    let work = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(work.path()).expect("canonical");
    let (source, backups, target) = (root.join("etc"), root.join("backups"), root.join("restored"));
    fs::create_dir_all(source.join("lawha/tls")).expect("protected");
    fs::create_dir_all(source.join("nginx")).expect("nginx");
    file(&source.join("lawha/lawha.env"), b"LAWHA_SECRET_KEY=x\n", 0o600, 1_700_000_000);
    file(&source.join("nginx/site.conf"), b"server {}\n", 0o644, 1_700_000_000);
    let policy = PathPolicy::new([source.join("lawha")]);

    let mut req = request(&source, &backups, 1, 0);
    let left_out = policy.left_out_of(&source);
    req.source = Box::new(DirectorySource::new(&source).expect("source").leaving_out(left_out));
    let completed = run_backup(req).expect("backup");
    restore_directory(&completed.archive_path, &key(), None, &target, options()).expect("restore");

    assert_eq!(completed.skipped, [messages::skipped_protected("lawha")]);
    assert_eq!(names(&target), ["nginx"]);
    assert!(completed.manifest.source_bytes > 0);
}
