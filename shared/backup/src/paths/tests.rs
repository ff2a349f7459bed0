//! The path policy on real paths: resolution (`..`, symlinks, what does not exist yet), every system folder and
//! tree refused as a restore target before anything is written, protected paths refused for each use, and the
//! folders that stay allowed. Nothing here writes outside a temporary folder.

use std::os::unix::fs::symlink;

use super::*;

/// The refusal message of a check that must fail.
fn refusal(result: Result<PathBuf, BackupError>) -> lawha_domain::Message {
    match result {
        Err(BackupError::Refused(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn dot_dot_is_resolved_where_the_path_exists_and_refused_where_it_does_not() {
    let work = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(work.path()).expect("canonical");
    fs::create_dir(root.join("a")).expect("a");
    assert_eq!(resolve(&root.join("a/../b/c")).expect("resolves"), root.join("b/c"));
    assert_eq!(resolve(&root.join("./a/./new")).expect("resolves"), root.join("a/new"));
    // /tmp/<work>/a/../../../etc is /etc once `a` exists: the kernel's meaning, and a system folder.
    let climbing = root.join("a").join("../".repeat(root.components().count())).join("etc");
    assert_eq!(resolve(&climbing).expect("resolves"), Path::new("/etc"));
    let policy = PathPolicy::new(Vec::<PathBuf>::new());
    assert_eq!(refusal(policy.check(&climbing, PathUse::RestoreTarget)), messages::path_system_folder("/etc"));
    assert_eq!(refusal(policy.check(&climbing, PathUse::Destination)), messages::path_system_folder("/etc"));
    // Where `missing` does not exist, what `..` would climb out of is unknown: refused.
    let unknown = root.join("missing/../../etc");
    assert_eq!(refusal(resolve(&unknown)), messages::path_climbs_where_missing(&unknown));
    assert_eq!(refusal(resolve(Path::new("srv/site"))), messages::path_not_absolute("srv/site"));
}

#[test]
fn symlinks_are_followed_before_the_check() {
    let work = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(work.path()).expect("canonical");
    let (secrets, elsewhere) = (root.join("secrets"), root.join("elsewhere"));
    fs::create_dir_all(&secrets).expect("secrets");
    fs::create_dir_all(&elsewhere).expect("elsewhere");
    symlink(&secrets, root.join("to-secrets")).expect("link");
    symlink("/etc", root.join("to-etc")).expect("link");
    symlink(&elsewhere, root.join("fine")).expect("link");
    let policy = PathPolicy::new([&secrets]);
    let through = root.join("to-secrets/keys");
    assert_eq!(resolve(&through).expect("resolves"), secrets.join("keys"));
    for usage in [PathUse::Source, PathUse::Destination, PathUse::RestoreTarget] {
        let expected = messages::path_in_protected(&secrets.join("keys"), &secrets);
        assert_eq!(refusal(policy.check(&through, usage)), expected, "{usage:?}");
        assert_eq!(refusal(policy.check(&root.join("to-secrets"), usage)), messages::path_is_protected(&secrets));
    }
    let to_etc = root.join("to-etc");
    assert_eq!(refusal(policy.check(&to_etc, PathUse::RestoreTarget)), messages::path_system_folder("/etc"));
    assert_eq!(policy.check(&to_etc, PathUse::Source).expect("/etc may be backed up"), Path::new("/etc"));
    assert_eq!(policy.check(&root.join("fine/site"), PathUse::RestoreTarget).expect("allowed"), elsewhere.join("site"));
    // A loop cannot be resolved, and is refused rather than taken as a plain name.
    symlink("loop", root.join("loop")).expect("loop");
    assert!(matches!(refusal(resolve(&root.join("loop/x"))).code.as_str(), "engine.path_unresolvable"));
}

#[test]
fn every_system_folder_and_tree_is_refused_as_a_restore_target_and_a_destination() {
    let policy = PathPolicy::new(Vec::<PathBuf>::new());
    for path in SYSTEM_FOLDERS.iter().chain(SYSTEM_TREES) {
        let resolved = resolve(Path::new(path)).expect("resolves");
        for usage in [PathUse::RestoreTarget, PathUse::Destination] {
            let refused = refusal(policy.check(Path::new(path), usage));
            // A link such as /lib -> usr/lib resolves into a tree; everything else is refused as itself.
            if resolved == Path::new(path) {
                assert_eq!(refused, messages::path_system_folder(&resolved), "{path} {usage:?}");
            } else {
                assert_eq!(refused.code, "engine.path_in_system_tree", "{path} -> {resolved:?} {usage:?}");
            }
        }
    }
    // /var holds /var/lib, and / everything: each is a system folder itself, which is what the refusal says.
    let with_etc_protected = PathPolicy::new(["/etc/lawha"]);
    let etc = refusal(with_etc_protected.check(Path::new("/etc"), PathUse::Destination));
    assert_eq!(etc, messages::path_system_folder("/etc"), "what /etc is comes before what it holds");
    for (path, tree) in
        [("/usr/local/bin", "/usr"), ("/proc/1", "/proc"), ("/dev/shm/x", "/dev"), ("/boot/efi", "/boot")]
    {
        let refused = refusal(policy.check(Path::new(path), PathUse::RestoreTarget));
        assert_eq!(refused, messages::path_in_system_tree(&resolve(Path::new(path)).expect("resolves"), tree));
    }
}

#[test]
fn folders_inside_system_folders_are_fine_and_system_folders_may_be_backed_up() {
    let policy = PathPolicy::new(Vec::<PathBuf>::new());
    for path in ["/home/alice", "/etc/nginx", "/srv/site", "/var/www/site", "/var/lib/postgresql", "/tmp/restored"] {
        let checked = policy.check(Path::new(path), PathUse::RestoreTarget);
        assert!(checked.is_ok(), "{path}: {checked:?}");
        assert!(policy.check(Path::new(path), PathUse::Destination).is_ok(), "{path}");
    }
    for path in ["/etc", "/home", "/var/lib", "/"] {
        assert!(policy.check(Path::new(path), PathUse::Source).is_ok(), "{path}");
    }
}

#[test]
fn protected_paths_are_refused_for_every_use_and_left_out_of_the_folders_that_hold_them() {
    let work = tempfile::tempdir().expect("tempdir");
    let root = fs::canonicalize(work.path()).expect("canonical");
    let (data, key) = (root.join("data"), root.join("secret.key"));
    fs::create_dir(&data).expect("data");
    fs::write(&key, "k").expect("key");
    let policy = PathPolicy::new([&data, &key]);
    for usage in [PathUse::Source, PathUse::Destination, PathUse::RestoreTarget] {
        assert_eq!(refusal(policy.check(&data, usage)), messages::path_is_protected(&data), "{usage:?}");
        assert_eq!(refusal(policy.check(&key, usage)), messages::path_is_protected(&key), "{usage:?}");
        let inside = data.join("lawha.db");
        assert_eq!(refusal(policy.check(&inside, usage)), messages::path_in_protected(&inside, &data), "{usage:?}");
    }
    // A folder holding them: no archive or restore goes there, and a backup of it leaves them out.
    for usage in [PathUse::Destination, PathUse::RestoreTarget] {
        assert_eq!(refusal(policy.check(&root, usage)), messages::path_holds_protected(&root, &data), "{usage:?}");
    }
    assert_eq!(policy.check(&root, PathUse::Source).expect("a backup of the folder"), root);
    assert_eq!(policy.left_out_of(&root), [data.clone(), key]);
    let everything = policy.left_out_of(Path::new("/"));
    assert_eq!(everything.len(), policy.protected().len() + NEVER_READ.len(), "/ holds every one: {everything:?}");
    assert!(policy.left_out_of(&data).is_empty(), "a path is not left out of itself");
    // /proc holds every process's environment: never read, and left out of a backup of /.
    assert_eq!(refusal(policy.check(Path::new("/proc/self"), PathUse::Source)).code, "engine.path_in_protected");
    assert!(policy.left_out_of(Path::new("/")).contains(&PathBuf::from("/proc")));
    // A sibling whose name merely starts the same is not inside.
    assert!(policy.check(&root.join("data-2"), PathUse::RestoreTarget).is_ok());
}

#[test]
fn a_relative_protected_path_is_taken_against_the_working_directory() {
    let policy = PathPolicy::new(["data"]);
    let expected = resolve(&std::env::current_dir().expect("cwd").join("data")).expect("resolves");
    assert!(policy.protected().contains(&expected), "{:?}", policy.protected());
}

#[test]
fn a_restore_into_the_panels_own_database_is_refused() {
    let policy = PathPolicy::new(Vec::<PathBuf>::new()).with_panel_database("postgres://lawha:pw@localhost:5432/lawha");
    let refused = policy.check_database_target("postgresql://app:other@127.0.0.1/lawha").expect_err("the panel's");
    assert!(
        matches!(&refused, BackupError::Refused(m) if *m == messages::restore_into_panel_database("postgresql://app:***@127.0.0.1/lawha")),
        "{refused}"
    );
    assert!(policy.check_database_target("postgres://u@[::1]:5432/lawha").is_err(), "::1 is localhost too");
    assert!(policy.check_database_target("postgres://u@/lawha?host=/run/postgresql").is_err(), "the local socket");
    assert!(policy.check_database_target("postgres://u@localhost:5432/lawha_copy").is_ok());
    assert!(policy.check_database_target("postgres://u@localhost:5433/lawha").is_ok(), "another server");
    assert!(policy.check_database_target("postgres://u@db.example:5432/lawha").is_ok(), "another host");
    assert!(policy.check_database_target("mysql://u@localhost/lawha").is_ok(), "MariaDB's port");
    let sqlite = PathPolicy::new(Vec::<PathBuf>::new()).with_panel_database("sqlite:///var/lib/lawha/lawha.db");
    assert!(sqlite.check_database_target("postgres://u@localhost/lawha").is_ok());
}
