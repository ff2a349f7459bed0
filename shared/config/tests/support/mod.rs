//! What the configuration tests share: loading from an environment snapshot and a file, and the problems.

#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};

use lawha_config::{Config, EnvHints, LoadOptions, Problems};

/// Options for `env` (a snapshot, never the real environment) and an optional file.
pub fn options(env: &[(&str, &str)], config_file: Option<&Path>) -> LoadOptions {
    LoadOptions {
        config_file: config_file.map(Path::to_path_buf),
        env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        hints: EnvHints::default(),
    }
}

/// The problems of a configuration that must be refused.
pub fn problems(env: &[(&str, &str)]) -> Problems {
    Config::load(&options(env, None)).expect_err("configuration should be refused")
}

/// Writes a test file.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

/// The problems of a configuration file that must be refused.
pub fn problems_of_file(text: &str) -> Problems {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "lawha.toml", text);
    Config::load(&options(&[], Some(&file))).expect_err("configuration should be refused")
}
