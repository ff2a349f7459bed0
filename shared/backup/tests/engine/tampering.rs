//! Every kind of tampering is reported as its own `VerifyError`, and a restore refuses it before writing.

use std::{fs, io::Write as _, path::Path};

use lawha_backup::{
    BackupError,
    archive::Completed,
    manifest::{ManifestKey, manifest_path},
    messages,
    restore::directory::restore_directory,
    verify::{BackupId, Check, VerifyError, verify_archive, verify_archive_with},
};
use uuid::Uuid;

use crate::support::{backup, file, key, names, noise, options, signed_archive};

fn one_backup(work: &Path, run: u128, started: i64) -> Completed {
    let source = work.join(format!("src-{run}"));
    fs::create_dir_all(&source).expect("src");
    file(&source.join("data.bin"), &noise(256 << 10, run as u64), 0o644, 1_700_000_000);
    file(&source.join("notes.txt"), &b"notes\n".repeat(500), 0o644, 1_700_000_000);
    backup(&source, &work.join("backups"), run, started)
}

/// A restore of a tampered archive fails with the same error and creates nothing.
fn restore_refuses(completed: &Completed, work: &Path) -> VerifyError {
    let target = work.join("restored");
    match restore_directory(&completed.archive_path, &key(), None, &target, options()) {
        Err(BackupError::Verify(e)) => {
            assert!(!target.exists());
            assert!(names(work).iter().all(|n| !n.contains(".restore-")), "{:?}", names(work));
            e
        }
        other => panic!("expected a verification error, got {other:?}"),
    }
}

#[test]
fn an_untouched_archive_verifies() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    let manifest = verify_archive(&completed.archive_path, &key(), Some(Uuid::from_u128(1))).expect("verifies");
    assert_eq!(manifest, completed.manifest);
    verify_archive_with(&completed.archive_path, &key(), None, Check::Decode(None)).expect("decodes");
}

#[test]
fn a_flipped_byte_is_archive_changed() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    let mut bytes = fs::read(&completed.archive_path).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&completed.archive_path, &bytes).expect("write");
    let e = verify_archive(&completed.archive_path, &key(), None).expect_err("changed");
    assert!(matches!(e, VerifyError::ArchiveChanged { .. }), "{e}");
    let VerifyError::ArchiveChanged { expected, actual } = &e else { unreachable!() };
    assert_eq!(*expected, completed.manifest.sha256);
    assert_eq!(e.message(), messages::archive_changed(actual, expected));
    assert!(matches!(restore_refuses(&completed, work.path()), VerifyError::ArchiveChanged { .. }));
}

#[test]
fn an_edited_manifest_is_manifest_changed() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    let path = manifest_path(&completed.archive_path);
    let text = fs::read_to_string(&path).expect("read");
    let edited = text.replace("\"site files\"", "\"other files\"");
    assert_ne!(text, edited);
    fs::write(&path, edited).expect("write");
    let e = verify_archive(&completed.archive_path, &key(), None).expect_err("changed");
    assert!(matches!(e, VerifyError::ManifestChanged), "{e}");
    assert!(matches!(restore_refuses(&completed, work.path()), VerifyError::ManifestChanged));
}

#[test]
fn a_truncated_archive_is_truncated_and_a_longer_one_a_size_mismatch() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    let size = completed.manifest.stored_bytes;
    let archive = fs::OpenOptions::new().write(true).open(&completed.archive_path).expect("open");
    archive.set_len(size - 100).expect("truncate");
    let e = verify_archive(&completed.archive_path, &key(), None).expect_err("truncated");
    assert!(
        matches!(e, VerifyError::Truncated { expected, actual } if expected == size && actual == size - 100),
        "{e}"
    );
    assert_eq!(e.message(), messages::verify_truncated(size - 100, size));
    assert!(matches!(restore_refuses(&completed, work.path()), VerifyError::Truncated { .. }));

    archive.set_len(size).expect("restore the length");
    fs::OpenOptions::new()
        .append(true)
        .open(&completed.archive_path)
        .expect("open")
        .write_all(b"junk")
        .expect("append");
    let e = verify_archive(&completed.archive_path, &key(), None).expect_err("longer");
    assert!(
        matches!(e, VerifyError::SizeMismatch { expected, actual } if expected == size && actual == size + 4),
        "{e}"
    );
}

#[test]
fn another_runs_manifest_renamed_beside_the_archive_is_other_run() {
    let work = tempfile::tempdir().expect("tempdir");
    let first = one_backup(work.path(), 1, 0);
    let second = one_backup(work.path(), 2, 60);
    fs::copy(manifest_path(&second.archive_path), manifest_path(&first.archive_path)).expect("copy");
    let e = verify_archive(&first.archive_path, &key(), None).expect_err("other run");
    assert!(
        matches!(&e, VerifyError::OtherRun { expected, found }
            if *expected == BackupId::File(first.manifest.archive_file.clone())
                && *found == BackupId::File(second.manifest.archive_file.clone())),
        "{e}"
    );
    let expected = messages::manifest_other_backup(
        messages::backup_file(first.manifest.archive_file.as_str()),
        messages::backup_file(second.manifest.archive_file.as_str()),
    );
    assert_eq!(e.message(), expected);
    assert!(matches!(restore_refuses(&first, work.path()), VerifyError::OtherRun { .. }));
}

#[test]
fn an_archive_of_another_run_than_expected_is_other_run() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    let e = verify_archive(&completed.archive_path, &key(), Some(Uuid::from_u128(99))).expect_err("other run");
    assert!(
        matches!(&e, VerifyError::OtherRun { expected, found }
            if *expected == BackupId::Run(Uuid::from_u128(99)) && *found == BackupId::Run(Uuid::from_u128(1))),
        "{e}"
    );
}

#[test]
fn another_panels_key_is_wrong_key() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    let other = ManifestKey::derive(b"another panel");
    let e = verify_archive(&completed.archive_path, &other, None).expect_err("wrong key");
    assert!(
        matches!(&e, VerifyError::WrongKey { expected, found } if *expected == other.key_id() && *found == key().key_id()),
        "{e}"
    );
}

#[test]
fn a_manifest_signed_before_the_secret_key_was_rotated_verifies_under_the_previous_key() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    let rotated = ManifestKey::derive_with_previous(b"the rotated secret key", &[b"engine tests secret"]);
    verify_archive(&completed.archive_path, &rotated, None).expect("a previous key still checks what it signed");
    assert_ne!(rotated.key_id(), key().key_id(), "new manifests are signed under the new key");
    let without = ManifestKey::derive(b"the rotated secret key");
    assert!(matches!(verify_archive(&completed.archive_path, &without, None), Err(VerifyError::WrongKey { .. })));
}

#[test]
fn a_missing_or_garbled_manifest_is_named_as_such() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    fs::write(&completed.manifest_path, b"{ not json").expect("garble");
    let e = verify_archive(&completed.archive_path, &key(), None).expect_err("unreadable");
    assert!(
        matches!(&e, VerifyError::UnreadableManifest { path, reason }
            if *path == completed.manifest_path && reason.code == "engine.manifest_not_json"),
        "{e}"
    );
    fs::remove_file(&completed.manifest_path).expect("remove");
    let e = verify_archive(&completed.archive_path, &key(), None).expect_err("missing");
    assert!(matches!(e, VerifyError::MissingManifest { .. }), "{e}");
    assert!(matches!(restore_refuses(&completed, work.path()), VerifyError::MissingManifest { .. }));
}

#[test]
fn a_stream_that_does_not_decode_is_corrupt_when_decoding_is_asked() {
    let work = tempfile::tempdir().expect("tempdir");
    // A correctly signed manifest over bytes that are not a zstd frame: the hash holds, the decoding does not.
    let archive = signed_archive(&work.path().join("backups"), b"", 1);
    let mut bytes = fs::read(&archive).expect("read");
    bytes.truncate(4);
    bytes.extend_from_slice(&[0xff; 64]);
    let archive = rewrite_signed(&archive, &bytes);
    verify_archive(&archive, &key(), None).expect("the hash matches");
    let e = verify_archive_with(&archive, &key(), None, Check::Decode(None)).expect_err("corrupt");
    assert!(matches!(&e, VerifyError::Corrupt(problem) if problem.code.starts_with("engine.corrupt_")), "{e}");
    assert_eq!(e.message().code, "engine.archive_corrupt");
    let target = work.path().join("restored");
    let e = restore_directory(&archive, &key(), None, &target, options()).expect_err("refused");
    assert!(matches!(e, BackupError::Verify(VerifyError::Corrupt(_))), "{e}");
    assert!(!target.exists());
    assert_eq!(names(work.path()), ["backups"]);
}

/// Replaces a signed archive's bytes and re-signs its manifest for them.
fn rewrite_signed(archive: &Path, bytes: &[u8]) -> std::path::PathBuf {
    use sha2::Digest as _;
    fs::write(archive, bytes).expect("write");
    let path = manifest_path(archive);
    let mut manifest = lawha_backup::manifest::Manifest::parse(&fs::read(&path).expect("read")).expect("parse");
    manifest.stored_bytes = bytes.len() as u64;
    manifest.sha256 = hex::encode(sha2::Sha256::digest(bytes));
    manifest.sign(&key());
    fs::remove_file(&path).expect("remove");
    lawha_backup::manifest::write_manifest(&manifest, &path).expect("write manifest");
    archive.to_path_buf()
}

#[test]
fn a_manifest_that_understates_the_expanded_size_is_caught_when_a_plain_archive_is_decoded() {
    let work = tempfile::tempdir().expect("tempdir");
    let completed = one_backup(work.path(), 1, 0);
    let path = manifest_path(&completed.archive_path);
    let mut manifest = lawha_backup::manifest::Manifest::parse(&fs::read(&path).expect("read")).expect("parse");
    let actual = manifest.source_bytes;
    manifest.source_bytes = 1024;
    manifest.sign(&key());
    fs::remove_file(&path).expect("remove");
    lawha_backup::manifest::write_manifest(&manifest, &path).expect("write manifest");

    verify_archive(&completed.archive_path, &key(), None).expect("the signature, size and hash hold");
    let e = verify_archive_with(&completed.archive_path, &key(), None, Check::DecodeIfReadable(None))
        .expect_err("the stream expands to more than the manifest says");
    assert!(matches!(&e, VerifyError::Corrupt(m) if *m == messages::decoded_size_mismatch(actual, 1024u64)), "{e}");
}
