//! The backups' settings and the paths the panel protects from backups: defaults, both layers, precise problems,
//! and the secret files the `*_FILE` variables named.

mod support;

use std::path::PathBuf;

use lawha_config::{Config, Origin};
use support::options;

#[test]
fn backups_keys_default_and_load_from_the_file_and_the_environment() {
    let config = Config::load(&options(&[], None)).expect("defaults are valid");
    assert!(config.backups.protected_paths.is_empty());
    assert_eq!(config.backups.safety_copy_hours, 24);

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lawha.toml");
    std::fs::write(&file, "[backups]\nprotected_paths = [\"/srv/keys\"]\nsafety_copy_hours = 0\n").expect("write");
    let config = Config::load(&options(&[], Some(&file))).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.backups.protected_paths, [PathBuf::from("/srv/keys")]);
    assert_eq!(config.backups.safety_copy_hours, 0);
    assert!(config.render_effective().contains("protected_paths = [\"/srv/keys\"]"));

    let env =
        [("LAWHA_BACKUPS__PROTECTED_PATHS", "/srv/a, /home/deploy/.ssh,"), ("LAWHA_BACKUPS__SAFETY_COPY_HOURS", "48")];
    let config = Config::load(&options(&env, Some(&file))).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.backups.protected_paths, [PathBuf::from("/srv/a"), PathBuf::from("/home/deploy/.ssh")]);
    assert_eq!(config.backups.safety_copy_hours, 48);
    assert_eq!(config.origin("backups.protected_paths"), Some(&Origin::Env("LAWHA_BACKUPS__PROTECTED_PATHS".into())));
    let protected = config.protected_paths();
    assert!(protected.contains(&PathBuf::from("/srv/a")) && protected.contains(&config.data_dir), "{protected:?}");
}

#[test]
fn a_relative_or_climbing_protected_path_and_a_long_safety_copy_time_are_reported() {
    let env = [
        ("LAWHA_BACKUPS__PROTECTED_PATHS", "/srv/ok,secrets,/srv/../etc"),
        ("LAWHA_BACKUPS__SAFETY_COPY_HOURS", "9000"),
    ];
    let found = Config::load(&options(&env, None)).expect_err("refused");
    let text = found.to_string();
    assert_eq!(found.len(), 3, "{text}");
    assert!(
        text.contains(
            "backups.protected_paths (LAWHA_BACKUPS__PROTECTED_PATHS): entry 2: \"secrets\" is not an absolute path"
        ),
        "{text}"
    );
    assert!(text.contains("entry 3: \"/srv/../etc\" is not an absolute path without `..`"), "{text}");
    assert!(
        text.contains("backups.safety_copy_hours (LAWHA_BACKUPS__SAFETY_COPY_HOURS): 9000 is out of range"),
        "{text}"
    );
}

#[test]
fn the_files_secrets_were_read_from_are_protected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef\n").expect("key");
    let shown = key.to_str().expect("utf-8 path");
    let config = Config::load(&options(&[("LAWHA_SECRET_KEY_FILE", shown)], None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.secret_files, std::slice::from_ref(&key));
    let protected = config.protected_paths();
    for expected in [key, PathBuf::from("/etc/lawha"), PathBuf::from("/run/secrets")] {
        assert!(protected.contains(&expected), "{} in {protected:?}", expected.display());
    }
}
