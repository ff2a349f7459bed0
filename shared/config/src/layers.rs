//! Gathering raw values from the layers: defaults < TOML file < environment.
//!
//! This module only finds out which text each key was given and where it came
//! from; turning text into typed values happens in `validate`, so that a bad
//! value in one layer is reported with its origin.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::keys::{self, KEYS, NOT_KEYS, TEST_PREFIX};
use crate::problem::{Problem, closest};
use crate::profile::EnvHints;

/// Everything [`crate::Config::load`] reads, gathered up front so tests can
/// pass their own environment instead of mutating the process's.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The file given with `--config`; it overrides `LAWHA_CONFIG`.
    pub config_file: Option<PathBuf>,
    /// A snapshot of the environment as name/value pairs.
    pub env: Vec<(String, String)>,
    /// The facts that decide the profile.
    pub hints: EnvHints,
}

impl LoadOptions {
    /// Snapshots the real process environment.
    pub fn from_process(config_file: Option<PathBuf>) -> Self {
        let env = crate::process_env();
        let hints = EnvHints::from_env(&env);
        Self { config_file, env, hints }
    }
}

/// Where a configuration value came from, shown by `lawha config check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default for the profile.
    Default,
    /// The TOML configuration file.
    File,
    /// An environment variable, named here (including `_FILE` variants).
    Env(String),
    /// The development key file that [`crate::Config::ensure_secret_key`]
    /// read or created.
    KeyFile(PathBuf),
    /// [`crate::Config::test`], which fixes values for test suites.
    Test,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File => f.write_str("file"),
            Self::Env(name) => write!(f, "env {name}"),
            Self::KeyFile(path) => write!(f, "key file {}", path.display()),
            Self::Test => f.write_str("Config::test"),
        }
    }
}

/// A value as found in a layer, before it is parsed.
#[derive(Debug, Clone)]
pub(crate) enum RawValue {
    /// A string from the file or any environment variable.
    Text(String),
    /// An integer from the file.
    Integer(i64),
    /// An array of strings from the file (list keys also accept a comma-separated string).
    List(Vec<String>),
    /// Any other TOML type, named for the error message.
    Other(&'static str),
}

/// A raw value and the layer it came from.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub(crate) value: RawValue,
    pub(crate) origin: Origin,
}

/// The winning raw value of every key that some layer set.
#[derive(Debug, Default)]
pub(crate) struct Layers {
    pub(crate) values: BTreeMap<&'static str, Raw>,
    pub(crate) config_file: Option<PathBuf>,
    /// The files `LAWHA_<KEY>_FILE` variables named, which hold secrets (backups must never touch them).
    pub(crate) secret_files: Vec<PathBuf>,
}

/// Reads the file (if any) and the environment snapshot into [`Layers`],
/// recording every problem found on the way.
pub(crate) fn collect(opts: &LoadOptions, problems: &mut Vec<Problem>) -> Layers {
    let mut layers = Layers::default();
    let path = opts
        .config_file
        .clone()
        .or_else(|| env_get(&opts.env, "LAWHA_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from));
    if let Some(path) = path {
        read_file(&path, &mut layers.values, problems);
        layers.config_file = Some(path);
    }
    layers.secret_files = read_env(&opts.env, &mut layers.values, problems);
    layers
}

/// Finds a variable in an environment snapshot.
pub(crate) fn env_get<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn read_file(path: &Path, values: &mut BTreeMap<&'static str, Raw>, problems: &mut Vec<Problem>) {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            problems.push(Problem::new(
                "config",
                "LAWHA_CONFIG",
                format!("cannot read configuration file {shown}: {err}"),
                "check the path given with --config or LAWHA_CONFIG, and its permissions",
            ));
            return;
        }
    };
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(err) => {
            // toml's message quotes the offending line, which could hold a
            // secret, so only its first line (the position) and the reason are
            // kept.
            let message = toml_error_summary(&err);
            problems.push(Problem::new(
                "config",
                "LAWHA_CONFIG",
                format!("cannot parse configuration file {shown}: {message}"),
                "correct the TOML syntax at that line",
            ));
            return;
        }
    };
    for (name, value) in table {
        match value {
            toml::Value::Table(section) if keys::sections().contains(&name.as_str()) => {
                for (inner, value) in section {
                    insert_file_value(&format!("{name}.{inner}"), value, values, problems);
                }
            }
            value => insert_file_value(&name, value, values, problems),
        }
    }
}

/// Keeps toml's position and reason but not the quoted source line.
fn toml_error_summary(err: &toml::de::Error) -> String {
    let full = err.to_string();
    let mut lines = full.lines().filter(|l| {
        let t = l.trim_start();
        !(t.starts_with('|') || t.chars().next().is_some_and(|c| c.is_ascii_digit()))
    });
    let position = lines.next().unwrap_or_default().trim().to_owned();
    let reason = err.message().trim().to_owned();
    if position.is_empty() { reason } else { format!("{position}: {reason}") }
}

fn insert_file_value(
    key: &str,
    value: toml::Value,
    values: &mut BTreeMap<&'static str, Raw>,
    problems: &mut Vec<Problem>,
) {
    let Some(doc) = keys::doc(key) else {
        let hint =
            closest(key, KEYS.iter().map(|d| d.key)).map(|k| format!("; did you mean `{k}`?")).unwrap_or_default();
        problems.push(Problem::new(
            key,
            keys::env_name(key),
            format!("unknown key in the configuration file{hint}"),
            "remove it or correct its name (see the configuration reference)",
        ));
        return;
    };
    let value = match value {
        toml::Value::String(s) => RawValue::Text(s),
        toml::Value::Integer(i) => RawValue::Integer(i),
        toml::Value::Array(items) if items.iter().all(toml::Value::is_str) => {
            RawValue::List(items.into_iter().filter_map(|item| item.as_str().map(str::to_owned)).collect())
        }
        toml::Value::Array(_) => RawValue::Other("array with items that are not strings"),
        other => RawValue::Other(other.type_str()),
    };
    values.insert(doc.key, Raw { value, origin: Origin::File });
}

/// Reads the environment's keys into `values`; returns the secret files the `_FILE` variables named.
fn read_env(
    env: &[(String, String)],
    values: &mut BTreeMap<&'static str, Raw>,
    problems: &mut Vec<Problem>,
) -> Vec<PathBuf> {
    // Plain variables are applied before `_FILE` variables so that setting
    // both can be detected and reported instead of one silently winning.
    let mut from_files = Vec::new();
    for (name, value) in env {
        if !name.starts_with("LAWHA_") || NOT_KEYS.contains(&name.as_str()) || name.starts_with(TEST_PREFIX) {
            continue;
        }
        match keys::key_for_env(name) {
            // An empty variable counts as unset, because compose files often
            // write `LAWHA_X=${X:-}` to pass a value through only when present.
            Some(_) if value.is_empty() => {}
            Some((key, true)) => from_files.push((key, name, value)),
            Some((key, false)) => {
                let origin = Origin::Env(name.clone());
                values.insert(key, Raw { value: RawValue::Text(value.clone()), origin });
            }
            None => problems.push(unknown_env(name)),
        }
    }
    let mut secret_files = Vec::new();
    for (key, name, path) in from_files {
        secret_files.push(PathBuf::from(path));
        let plain = keys::env_name(key);
        if env_get(env, &plain).is_some_and(|v| !v.is_empty()) {
            problems.push(Problem::new(
                key,
                name.as_str(),
                format!("both {plain} and {name} are set"),
                format!("set only one of {plain} and {name}"),
            ));
            continue;
        }
        match std::fs::read_to_string(path) {
            Ok(mut text) => {
                // Exactly one trailing newline is removed, as `echo` and most
                // editors add one, while other whitespace may be part of it.
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                let origin = Origin::Env(name.clone());
                values.insert(key, Raw { value: RawValue::Text(text), origin });
            }
            Err(err) => problems.push(Problem::new(
                key,
                name.as_str(),
                format!("cannot read secret file {path}: {err}"),
                format!("mount the secret at {path} or correct {name}"),
            )),
        }
    }
    secret_files
}

fn unknown_env(name: &str) -> Problem {
    let rest = &name["LAWHA_".len()..];
    let key = rest.replace("__", ".").to_ascii_lowercase();
    let known = keys::all_env_names();
    let hint =
        closest(name, known.iter().map(String::as_str)).map(|n| format!("; did you mean {n}?")).unwrap_or_default();
    Problem::new(
        key,
        name,
        format!("unknown environment variable{hint}"),
        format!("unset {name} or correct its name (see the configuration reference)"),
    )
}
