//! The JSON a client sends for a plan, checked against the rules and against this machine: every problem at
//! once, each with its field. A database URL's password is split off here and sealed; what goes on is the URL
//! with `***` in its place. Paths go through the path policy ([`path_policy`]): a source, destination or restore
//! target that is or holds what the panel protects, or a system folder where one may not be, is a problem of its
//! field (422), and nothing is recorded.

use std::path::Path;

use lawha_backup::paths::{PathPolicy, PathUse};
use lawha_config::Config;
use lawha_domain::Message;
use lawha_domain::backups::{Destination, Encryption, PlanSpec, Retention, SourceKind, SourceSpec};
use lawha_jobs::schedule::{CronSchedule, ScheduleError};
use lawha_store::SealKey;
use serde::Deserialize;

use super::messages;
use crate::http::input::body::{object, optional_object};

/// The shortest interval a plan's schedule may have: a backup every second (`* * * * * *`) would fill the
/// disk and the log; five minutes is the most often a database dump is worth taking.
pub const MIN_SCHEDULE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// `POST /api/v1/backup-plans` and `PUT /api/v1/backup-plans/{id}`. The schema states the rules that need no
/// I/O; what this machine says (a folder that is not there, a taken name, a protected path) is a 422 naming the
/// field.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// A unique name: a letter or digit, then letters, digits, `-`, `_`, `.`; also the archive folder.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub name: String,
    /// What to back up.
    #[serde(deserialize_with = "object")]
    pub source: SourceInput,
    /// Where archives go.
    #[serde(deserialize_with = "object")]
    pub destination: DestinationInput,
    /// A cron expression (5 fields, or 6 with seconds first), at most once every 5 minutes; null or absent for
    /// runs by hand only.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub schedule: Option<String>,
    /// The schedule's zone: `UTC` (the default) or an IANA name such as `Asia/Riyadh`.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub timezone: Option<String>,
    /// What to keep (default: everything).
    #[serde(default, deserialize_with = "object")]
    pub retention: RetentionInput,
    /// zstd level (default 3).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 19)]
    pub compression_level: Option<i32>,
    /// Null or absent, or the age recipient archives are encrypted for.
    #[serde(default, deserialize_with = "optional_object")]
    pub encryption: Option<EncryptionInput>,
}

/// What kind of source a plan backs up.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceKindInput {
    /// A folder, as tar.
    Directory,
    /// A SQLite file, as a consistent copy.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
    /// A MySQL or MariaDB database.
    Mysql,
}

impl From<SourceKindInput> for SourceKind {
    fn from(kind: SourceKindInput) -> Self {
        match kind {
            SourceKindInput::Directory => Self::Directory,
            SourceKindInput::Sqlite => Self::Sqlite,
            SourceKindInput::Postgres => Self::Postgres,
            SourceKindInput::Mysql => Self::Mysql,
        }
    }
}

/// A plan's source as sent: `path` for a folder or SQLite file, `url` for a database.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    /// What it is.
    pub kind: SourceKindInput,
    /// The folder or SQLite file: an absolute path.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 4096)]
    pub path: Option<String>,
    /// `postgres://user:password@host:port/db` or `mysql://…` (the password is sealed, never shown again).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
}

/// Where archives go.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DestinationKindInput {
    /// A folder of this machine.
    Local,
}

/// A plan's destination as sent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationInput {
    /// `local`.
    pub kind: DestinationKindInput,
    /// An absolute folder.
    #[schema(min_length = 1, max_length = 4096)]
    pub path: String,
}

/// What a plan keeps; a run is kept when any rule keeps it, and the newest verified one always is.
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionInput {
    /// Keep the newest N.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub keep_last: Option<u32>,
    /// Keep those younger than N days.
    #[serde(default)]
    pub keep_days: Option<u32>,
    /// Remove the oldest until all fit in this many bytes.
    #[serde(default)]
    pub max_total_bytes: Option<u64>,
}

impl From<RetentionInput> for Retention {
    fn from(r: RetentionInput) -> Self {
        Self { keep_last: r.keep_last, keep_days: r.keep_days, max_total_bytes: r.max_total_bytes }
    }
}

/// Encryption for one age recipient.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EncryptionInput {
    /// An X25519 age recipient.
    #[schema(pattern = "^age1[0-9a-z]{7,}$", max_length = 200)]
    pub recipient: String,
}

/// Splits `scheme://user:password@rest` into the URL with `***` for the password, and the password as written.
/// The user information ends at the last `@`, the rule the engine's `DatabaseUrl` parses by, so a password that
/// holds `@`, `/` or `?` unencoded is still found (and never stored in clear).
pub fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else { return (url.to_owned(), None) };
    let Some((userinfo, location)) = rest.rsplit_once('@') else { return (url.to_owned(), None) };
    let Some((user, password)) = userinfo.split_once(':') else { return (url.to_owned(), None) };
    (format!("{scheme}://{user}:***@{location}"), Some(password.to_owned()))
}

pub use lawha_domain::backups::url_with_password as with_password;

/// The path policy of this panel: the one the backup worker applies too (`lawha_backup_worker::Deps::new` builds
/// it from the same configuration), so what the panel accepts the worker accepts, and the worker refuses again
/// what has become protected since.
pub fn path_policy(config: &Config) -> PathPolicy {
    PathPolicy::new(config.protected_paths()).with_panel_database(config.database_url.expose())
}

/// Checks a database URL's shape for `kind`; returns the problem.
pub fn check_url(kind: SourceKind, url: &str) -> Option<Message> {
    let schemes: [&str; 2] = match kind {
        SourceKind::Postgres => ["postgres", "postgresql"],
        SourceKind::Mysql => ["mysql", "mariadb"],
        _ => return Some(messages::url_not_for_kind()),
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some(messages::url_shape(schemes[0]));
    };
    if !schemes.contains(&scheme) {
        return Some(messages::url_scheme(schemes[0], schemes[1], kind.as_str()));
    }
    // As in split_password: what follows the last `@` is the server and the database.
    let location = rest.rsplit_once('@').map_or(rest, |(_, l)| l);
    let (host, db) = location.split_once('/').unwrap_or((location, ""));
    if host.is_empty() {
        return Some(messages::url_no_host());
    }
    let db = db.split('?').next().unwrap_or_default();
    if db.is_empty() {
        return Some(messages::url_no_database());
    }
    None
}

impl PlanInput {
    /// The spec, or every problem with its field. `taken` says whether another live plan has the name; `policy`
    /// says which paths a plan may read and write into.
    pub fn into_spec(
        self,
        seal: &SealKey,
        policy: &PathPolicy,
        taken: bool,
    ) -> Result<PlanSpec, Vec<(String, Message)>> {
        let mut problems: Vec<(String, Message)> = Vec::new();
        let timezone = self.timezone.unwrap_or_else(|| "UTC".to_owned());
        let (url, password_secret) = match &self.source.url {
            Some(url) => {
                if let Some(problem) = check_url(self.source.kind.into(), url) {
                    problems.push(("source.url".into(), problem));
                }
                let (redacted, password) = split_password(url);
                (Some(redacted), password.map(|p| seal.seal(p.as_bytes())))
            }
            None => (None, None),
        };
        let kind = SourceKind::from(self.source.kind);
        let source = SourceSpec { kind, path: self.source.path.clone(), url, password_secret };
        let spec = PlanSpec {
            name: self.name,
            source,
            destination: Destination { kind: "local".to_owned(), path: self.destination.path },
            schedule: self.schedule.filter(|s| !s.trim().is_empty()),
            timezone,
            retention: self.retention.into(),
            compression_level: self.compression_level.unwrap_or(3),
            encryption: self.encryption.map(|e| Encryption { recipient: e.recipient }),
        };
        problems.extend(spec.problems().into_iter().map(|(f, p)| (f.to_owned(), p)));
        if taken {
            problems.push(("name".into(), messages::name_taken(&spec.name)));
        }
        if let Some(path) = spec.source.path.as_deref().filter(|p| p.starts_with('/')) {
            let problem = match policy.check(Path::new(path), PathUse::Source) {
                Ok(_) => check_source_path(spec.source.kind, Path::new(path)),
                Err(refused) => Some(refused.message()),
            };
            problems.extend(problem.map(|p| ("source.path".to_owned(), p)));
        }
        let destination = Path::new(&spec.destination.path);
        if destination.is_absolute() {
            match policy.check(destination, PathUse::Destination) {
                Ok(resolved) if resolved.exists() && !resolved.is_dir() => {
                    problems.push(("destination.path".into(), messages::destination_not_folder()));
                }
                Ok(_) => {}
                Err(refused) => problems.push(("destination.path".into(), refused.message())),
            }
        }
        match &spec.schedule {
            Some(expression) => {
                match CronSchedule::parse(expression, &spec.timezone) {
                    // A bad zone is the zone's problem, not the expression's.
                    Err(e @ ScheduleError::TimeZone { .. }) => problems.push(("timezone".into(), e.message())),
                    Err(e) => problems.push(("schedule".into(), e.message())),
                    Ok(schedule) => {
                        if let Err(e) = schedule.at_most_every(MIN_SCHEDULE_INTERVAL) {
                            problems.push(("schedule".into(), e.message()));
                        }
                    }
                }
            }
            None if spec.timezone.parse::<chrono_tz::Tz>().is_err() => {
                let e = ScheduleError::TimeZone { zone: spec.timezone.clone() };
                problems.push(("timezone".into(), e.message()));
            }
            None => {}
        }
        if problems.is_empty() { Ok(spec) } else { Err(problems) }
    }
}

/// What is wrong with a source path on this machine, if anything.
fn check_source_path(kind: SourceKind, path: &Path) -> Option<Message> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(messages::path_missing(path)),
        Err(e) => return Some(messages::path_unreadable(path, e.to_string())),
    };
    match kind {
        SourceKind::Directory if !meta.is_dir() => Some(messages::not_a_directory(path)),
        SourceKind::Directory => {
            std::fs::read_dir(path).err().map(|e| messages::directory_unlistable(path, e.to_string()))
        }
        SourceKind::Sqlite if !meta.is_file() => Some(messages::not_a_file(path)),
        SourceKind::Sqlite => {
            use std::io::Read as _;
            let mut header = [0u8; 16];
            match std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header)) {
                Ok(()) if &header == b"SQLite format 3\0" => None,
                Ok(()) => Some(messages::not_sqlite(path)),
                Err(e) => Some(messages::sqlite_unreadable(path, e.to_string())),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_split_off_and_put_back() {
        let (redacted, password) = split_password("postgres://app:s3cret%40x@db.local:5432/app?sslmode=disable");
        assert_eq!(redacted, "postgres://app:***@db.local:5432/app?sslmode=disable");
        assert_eq!(password.as_deref(), Some("s3cret%40x"));
        assert_eq!(
            with_password(&redacted, password.as_deref()),
            "postgres://app:s3cret%40x@db.local:5432/app?sslmode=disable"
        );
        assert_eq!(split_password("mysql://root@127.0.0.1/app"), ("mysql://root@127.0.0.1/app".into(), None));
        let (redacted, password) = split_password("mysql://app:pa/ss@w?rd@db:3306/app");
        assert_eq!(redacted, "mysql://app:***@db:3306/app", "a password with / @ ? stays out of the shown URL");
        assert_eq!(with_password(&redacted, password.as_deref()), "mysql://app:pa/ss@w?rd@db:3306/app");
    }

    #[test]
    fn urls_are_checked_for_their_kind() {
        assert!(check_url(SourceKind::Postgres, "postgres://u@h/db").is_none());
        assert_eq!(
            check_url(SourceKind::Postgres, "mysql://u@h/db"),
            Some(messages::url_scheme("postgres", "postgresql", "postgres"))
        );
        assert_eq!(check_url(SourceKind::Mysql, "mysql://u@h"), Some(messages::url_no_database()));
        assert_eq!(check_url(SourceKind::Mysql, "nonsense"), Some(messages::url_shape("mysql")));
    }
}
