//! Backups: plans (what to back up, where, how often, how long to keep it) and runs (one backup of a plan, with
//! its verification, restores and pruning).
//!
//! A plan lives in `backup_plan-<id>`; each run in `backup_run-<id>`, starting with `BackupRequested`, the event
//! the dispatcher turns into a `RunBackup` job. The worker records what happened on the run's stream with ids
//! derived from the job (invariant 4). Checks that need the machine (does the folder exist, does the cron
//! expression parse) are the API's; the rules here are the ones that need nothing but the facts.
//!
//! Passwords never enter these events in clear (invariant 8): a database URL is kept with its password replaced
//! by `***`, and the password itself only sealed under a key derived from the secret key.

pub mod messages;
mod plan;
mod run;
mod run_rules;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::message::Message;

pub use plan::{BackupPlan, PlanCommand, PlanEvent, PlanRejection};
pub use run::{BackupRun, RestoreTarget, RunCommand, RunEvent, RunRejection, RunStatus, Trigger};

/// The seal purpose of the secrets backups keep sealed in their events: database passwords of plans and restore
/// targets, and age identities (the panel seals them, the worker opens them; both derive the key from the secret
/// key with this purpose).
pub const SEAL_PURPOSE: &str = "backup-source";

/// Puts a password back into a URL recorded with `***` in its place (only a worker holding the seal key does).
pub fn url_with_password(redacted: &str, password: Option<&str>) -> String {
    match password {
        Some(password) => redacted.replacen(":***@", &format!(":{password}@"), 1),
        None => redacted.to_owned(),
    }
}

/// What a plan backs up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A directory tree, as tar.
    Directory,
    /// A SQLite database file, as a consistent copy.
    Sqlite,
    /// A PostgreSQL database, as a `pg_dump` custom-format dump.
    Postgres,
    /// A MySQL or MariaDB database, as a `mariadb-dump` SQL dump.
    Mysql,
}

impl SourceKind {
    /// The name used in the API and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Directory => "directory",
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        }
    }

    /// Whether the source is reached through a URL (a database server) rather than a path.
    pub fn uses_url(self) -> bool {
        matches!(self, Self::Postgres | Self::Mysql)
    }
}

/// The source of a plan, as recorded: a path, or a URL without its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSpec {
    /// What kind of source.
    pub kind: SourceKind,
    /// The directory or SQLite file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The database URL with any password replaced by `***`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The URL's password: a reference to it in the secrets table (`secret:<id>`), or, in events recorded
    /// before references existed, the sealed value itself (`sealed1:…`, recorded as `password_sealed`); None when
    /// the URL has none.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "password_sealed")]
    pub password_secret: Option<String>,
}

impl SourceSpec {
    /// The path or the redacted URL: what a person sees.
    pub fn location(&self) -> &str {
        self.path.as_deref().or(self.url.as_deref()).unwrap_or_default()
    }
}

/// Where archives go: `<path>/<plan name>/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// Only `local` for now.
    pub kind: String,
    /// An absolute folder on this machine.
    pub path: String,
}

/// How long backups are kept. A backup is kept when any rule keeps it; the newest verified one always is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep the newest N.
    #[serde(default)]
    pub keep_last: Option<u32>,
    /// Keep those younger than N days.
    #[serde(default)]
    pub keep_days: Option<u32>,
    /// Remove the oldest until all fit in this many bytes.
    #[serde(default)]
    pub max_total_bytes: Option<u64>,
}

/// Encryption of a plan's archives for one age recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// An X25519 age recipient (`age1…`).
    pub recipient: String,
}

/// Everything a plan says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSpec {
    /// A unique name, also the archive folder's name.
    pub name: String,
    /// What to back up.
    pub source: SourceSpec,
    /// Where to put it.
    pub destination: Destination,
    /// A cron expression (five or six fields), or None for runs by hand only.
    pub schedule: Option<String>,
    /// The zone the schedule is read in (`UTC`, `Asia/Riyadh`).
    pub timezone: String,
    /// What to keep.
    pub retention: Retention,
    /// zstd level, 1 to 19.
    pub compression_level: i32,
    /// None, or the recipient archives are encrypted for.
    pub encryption: Option<Encryption>,
}

impl PlanSpec {
    /// Every rule that needs no I/O, each problem with its field; empty when the spec is valid.
    pub fn problems(&self) -> Vec<(&'static str, Message)> {
        let mut problems = Vec::new();
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && self.name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !name_ok {
            problems.push(("name", messages::name_invalid()));
        }
        match (self.source.kind.uses_url(), &self.source.path, &self.source.url) {
            (false, Some(path), None) if path.starts_with('/') => {}
            (false, _, _) => problems.push(("source.path", messages::source_path_required())),
            (true, None, Some(_)) => {}
            (true, _, _) => problems.push(("source.url", messages::source_url_required())),
        }
        if self.destination.kind != "local" {
            problems.push(("destination.kind", messages::destination_kind_unsupported(&self.destination.kind)));
        }
        if !self.destination.path.starts_with('/') {
            problems.push(("destination.path", messages::path_relative()));
        }
        if !(1..=19).contains(&self.compression_level) {
            problems.push(("compression_level", messages::compression_level_range()));
        }
        if self.retention.keep_last == Some(0) {
            problems.push(("retention.keep_last", messages::keep_last_zero()));
        }
        if let Some(e) = &self.encryption
            && !(e.recipient.starts_with("age1") && e.recipient.len() > 10)
        {
            problems.push(("encryption.recipient", messages::recipient_invalid()));
        }
        problems
    }
}

/// "Every problem, each with its field" as one message: `the backup plan is invalid: name …; source.path …`.
pub fn plan_invalid<F: AsRef<str>>(problems: &[(F, Message)]) -> Message {
    let lines = problems.iter().map(|(field, problem)| messages::field_problem(field.as_ref(), problem.clone()));
    messages::plan_invalid(lines.collect::<Vec<_>>())
}
