//! A directory backed up and restored byte for byte, plain and encrypted.

use std::{fs, os::unix::net::UnixListener, path::Path, process::Command};

use lawha_backup::{
    BackupError,
    archive::run_backup,
    encryption::{generate_identity, parse_identity},
    messages,
    restore::directory::{RestoreOptions, restore_directory},
    verify::{Check, VerifyError, verify_archive, verify_archive_with},
};

use crate::support::{backup, file, key, noise, options, request, set_mtime, snapshot};

const MARKER: &[u8] = b"LAWHA-PLAINTEXT-MARKER-7f3a9c";

/// A tree with what a server folder holds: modes, a read-only folder, an empty file, a file over 1 MiB, names
/// and paths too long for a plain tar header, a hard link, symlinks (inside, dangling, absolute outside, `..`
/// outside), and a FIFO and a socket that cannot be backed up.
fn server_tree(root: &Path) {
    let site = root.join("site");
    fs::create_dir_all(site.join("static/css")).expect("dirs");
    fs::create_dir_all(site.join("locked")).expect("locked");
    let deep = site.join("a".repeat(60)).join("b".repeat(60));
    fs::create_dir_all(&deep).expect("deep");
    let mut text = b"<h1>hello</h1>\n".repeat(50);
    text.extend_from_slice(MARKER);
    file(&site.join("index.html"), &text, 0o644, 1_700_000_001);
    file(&site.join("run.sh"), b"#!/bin/sh\necho hi\n", 0o755, 1_700_000_002);
    file(&site.join("secret.key"), &noise(4096, 1), 0o600, 1_700_000_003);
    file(&site.join("readonly.txt"), b"do not touch\n", 0o444, 1_700_000_004);
    file(&site.join("empty"), b"", 0o640, 1_700_000_005);
    file(&site.join("static/css/big.bin"), &noise(3 << 20, 2), 0o644, 1_700_000_006);
    file(&site.join(format!("{}.txt", "n".repeat(120))), b"long name\n", 0o644, 1_700_000_007);
    file(&deep.join("deep.txt"), b"deep\n", 0o644, 1_700_000_008);
    file(&site.join("locked/inside.txt"), b"inside\n", 0o644, 1_700_000_009);
    fs::hard_link(site.join("index.html"), site.join("index-copy.html")).expect("hard link");
    for (name, target) in
        [("current", "static"), ("dangling", "missing-file"), ("outside", "/etc/passwd"), ("up", "../../elsewhere")]
    {
        std::os::unix::fs::symlink(target, site.join(name)).expect("symlink");
        set_mtime(&site.join(name), 1_700_000_010);
    }
    // Owners other than the test's own (root) must come back too.
    std::os::unix::fs::chown(site.join("run.sh"), Some(1234), Some(5678)).expect("chown");
    std::os::unix::fs::lchown(site.join("current"), Some(1234), Some(5678)).expect("lchown");
    std::os::unix::fs::chown(site.join("locked"), Some(4321), Some(8765)).expect("chown");
    let status = Command::new("mkfifo").arg(site.join("pipe")).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo failed");
    std::mem::forget(UnixListener::bind(site.join("app.sock")).expect("socket"));
    fs::set_permissions(site.join("locked"), std::os::unix::fs::PermissionsExt::from_mode(0o555)).expect("chmod");
    for (dir, mtime) in [(deep, 1_600_000_001), (site.join("static/css"), 1_600_000_002)] {
        set_mtime(&dir, mtime);
    }
    for dir in ["locked", "static", &"a".repeat(60)] {
        set_mtime(&site.join(dir), 1_600_000_003);
    }
    set_mtime(&site, 1_600_000_004);
}

/// The source's snapshot without the FIFO and the socket, which are skipped by design.
fn restorable(root: &Path) -> Vec<(std::path::PathBuf, String)> {
    snapshot(root).into_iter().filter(|(_, what)| !what.starts_with("special")).collect()
}

#[test]
fn a_directory_round_trips_with_modes_mtimes_owners_and_links() {
    let work = tempfile::tempdir().expect("tempdir");
    let (source, backups, target) =
        (work.path().join("src"), work.path().join("backups"), work.path().join("restored"));
    server_tree(&source);
    let completed = backup(&source, &backups, 1, 0);

    assert!(completed.verified);
    let skipped = &completed.skipped;
    assert!(skipped.contains(&messages::skipped_fifo("site/pipe")), "{skipped:?}");
    assert!(skipped.contains(&messages::skipped_socket("site/app.sock")), "{skipped:?}");
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    // The signed manifest keeps its format: each skipped entry is its message's log form.
    let logged: Vec<String> = skipped.iter().map(ToString::to_string).collect();
    assert_eq!(completed.manifest.skipped, logged);
    assert!(logged.contains(&"engine.skipped_fifo(path=site/pipe)".to_owned()), "{logged:?}");
    let expected = restorable(&source);
    assert_eq!(completed.manifest.entries, expected.len() as u64);

    let stats = restore_directory(
        &completed.archive_path,
        &key(),
        None,
        &target,
        RestoreOptions { allow_external_symlinks: true, ..options() },
    )
    .expect("restore");
    assert_eq!(stats.entries, expected.len() as u64);
    assert_eq!(snapshot(&target), expected);
    assert_eq!(fs::read_link(target.join("site/outside")).expect("link"), Path::new("/etc/passwd"));
}

#[test]
fn links_leading_outside_are_refused_unless_allowed_and_nothing_is_left() {
    let work = tempfile::tempdir().expect("tempdir");
    let (source, backups, target) =
        (work.path().join("src"), work.path().join("backups"), work.path().join("restored"));
    server_tree(&source);
    let completed = backup(&source, &backups, 1, 0);

    let refused = restore_directory(&completed.archive_path, &key(), None, &target, options()).expect_err("refused");
    let reason = match &refused {
        BackupError::Refused(m) if m.code == "engine.archive_refused" => m.arg("reason"),
        other => panic!("expected an archive refusal, got {other}"),
    };
    assert!(
        matches!(reason, Some(lawha_domain::Arg::Message(r)) if r.code == "engine.entry_symlink_outside"),
        "{refused}"
    );
    assert!(!target.exists());
    assert_eq!(crate::support::names(work.path()), ["backups", "src"]);
}

#[test]
fn an_encrypted_backup_round_trips_and_stores_no_plaintext() {
    let work = tempfile::tempdir().expect("tempdir");
    let (source, backups) = (work.path().join("src"), work.path().join("backups"));
    fs::create_dir_all(source.join("site")).expect("dir");
    // Incompressible bytes around the marker make zstd store that block raw, so an unencrypted archive holds the
    // marker verbatim and the search below can tell the two archives apart.
    let mut secret = noise(128 << 10, 4);
    secret.extend_from_slice(MARKER);
    secret.extend_from_slice(&noise(128 << 10, 5));
    file(&source.join("site/secret.bin"), &secret, 0o600, 1_700_000_000);
    file(&source.join("site/app.log"), &b"log line that repeats\n".repeat(1000), 0o640, 1_700_000_000);
    let pair = generate_identity();

    let plain = backup(&source, &backups, 1, 0);
    let mut encrypted = request(&source, &backups, 2, 1);
    encrypted.recipient = Some(pair.recipient.clone());
    let encrypted = run_backup(encrypted).expect("encrypted backup");

    let contains = |path: &Path| fs::read(path).expect("read").windows(MARKER.len()).any(|w| w == MARKER);
    assert!(contains(&plain.archive_path), "the search must find the marker in an unencrypted archive");
    assert!(!contains(&encrypted.archive_path), "the encrypted archive holds the plaintext marker");
    let stored = fs::read(&encrypted.archive_path).expect("read");
    assert!(stored.starts_with(b"age-encryption.org/v1\n"));
    assert!(zstd::decode_all(stored.as_slice()).is_err(), "the encrypted archive decompresses without the key");
    assert!(encrypted.archive_path.to_string_lossy().ends_with(".tar.zst.age"));
    assert_eq!(encrypted.manifest.encryption.as_ref().map(|e| e.recipient.as_str()), Some(pair.recipient.as_str()));

    let identity = parse_identity(&pair.identity).expect("identity");
    verify_archive(&encrypted.archive_path, &key(), Some(encrypted.manifest.run_id)).expect("verifies by hash");
    verify_archive_with(&encrypted.archive_path, &key(), None, Check::Decode(Some(&identity))).expect("decodes");

    let target = work.path().join("restored");
    let no_key = restore_directory(&encrypted.archive_path, &key(), None, &target, options()).expect_err("no key");
    assert!(matches!(no_key, BackupError::Verify(VerifyError::IdentityRequired { .. })), "{no_key}");
    let other = generate_identity();
    let wrong = restore_directory(&encrypted.archive_path, &key(), Some(&other.identity), &target, options())
        .expect_err("wrong key");
    assert!(matches!(wrong, BackupError::Verify(VerifyError::WrongIdentity { .. })), "{wrong}");
    assert!(!target.exists());

    restore_directory(&encrypted.archive_path, &key(), Some(&pair.identity), &target, options()).expect("restore");
    assert_eq!(snapshot(&target), snapshot(&source));
}

#[test]
fn overwriting_replaces_the_target_and_refuses_without_permission() {
    let work = tempfile::tempdir().expect("tempdir");
    let (source, backups, target) =
        (work.path().join("src"), work.path().join("backups"), work.path().join("restored"));
    fs::create_dir_all(&source).expect("src");
    file(&source.join("new.txt"), b"new\n", 0o644, 1_700_000_000);
    let completed = backup(&source, &backups, 1, 0);
    fs::create_dir_all(&target).expect("old target");
    fs::write(target.join("old.txt"), b"old").expect("old file");

    let refused = restore_directory(&completed.archive_path, &key(), None, &target, options()).expect_err("exists");
    assert!(matches!(&refused, BackupError::Refused(m) if *m == messages::restore_target_exists(&target)), "{refused}");
    assert!(target.join("old.txt").exists());

    let overwrite = RestoreOptions { overwrite: true, ..options() };
    restore_directory(&completed.archive_path, &key(), None, &target, overwrite).expect("overwrite");
    assert_eq!(snapshot(&target), snapshot(&source));
    assert_eq!(crate::support::names(work.path()), ["backups", "restored", "src"]);
}

#[test]
fn progress_ends_with_the_manifest_figures() {
    let work = tempfile::tempdir().expect("tempdir");
    let (source, backups) = (work.path().join("src"), work.path().join("backups"));
    fs::create_dir_all(&source).expect("src");
    file(&source.join("data.bin"), &noise(2 << 20, 3), 0o644, 1_700_000_000);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut req = request(&source, &backups, 1, 0);
    let sink = seen.clone();
    req.progress = Some(Box::new(move |p| sink.lock().expect("lock").push(p)));
    let completed = run_backup(req).expect("backup");
    let seen = seen.lock().expect("lock");
    let last = seen.last().expect("at least the final report");
    assert_eq!(last.source_bytes, completed.manifest.source_bytes);
    assert!(completed.manifest.source_bytes > 2 << 20);
    assert_eq!(last.stored_bytes, completed.manifest.stored_bytes);
}
