//! Turning raw layered values into a typed [`Config`], collecting every problem.
//!
//! Each key is parsed on its own rather than deserializing the whole struct
//! with serde, because serde stops at the first error and operators deserve
//! the full list in one go.

mod audit;
mod backups;
mod certificates;
mod deployments;
mod jobs;
mod read;
mod server;
mod ui;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::layers::{self, Layers, LoadOptions, Origin, Raw};
use crate::problem::{Problem, Problems};
use crate::profile::{Profile, detect_profile};
use crate::sections::{DatabaseConfig, HttpConfig, ProjectionsConfig, UiConfig};
use crate::{Config, Secret};

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
        let Layers { values, config_file, secret_files } = layers::collect(opts, &mut problems);
        let mut b = Builder { values, origins: BTreeMap::new(), problems, profile };
        let config = b.build(reason, config_file, secret_files);
        if b.problems.is_empty() { Ok(config) } else { Err(Problems(b.problems)) }
    }
}

/// The values still to parse, where each parsed key's value came from, and the problems found so far. Each
/// submodule reads its own keys through it.
struct Builder {
    values: BTreeMap<&'static str, Raw>,
    origins: BTreeMap<&'static str, Origin>,
    problems: Vec<Problem>,
    profile: Profile,
}

impl Builder {
    fn build(&mut self, reason: &'static str, config_file: Option<PathBuf>, secret_files: Vec<PathBuf>) -> Config {
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
        let previous_secret_keys = self.previous_secret_keys(secret_key.as_deref());
        let http = HttpConfig {
            body_limit_bytes: self.number("http.body_limit_bytes", 2_097_152, 1, None),
            request_timeout_secs: self.number("http.request_timeout_secs", 30, 1, None),
            shutdown_grace_secs: self.number("http.shutdown_grace_secs", 30, 0, None),
            header_read_timeout_secs: self.number("http.header_read_timeout_secs", 10, 1, Some(3600)),
            idle_timeout_secs: self.number("http.idle_timeout_secs", 60, 1, Some(86_400)),
            max_streams_per_principal: self.number("http.max_streams_per_principal", 8, 1, Some(10_000)),
            max_streams: self.number("http.max_streams", 200, 1, Some(100_000)),
            trusted_proxies: self.trusted_proxies(),
        };
        let log = self.log();
        let database = DatabaseConfig {
            max_connections: self.number("database.max_connections", 10, 1, Some(1000)),
            acquire_timeout_secs: self.number("database.acquire_timeout_secs", 5, 1, None),
            unavailable_wait_ms: self.number("database.unavailable_wait_ms", 2000, 10, Some(60_000)),
        };
        let projections = ProjectionsConfig {
            batch_size: self.number("projections.batch_size", 500, 1, Some(10_000)),
            poll_interval_ms: self.number("projections.poll_interval_ms", 1000, 10, Some(60_000)),
        };
        let ui = UiConfig { entrance: self.entrance(), allow_ips: self.allow_ips() };
        let session = self.session();
        let jobs = self.jobs(&data_dir);
        let backups = self.backups();
        let deployments = self.deployments(&data_dir);
        let certificates = self.certificates(&data_dir);
        let audit = self.audit();
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
            previous_secret_keys: previous_secret_keys.into_iter().map(Secret::new).collect(),
            http,
            log,
            database,
            projections,
            ui,
            session,
            jobs,
            backups,
            deployments,
            certificates,
            audit,
            secret_files,
            origins: std::mem::take(&mut self.origins),
        }
    }
}
