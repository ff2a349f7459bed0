//! Turning raw layered values into a typed [`Config`], collecting every problem.
//!
//! Each key is parsed on its own rather than deserializing the whole struct
//! with serde, because serde stops at the first error and operators deserve
//! the full list in one go.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use crate::access::{self, Refusal};
use crate::keys;
use crate::layers::{self, Layers, LoadOptions, Origin, Raw, RawValue};
use crate::problem::{Problem, Problems};
use crate::profile::{Profile, detect_profile};
use crate::sections::{
    DatabaseConfig, HttpConfig, InProcess, JobsConfig, LogConfig, LogFormat, ProjectionsConfig, SessionConfig, UiConfig,
};
use crate::{Config, Secret};

/// The fix offered for every missing or short secret key.
const KEY_FIX: &str = "set LAWHA_SECRET_KEY or LAWHA_SECRET_KEY_FILE to the output of `openssl rand -hex 32`";

impl Config {
    /// Loads the configuration from defaults, the TOML file and the
    /// environment snapshot in `opts`, and validates it.
    ///
    /// Every problem is returned at once. When `opts.hints.lawha_env` is unset
    /// but the snapshot holds `LAWHA_ENV`, the snapshot's value is used, so
    /// tests can choose a profile through `env` alone.
    pub fn load(opts: &LoadOptions) -> Result<Config, Problems> {
        let mut problems = Vec::new();
        let mut hints = opts.hints.clone();
        if hints.lawha_env.is_none() {
            hints.lawha_env = layers::env_get(&opts.env, "LAWHA_ENV").map(str::to_owned);
        }
        let (profile, reason) = detect_profile(&hints).unwrap_or_else(|problem| {
            problems.push(problem);
            // Development is the least demanding guess, so the remaining
            // problems are about the keys rather than about the bad profile.
            (Profile::Development, "LAWHA_ENV is invalid")
        });
        let Layers { values, config_file } = layers::collect(opts, &mut problems);
        let mut b = Builder { values, origins: BTreeMap::new(), problems, profile };
        let config = b.build(reason, config_file);
        if b.problems.is_empty() { Ok(config) } else { Err(Problems(b.problems)) }
    }
}

struct Builder {
    values: BTreeMap<&'static str, Raw>,
    origins: BTreeMap<&'static str, Origin>,
    problems: Vec<Problem>,
    profile: Profile,
}

impl Builder {
    fn build(&mut self, reason: &'static str, config_file: Option<PathBuf>) -> Config {
        let production = self.profile.is_production();
        let listen = self.listen();
        let data_dir = match self.text("data_dir") {
            Some(dir) if dir.trim().is_empty() => {
                self.report("data_dir", "is empty", "set it to a writable directory");
                PathBuf::from("./data")
            }
            Some(dir) => PathBuf::from(dir),
            None if production => PathBuf::from("/var/lib/lawha"),
            None => PathBuf::from("./data"),
        };
        let database_url = self.database_url(&data_dir);
        let redis_url = self.url("redis_url", &["redis", "rediss"], "redis:// or rediss://");
        if production && redis_url.is_none() && self.origins["redis_url"] == Origin::Default {
            self.report(
                "redis_url",
                "production requires Redis for its job queues",
                "set LAWHA_REDIS_URL (or LAWHA_REDIS_URL_FILE) to a redis:// or rediss:// URL",
            );
        }
        let secret_key = self.secret_key();
        let http = HttpConfig {
            body_limit_bytes: self.number("http.body_limit_bytes", 2_097_152, 1, None),
            request_timeout_secs: self.number("http.request_timeout_secs", 30, 1, None),
            shutdown_grace_secs: self.number("http.shutdown_grace_secs", 30, 0, None),
        };
        let log = self.log();
        let database = DatabaseConfig {
            max_connections: self.number("database.max_connections", 10, 1, Some(1000)),
            acquire_timeout_secs: self.number("database.acquire_timeout_secs", 5, 1, None),
        };
        let projections = ProjectionsConfig {
            batch_size: self.number("projections.batch_size", 500, 1, Some(10_000)),
            poll_interval_ms: self.number("projections.poll_interval_ms", 1000, 10, Some(60_000)),
        };
        let ui = UiConfig { entrance: self.entrance(), allow_ips: self.allow_ips() };
        let session = self.session();
        let jobs = self.jobs(&data_dir);
        debug_assert!(self.values.is_empty(), "unparsed keys: {:?}", self.values.keys());
        Config {
            profile: self.profile,
            profile_reason: reason,
            config_file,
            listen,
            data_dir,
            database_url: Secret::new(database_url),
            redis_url: redis_url.map(Secret::new),
            secret_key: secret_key.map(Secret::new),
            http,
            log,
            database,
            projections,
            ui,
            session,
            jobs,
            origins: std::mem::take(&mut self.origins),
        }
    }

    /// Removes a key's raw value and records where the key's value came from.
    fn take(&mut self, key: &'static str) -> Option<Raw> {
        let raw = self.values.remove(key);
        let origin = raw.as_ref().map_or(Origin::Default, |r| r.origin.clone());
        self.origins.insert(key, origin);
        raw
    }

    /// Records a problem, naming the variable that set the key if one did.
    fn report(&mut self, key: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        let env = match self.origins.get(key) {
            Some(Origin::Env(name)) => name.clone(),
            _ => keys::env_name(key),
        };
        self.problems.push(Problem::new(key, env, message, fix));
    }

    /// A string value. Wrong types are reported without quoting the value,
    /// because the key may hold a secret.
    fn text(&mut self, key: &'static str) -> Option<String> {
        match self.take(key)?.value {
            RawValue::Text(text) => Some(text),
            RawValue::Integer(_) => {
                self.report(key, "expected a string, found an integer", "quote the value");
                None
            }
            RawValue::List(_) => {
                self.report(key, "expected a string, found an array", "write the value as one quoted string");
                None
            }
            RawValue::Other(kind) => {
                let message = format!("expected a string, found {}", article(kind));
                self.report(key, message, "write the value as a quoted string");
                None
            }
        }
    }

    /// A whole number within `min..=max` (`max` of `None` means unbounded);
    /// the default is returned when the key is unset or invalid.
    fn number<T>(&mut self, key: &'static str, default: T, min: T, max: Option<T>) -> T
    where
        T: FromStr + PartialOrd + Display + Copy,
    {
        let range = match max {
            Some(max) => format!("use a whole number from {min} to {max}"),
            None => format!("use a whole number of at least {min}"),
        };
        let text = match self.take(key).map(|r| r.value) {
            None => return default,
            Some(RawValue::Text(text)) => text.trim().to_owned(),
            Some(RawValue::Integer(i)) => i.to_string(),
            Some(RawValue::Other(kind)) => {
                self.report(key, format!("expected a number, found {}", article(kind)), range);
                return default;
            }
            Some(RawValue::List(_)) => {
                self.report(key, "expected a number, found an array", range);
                return default;
            }
        };
        match text.parse::<T>() {
            Ok(n) if n < min || max.is_some_and(|max| n > max) => {
                self.report(key, format!("{n} is out of range"), range);
                default
            }
            Ok(n) => n,
            Err(_) => {
                self.report(key, format!("`{text}` is not a valid number"), range);
                default
            }
        }
    }

    fn listen(&mut self) -> SocketAddr {
        let default = SocketAddr::from((Ipv4Addr::LOCALHOST, 8080));
        let Some(text) = self.text("listen") else {
            return default;
        };
        text.trim().parse().unwrap_or_else(|_| {
            self.report(
                "listen",
                format!("`{text}` is not an address; expected host:port such as 127.0.0.1:8080"),
                "use an IP address and a port, such as 127.0.0.1:8080 or [::]:8080",
            );
            default
        })
    }

    /// A URL whose scheme must be one of `schemes`. Only the scheme is ever
    /// quoted in a problem, because the rest may hold a password.
    fn url(&mut self, key: &'static str, schemes: &[&str], expected: &str) -> Option<String> {
        let url = self.text(key)?;
        match scheme(&url) {
            Some(s) if schemes.contains(&s.to_ascii_lowercase().as_str()) => Some(url),
            found => {
                let message = match found {
                    Some(s) => format!("scheme `{s}` is not supported; expected {expected}"),
                    None => format!("is not a URL; expected {expected}"),
                };
                self.report(key, message, format!("use a {expected} URL"));
                None
            }
        }
    }

    fn database_url(&mut self, data_dir: &std::path::Path) -> String {
        let expected = "postgres://, postgresql:// or sqlite://";
        let url = self.url("database_url", &["postgres", "postgresql", "sqlite"], expected);
        let production = self.profile.is_production();
        match url {
            Some(url) if production && scheme(&url).is_some_and(|s| s.eq_ignore_ascii_case("sqlite")) => {
                self.report(
                    "database_url",
                    "is a sqlite:// URL, but production needs PostgreSQL",
                    "set LAWHA_DATABASE_URL to a postgres:// URL",
                );
                url
            }
            Some(url) => url,
            None if production && self.origins["database_url"] == Origin::Default => {
                self.report(
                    "database_url",
                    "is not set, and production needs PostgreSQL",
                    "set LAWHA_DATABASE_URL (or LAWHA_DATABASE_URL_FILE) to a postgres:// URL",
                );
                String::new()
            }
            None => format!("sqlite://{}/lawha.db", data_dir.display()),
        }
    }

    fn secret_key(&mut self) -> Option<Vec<u8>> {
        let Some(key) = self.text("secret_key") else {
            if self.profile.is_production() && self.origins["secret_key"] == Origin::Default {
                self.report("secret_key", "production requires a secret key", KEY_FIX);
            }
            return None;
        };
        let bytes = key.into_bytes();
        if bytes.len() < 32 {
            let message = format!("is {} bytes long; at least 32 are required", bytes.len());
            self.report("secret_key", message, KEY_FIX);
        }
        Some(bytes)
    }

    /// `ui.entrance`: unset or empty means none.
    fn entrance(&mut self) -> Option<String> {
        let entrance = self.text("ui.entrance").filter(|e| !e.is_empty())?;
        match access::check_entrance(&entrance) {
            Ok(()) => Some(entrance),
            Err(Refusal { message, fix }) => {
                self.report("ui.entrance", message, fix);
                None
            }
        }
    }

    /// A list: a TOML array of strings, or one comma-separated string (the environment's form); None when unset
    /// or of the wrong type (reported with `fix`).
    fn list(&mut self, key: &'static str, what: &str, fix: &str) -> Option<Vec<String>> {
        match self.take(key).map(|r| r.value) {
            None => None,
            Some(RawValue::List(items)) => Some(items),
            Some(RawValue::Text(text)) if text.trim().is_empty() => Some(Vec::new()),
            // A trailing comma is forgiven: compose files build such lists by concatenation.
            Some(RawValue::Text(text)) => {
                let mut items: Vec<String> = text.split(',').map(str::to_owned).collect();
                if items.len() > 1 && items.last().is_some_and(|last| last.trim().is_empty()) {
                    items.pop();
                }
                Some(items)
            }
            Some(RawValue::Integer(_)) => {
                self.report(key, format!("expected a list of {what}, found an integer"), fix);
                None
            }
            Some(RawValue::Other(kind)) => {
                let message = format!("expected a list of {what}, found {}", article(kind));
                self.report(key, message, fix);
                None
            }
        }
    }

    /// `ui.allow_ips`: every bad entry is reported, each with its position.
    fn allow_ips(&mut self) -> Vec<ipnet::IpNet> {
        let Some(entries) = self.list("ui.allow_ips", "addresses", ALLOW_FIX) else { return Vec::new() };
        let mut nets = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            match access::parse_allow_entry(entry) {
                Ok(net) => nets.push(net),
                Err(Refusal { message, fix }) => {
                    self.report("ui.allow_ips", format!("entry {}: {message}", index + 1), fix);
                }
            }
        }
        nets
    }

    /// `session.*`, with the rule that a session cannot end by idleness later than it ends anyway.
    fn session(&mut self) -> SessionConfig {
        let defaults = SessionConfig::default();
        let reported = self.problems.len();
        let idle = self.number("session.idle_timeout_secs", defaults.idle_timeout_secs, 60, Some(MAX_SESSION_SECS));
        let absolute =
            self.number("session.absolute_timeout_secs", defaults.absolute_timeout_secs, 60, Some(MAX_SESSION_SECS));
        // Compared only when both values were accepted; otherwise a default would be blamed.
        if self.problems.len() == reported && absolute < idle {
            self.report(
                "session.absolute_timeout_secs",
                format!("{absolute} is shorter than session.idle_timeout_secs ({idle})"),
                format!("use at least {idle}, or lower session.idle_timeout_secs"),
            );
        }
        SessionConfig { idle_timeout_secs: idle, absolute_timeout_secs: absolute }
    }

    /// `jobs.*`.
    fn jobs(&mut self, data_dir: &std::path::Path) -> JobsConfig {
        let defaults = JobsConfig::defaults(self.profile, data_dir);
        let queue_path = match self.text("jobs.queue_path") {
            Some(path) if path.trim().is_empty() => {
                self.report("jobs.queue_path", "is empty", "set it to a file path, or leave it unset");
                defaults.queue_path.clone()
            }
            Some(path) => std::path::PathBuf::from(path),
            None => defaults.queue_path.clone(),
        };
        let namespace = match self.text("jobs.namespace") {
            Some(ns) if is_name(&ns, 64, false) => ns,
            Some(ns) => {
                self.report(
                    "jobs.namespace",
                    format!("{ns:?} is not a namespace"),
                    "use 1 to 64 letters, digits, _ or -",
                );
                defaults.namespace.clone()
            }
            None => defaults.namespace.clone(),
        };
        let in_process = match self.list("jobs.in_process", "queue names", QUEUES_FIX) {
            None => defaults.in_process.clone(),
            Some(items) if items.len() == 1 && items[0].trim().eq_ignore_ascii_case("all") => InProcess::All,
            Some(items) if items.len() == 1 && items[0].trim().eq_ignore_ascii_case("none") => InProcess::Only(vec![]),
            Some(items) => {
                let mut queues = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let item = item.trim();
                    if is_name(item, 100, true) {
                        queues.push(item.to_owned());
                    } else {
                        let message = format!("entry {}: {item:?} is not a queue name", index + 1);
                        self.report("jobs.in_process", message, QUEUES_FIX);
                    }
                }
                InProcess::Only(queues)
            }
        };
        let audit_verify_cron = match self.text("jobs.audit_verify_cron") {
            None => defaults.audit_verify_cron.clone(),
            Some(text) if text.trim().eq_ignore_ascii_case("off") => None,
            Some(text) => match cron_problem(text.trim()) {
                None => Some(text.trim().to_owned()),
                Some(reason) => {
                    self.report(
                        "jobs.audit_verify_cron",
                        format!("{text:?} is not a cron expression: {reason}"),
                        "use 5 fields such as \"17 3 * * *\" (minute hour day month weekday, in UTC), or `off`",
                    );
                    defaults.audit_verify_cron.clone()
                }
            },
        };
        JobsConfig {
            audit_verify_cron,
            queue_path,
            namespace,
            concurrency: self.number("jobs.concurrency", defaults.concurrency, 1, Some(1000)),
            poll_interval_ms: self.number("jobs.poll_interval_ms", defaults.poll_interval_ms, 5, Some(10_000)),
            shutdown_grace_secs: self.number("jobs.shutdown_grace_secs", defaults.shutdown_grace_secs, 0, Some(3600)),
            in_process,
            redispatch_after_secs: self.number(
                "jobs.redispatch_after_secs",
                defaults.redispatch_after_secs,
                5,
                Some(86_400),
            ),
        }
    }

    fn log(&mut self) -> LogConfig {
        let mut log = LogConfig::default();
        match self.text("log.level") {
            Some(level) if level.trim().is_empty() => {
                self.report("log.level", "is empty", "use a filter directive such as info or info,lawha_store=debug")
            }
            Some(level) => log.level = level,
            None => {}
        }
        if let Some(format) = self.text("log.format") {
            match format.parse::<LogFormat>() {
                Ok(format) => log.format = format,
                Err(err) => self.report("log.format", err.to_string(), "use auto, json or pretty"),
            }
        }
        log
    }
}

/// The fix offered when `ui.allow_ips` has the wrong type.
const QUEUES_FIX: &str = "write `all`, `none`, or queue names such as [\"admin\", \"backups\"] (in the environment: \
                          admin,backups); a queue name is lowercase letters, digits, . _ and -";

/// Why croner refuses a cron expression (with the parser settings the scheduler uses), or None when it is valid.
fn cron_problem(expression: &str) -> Option<String> {
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .year(croner::parser::Year::Disallowed)
        .build();
    parser.parse(expression).err().map(|e| e.to_string())
}

/// Whether `text` is 1 to `max` ASCII letters, digits, `_` or `-` (and `.` when `dots`), lowercase only for queue
/// names (`dots`).
fn is_name(text: &str, max: usize, dots: bool) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text.bytes().all(|b| {
            if dots {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            } else {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
            }
        })
}

const ALLOW_FIX: &str = "write a TOML array such as [\"192.0.2.0/24\", \"2001:db8::1\"], \
                         or a comma-separated list in LAWHA_UI__ALLOW_IPS";

/// The longest session timeout, a year: longer is no timeout, and keeps the arithmetic far from overflow.
const MAX_SESSION_SECS: u64 = 31_536_000;

/// A TOML type name with its indefinite article, for readable messages.
fn article(kind: &str) -> String {
    let vowel = kind.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {kind}", if vowel { "an" } else { "a" })
}

/// The scheme of a URL, if the text before the first `:` looks like one.
fn scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let valid = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(scheme)
}
