//! Failures are reported as what they are, and leave no file under a final name (nor a partial one).

use std::{fs, io::Write, path::Path, process::Command};

use lawha_backup::{
    BackupError,
    archive::run_backup,
    encryption::{KeyError, generate_identity},
    error::CommandStatus,
    messages::{self, actions},
    sources::{Source, SourceDescription, SourceStats, directory::DirectorySource},
};

use crate::support::{file, names, noise, request};

/// A source of 1 MiB that fails part-way, as a dump tool would.
struct FailingSource;

impl Source for FailingSource {
    fn describe(&self) -> SourceDescription {
        SourceDescription { kind: "postgres".into(), location: "postgres://app@db/app".into() }
    }
    fn extension(&self) -> &'static str {
        "pgdump"
    }
    fn tool_versions(&self) -> Result<Vec<(String, String)>, BackupError> {
        Ok(vec![("pg_dump".into(), "pg_dump (PostgreSQL) 16.4".into())])
    }
    fn write_to(&mut self, out: &mut dyn Write) -> Result<SourceStats, BackupError> {
        out.write_all(&noise(1 << 20, 9)).map_err(|e| BackupError::io(actions::WRITING, "/x", e))?;
        Err(BackupError::Command {
            command: "pg_dump --format=custom app".into(),
            status: CommandStatus::Exited(1),
            stderr: "pg_dump: error: connection lost".into(),
        })
    }
}

fn source_with(work: &Path, bytes: usize) -> std::path::PathBuf {
    let source = work.join("src");
    fs::create_dir_all(&source).expect("src");
    file(&source.join("data.bin"), &noise(bytes, 5), 0o644, 1_700_000_000);
    source
}

#[test]
fn a_source_error_passes_through_unchanged_and_nothing_is_kept() {
    let work = tempfile::tempdir().expect("tempdir");
    let backups = work.path().join("backups");
    let mut req = request(&source_with(work.path(), 10), &backups, 1, 0);
    req.source = Box::new(FailingSource);
    let e = run_backup(req).expect_err("fails");
    assert!(
        matches!(&e, BackupError::Command { command, status, stderr }
            if command == "pg_dump --format=custom app" && *status == CommandStatus::Exited(1) && stderr.contains("connection lost")),
        "{e}"
    );
    let expected = messages::command_failed(
        "pg_dump --format=custom app",
        messages::exit_status(1),
        "pg_dump: error: connection lost",
    );
    assert_eq!(e.message(), expected);
    assert_eq!(names(&backups), Vec::<String>::new());
}

#[test]
fn an_immutable_destination_is_permission_denied() {
    let work = tempfile::tempdir().expect("tempdir");
    let backups = work.path().join("backups");
    fs::create_dir(&backups).expect("backups");
    // Root ignores mode bits, not the immutable attribute.
    let status = Command::new("chattr").arg("+i").arg(&backups).status().expect("chattr runs");
    assert!(status.success(), "this test needs root and `chattr +i` on the temporary folder's file system");
    let result = run_backup(request(&source_with(work.path(), 1000), &backups, 1, 0));
    let undo = Command::new("chattr").arg("-i").arg(&backups).status().expect("chattr runs");
    assert!(undo.success());
    let e = result.expect_err("refused");
    assert!(
        matches!(&e, BackupError::PermissionDenied { action, path }
            if *action == actions::CREATING_THE_ARCHIVE && path.starts_with(&backups)),
        "{e}"
    );
    assert_eq!(e.message().code, "engine.permission_denied");
    assert_eq!(e.message().arg("action"), Some(&"creating_the_archive".into()));
    assert_eq!(names(&backups), Vec::<String>::new());
}

#[test]
fn a_file_where_the_destination_folder_belongs_is_named() {
    let work = tempfile::tempdir().expect("tempdir");
    let backups = work.path().join("backups");
    fs::write(&backups, b"not a folder").expect("file");
    let e = run_backup(request(&source_with(work.path(), 1000), &backups.join("plan"), 1, 0)).expect_err("fails");
    assert!(matches!(&e, BackupError::Io { action, .. } if *action == actions::CREATING_THE_BACKUP_FOLDER), "{e}");
    assert_eq!(e.message().code, "engine.io_failed");
    assert_eq!(names(work.path()), ["backups", "src"]);
}

/// A 1 MiB tmpfs, unmounted when dropped.
pub struct SmallDisk(pub std::path::PathBuf);

impl SmallDisk {
    /// Mounts one at `at` (created when missing).
    pub fn mount(at: &Path) -> Self {
        fs::create_dir_all(at).expect("mount point");
        let status = Command::new("mount").args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"]).arg(at).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "this test needs root and tmpfs: `mount -t tmpfs -o size=1m tmpfs {}` failed",
            at.display()
        );
        SmallDisk(at.to_path_buf())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_disk_full_and_nothing_is_kept() {
    let work = tempfile::tempdir().expect("tempdir");
    let disk = SmallDisk::mount(&work.path().join("disk"));
    let backups = disk.0.join("plan");
    let e = run_backup(request(&source_with(work.path(), 4 << 20), &backups, 1, 0)).expect_err("full");
    assert!(matches!(&e, BackupError::DiskFull { path, .. } if path.starts_with(&backups)), "{e}");
    assert_eq!(names(&backups), Vec::<String>::new());
}

#[test]
fn bad_requests_are_refused_before_anything_is_written() {
    let work = tempfile::tempdir().expect("tempdir");
    let source = source_with(work.path(), 10);
    let backups = work.path().join("backups");
    for level in [0, 20] {
        let mut req = request(&source, &backups, 1, 0);
        req.level = level;
        let e = run_backup(req).expect_err("level");
        assert!(matches!(&e, BackupError::Invalid(m) if *m == messages::level_out_of_range(level)), "{e}");
    }
    let mut req = request(&source, &backups, 1, 0);
    req.recipient = Some(generate_identity().identity);
    let e = run_backup(req).expect_err("secret key as recipient");
    assert!(matches!(&e, BackupError::Invalid(m) if *m == KeyError::SecretKeyAsRecipient.message()), "{e}");
    let mut req = request(&source, &backups, 1, 0);
    req.recipient = Some("age1notakey".into());
    let e = run_backup(req).expect_err("not a key");
    assert!(matches!(&e, BackupError::Invalid(m) if m.code == "engine.key_malformed_recipient"), "{e}");
    assert!(!backups.exists());
}

#[test]
fn a_missing_or_non_folder_source_is_named() {
    let work = tempfile::tempdir().expect("tempdir");
    let missing = work.path().join("missing");
    let e = DirectorySource::new(&missing).expect_err("missing");
    assert!(matches!(&e, BackupError::Invalid(m) if *m == messages::source_folder_missing(&missing)), "{e}");
    let path = work.path().join("file");
    fs::write(&path, b"x").expect("file");
    let e = DirectorySource::new(&path).expect_err("file");
    assert!(matches!(&e, BackupError::Invalid(m) if *m == messages::source_not_a_folder(&path)), "{e}");
}
