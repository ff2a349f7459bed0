//! Hostile archives, signed like genuine ones so that they reach the extractor through `restore_directory`: each
//! is refused, writes nothing outside the target, and leaves neither a target nor a temporary folder.

use std::{fs, path::Path};

use lawha_backup::{
    BackupError,
    messages::{self, archive_refused},
    restore::directory::{RestoreOptions, check_archive_entries, restore_directory},
};
use lawha_domain::Message;
use tar::EntryType;

use crate::support::{Raw, key, names, options, raw_tar, signed_archive};

fn entry<'a>(name: &'a [u8], kind: EntryType, link: &'a [u8], data: &'a [u8]) -> Raw<'a> {
    Raw { name, kind, link, data }
}

/// A work folder with `outside/` (what an escape would reach), `backups/` and `restore/` (the target's parent).
fn work() -> tempfile::TempDir {
    let work = tempfile::tempdir().expect("tempdir");
    for dir in ["outside", "backups", "restore"] {
        fs::create_dir(work.path().join(dir)).expect("dir");
    }
    work
}

/// Restores the crafted entries and returns the refusal, after checking that nothing was left anywhere.
fn refused(work: &Path, entries: &[Raw<'_>], options: RestoreOptions) -> Message {
    let archive = signed_archive(&work.join("backups"), &raw_tar(entries), 1);
    let target = work.join("restore/target");
    let result = restore_directory(&archive, &key(), None, &target, options);
    let Err(BackupError::Refused(message)) = result else { panic!("expected a refusal, got {result:?}") };
    assert!(!target.exists(), "a refused archive left a target");
    assert_eq!(names(&work.join("restore")), Vec::<String>::new(), "a refused archive left a temporary folder");
    assert_eq!(names(&work.join("outside")), Vec::<String>::new(), "something was written outside");
    assert!(!work.join("restore/x").exists() && !work.join("x").exists());
    message
}

#[test]
fn a_path_climbing_out_is_refused() {
    let work = work();
    let message = refused(work.path(), &[entry(b"../x", EntryType::Regular, b"", b"pwned")], options());
    assert_eq!(message, archive_refused("../x", messages::entry_parent_dir()));
}

#[test]
fn an_absolute_path_is_refused() {
    let work = work();
    let victim = work.path().join("outside/abs");
    let name = victim.to_string_lossy().into_owned();
    let message = refused(work.path(), &[entry(name.as_bytes(), EntryType::Regular, b"", b"pwned")], options());
    assert_eq!(message, archive_refused(name.as_str(), messages::entry_absolute()));
}

#[test]
fn a_symlink_escape_is_refused_and_never_written_through() {
    let work = work();
    let outside = work.path().join("outside").to_string_lossy().into_owned();
    let entries = [
        entry(b"link", EntryType::Symlink, outside.as_bytes(), b""),
        entry(b"link/pwned", EntryType::Regular, b"", b"pwned"),
    ];
    let message = refused(work.path(), &entries, options());
    assert_eq!(message, archive_refused("link", messages::entry_symlink_outside(outside.as_str())));
    // Even where outside links are allowed, nothing is written through one.
    let allowed = RestoreOptions { allow_external_symlinks: true, ..options() };
    let message = refused(work.path(), &entries, allowed);
    assert_eq!(message, archive_refused("link/pwned", messages::entry_through_symlink("link")));
}

#[test]
fn a_chain_of_links_that_climbs_out_is_refused_even_when_built_backwards() {
    let work = work();
    // d/l3 -> l2/../.. looks inside while d/l2 does not exist; d/l2 -> .. then makes it climb out.
    let entries = [
        entry(b"d/", EntryType::Directory, b"", b""),
        entry(b"d/l3", EntryType::Symlink, b"l2/../..", b""),
        entry(b"d/l2", EntryType::Symlink, b"..", b""),
    ];
    let message = refused(work.path(), &entries, options());
    assert_eq!(message, archive_refused("d/l3", messages::entry_symlink_outside("l2/../..")));
}

#[test]
fn hard_links_outside_or_to_non_files_are_refused() {
    let work = work();
    let message = refused(work.path(), &[entry(b"h", EntryType::Link, b"../outside/file", b"")], options());
    assert_eq!(message, archive_refused("h", messages::entry_hardlink_outside("../outside/file")));
    let message = refused(work.path(), &[entry(b"h", EntryType::Link, b"/etc/passwd", b"")], options());
    assert_eq!(message, archive_refused("h", messages::entry_hardlink_outside("/etc/passwd")));
    let entries = [entry(b"s", EntryType::Symlink, b"f", b""), entry(b"h", EntryType::Link, b"s", b"")];
    let message = refused(work.path(), &entries, options());
    assert_eq!(message, archive_refused("h", messages::entry_hardlink_not_a_file("s")));
}

#[test]
fn devices_and_fifos_are_refused() {
    let work = work();
    let message = refused(work.path(), &[entry(b"tty", EntryType::Char, b"", b"")], options());
    assert_eq!(message, archive_refused("tty", messages::entry_char_device()));
    let message = refused(work.path(), &[entry(b"disk", EntryType::Block, b"", b"")], options());
    assert_eq!(message, archive_refused("disk", messages::entry_block_device()));
    let message = refused(work.path(), &[entry(b"pipe", EntryType::Fifo, b"", b"")], options());
    assert_eq!(message, archive_refused("pipe", messages::entry_fifo()));
}

#[test]
fn an_expansion_bomb_is_refused_at_the_limit() {
    let work = work();
    let zeros = vec![0u8; 8 << 20];
    let limit = RestoreOptions { max_bytes: 1 << 20, ..options() };
    let message = refused(work.path(), &[entry(b"bomb", EntryType::Regular, b"", &zeros)], limit);
    assert_eq!(message, archive_refused("bomb", messages::entry_over_limit(1_048_576u64)));
    // Many files each under the limit add up too.
    let part = vec![0u8; 400 << 10];
    let entries = [
        entry(b"a", EntryType::Regular, b"", &part),
        entry(b"b", EntryType::Regular, b"", &part),
        entry(b"c", EntryType::Regular, b"", &part),
    ];
    let message = refused(work.path(), &entries, limit);
    assert_eq!(message, archive_refused("c", messages::entry_over_limit(1_048_576u64)));
}

#[test]
fn a_path_given_twice_is_refused() {
    let work = work();
    let entries = [entry(b"a", EntryType::Regular, b"", b"one"), entry(b"a", EntryType::Regular, b"", b"two")];
    let message = refused(work.path(), &entries, options());
    assert_eq!(message, archive_refused("a", messages::entry_twice()));
}

#[test]
fn raw_tar_streams_go_through_the_same_checks_without_a_manifest() {
    let work = work();
    let target = work.path().join("restore/target");
    let hostile =
        raw_tar(&[entry(b"ok.txt", EntryType::Regular, b"", b"fine"), entry(b"../x", EntryType::Regular, b"", b"x")]);
    let result = check_archive_entries(hostile.as_slice(), &target, options());
    assert!(
        matches!(&result, Err(BackupError::Refused(m)) if *m == archive_refused("../x", messages::entry_parent_dir())),
        "{result:?}"
    );
    assert!(!target.exists());
    assert_eq!(names(&work.path().join("restore")), Vec::<String>::new());

    let benign = raw_tar(&[
        entry(b"dir/", EntryType::Directory, b"", b""),
        entry(b"dir/ok.txt", EntryType::Regular, b"", b"fine"),
    ]);
    let stats = check_archive_entries(benign.as_slice(), &target, options()).expect("benign");
    assert_eq!((stats.entries, stats.bytes), (2, 4));
    assert_eq!(fs::read(target.join("dir/ok.txt")).expect("read"), b"fine");
}
