//! Lawha's one typed configuration: this crate owns the profile decision
//! (development, production, test), the layering of defaults, the TOML file
//! and `LAWHA_*` environment variables, the validation that reports every
//! problem at once, and the [`Secret`] wrapper that keeps credentials out of
//! output. It is the only crate allowed to read the process environment;
//! every other crate receives a [`Config`]. It must never do I/O beyond
//! reading the configuration file, the process environment, `*_FILE` secret
//! files, the container marker files used for profile detection, and the
//! development secret key file (which it may create); it never opens network
//! connections, and it never prints, logs or puts a secret into an error.

mod access;
mod audit;
mod certificates;
mod deployments;
mod devkey;
mod keys;
mod layers;
mod problem;
mod profile;
mod protected;
mod render;
mod secret;
mod sections;
mod validate;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

pub use audit::AuditConfig;
pub use certificates::CertificatesConfig;
pub use deployments::{DEFAULT_HOST, DEPLOYMENT_STEPS_MAX_SECS, DeploymentsConfig, is_host_label, is_host_name};
pub use devkey::{KEY_FILE, PREVIOUS_KEYS_FILE};
pub use keys::{KEYS, KeyDoc};
pub use layers::{LoadOptions, Origin};
pub use problem::{Problem, Problems};
pub use profile::{EnvHints, ParseProfileError, Profile, detect_profile};
pub use protected::ALWAYS_PROTECTED;
pub use secret::{REDACTED, Secret, redact_url};
pub use sections::{
    BackupsConfig, DatabaseConfig, HttpConfig, InProcess, JobsConfig, LogConfig, LogFormat, ParseLogFormatError,
    ProjectionsConfig, SessionConfig, UiConfig,
};

/// The secret key [`Config::test`] uses, fixed so test suites can verify MACs.
const TEST_SECRET_KEY: &str = "lawha-test-secret-key-0123456789abcdef";

/// The validated configuration of one Lawha process.
///
/// It is built only by [`Config::load`] or [`Config::test`], so every value in
/// it has already been checked; consumers never re-validate.
#[derive(Debug, Clone)]
pub struct Config {
    /// The deployment profile, which chose the defaults and the strictness.
    pub profile: Profile,
    /// Why this profile was chosen, logged at startup so a surprising profile
    /// can be explained.
    pub profile_reason: &'static str,
    /// The configuration file that was read, if any, for `lawha config check`.
    pub config_file: Option<PathBuf>,
    /// The address the HTTP API binds to.
    pub listen: SocketAddr,
    /// The directory for local state, where the SQLite database and the
    /// development key live by default.
    pub data_dir: PathBuf,
    /// The event store URL (PostgreSQL or SQLite); secret because it may
    /// carry a password.
    pub database_url: Secret<String>,
    /// The Redis URL for job queues; `None` runs queues in-process (outside
    /// production only).
    pub redis_url: Option<Secret<String>>,
    /// The key for the audit chain's MACs, as the raw bytes of the configured
    /// string; `None` until [`Config::ensure_secret_key`] runs in development.
    pub secret_key: Option<Secret<Vec<u8>>>,
    /// The secret keys used before `secret_key` (after `lawha admin rotate-key`), oldest first: they no longer
    /// make anything, but what they chained, signed and sealed still verifies and opens.
    pub previous_secret_keys: Vec<Secret<Vec<u8>>>,
    /// Limits for the HTTP API.
    pub http: HttpConfig,
    /// Log level and format.
    pub log: LogConfig,
    /// The database connection pool.
    pub database: DatabaseConfig,
    /// How projections poll the event store.
    pub projections: ProjectionsConfig,
    /// The security entrance and the address allow-list of the UI and API.
    pub ui: UiConfig,
    /// Session timeouts.
    pub session: SessionConfig,
    /// Job queues and workers.
    pub jobs: JobsConfig,
    /// What backups may touch on this machine.
    pub backups: BackupsConfig,
    /// Where the deploy worker keeps releases and apps, how it reaches nginx and docker, and its steps' times.
    pub deployments: DeploymentsConfig,
    /// Where the cert worker keeps certificates and accounts, the HTTP-01 webroot, and the renewal check's pace.
    pub certificates: CertificatesConfig,
    /// How the audit chain's head is anchored outside the database.
    pub audit: AuditConfig,
    /// The files the `*_FILE` variables named, read for secrets: [`Config::protected_paths`] lists them, so no
    /// backup reads or overwrites them.
    pub secret_files: Vec<PathBuf>,
    /// Where each key's value came from, for [`Config::render_effective`].
    origins: BTreeMap<&'static str, Origin>,
}

impl Config {
    /// Whether the event store is SQLite, so the store crate can pick a driver.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().get(..7).is_some_and(|s| s.eq_ignore_ascii_case("sqlite:"))
    }

    /// Whether the event store is PostgreSQL, so the store crate can pick a driver.
    pub fn is_postgres(&self) -> bool {
        let url = self.database_url.expose().to_ascii_lowercase();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// Where the value of `key` (as named in [`KEYS`]) came from; `None` for
    /// a key that is not in [`KEYS`].
    pub fn origin(&self, key: &str) -> Option<&Origin> {
        self.origins.get(key)
    }

    /// A test-profile configuration for test suites: SQLite in `data_dir`,
    /// a fixed secret key of more than 32 bytes, and `127.0.0.1:0` so each test
    /// server gets a free port. Everything else keeps its default.
    pub fn test(data_dir: &Path) -> Config {
        let mut origins: BTreeMap<&'static str, Origin> = KEYS.iter().map(|d| (d.key, Origin::Default)).collect();
        for key in ["listen", "data_dir", "database_url", "secret_key"] {
            origins.insert(key, Origin::Test);
        }
        Config {
            profile: Profile::Test,
            profile_reason: "Config::test for test suites",
            config_file: None,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir: data_dir.to_path_buf(),
            database_url: Secret::new(format!("sqlite://{}/lawha.db", data_dir.display())),
            redis_url: None,
            secret_key: Some(Secret::new(TEST_SECRET_KEY.as_bytes().to_vec())),
            previous_secret_keys: Vec::new(),
            http: HttpConfig::default(),
            log: LogConfig::default(),
            database: DatabaseConfig::default(),
            projections: ProjectionsConfig::default(),
            ui: UiConfig::default(),
            session: SessionConfig::default(),
            jobs: JobsConfig::defaults(Profile::Test, data_dir),
            backups: BackupsConfig::default(),
            // Tests never reach the machine's nginx: upstream files under the data folder, no nginx command.
            deployments: DeploymentsConfig {
                nginx_upstream_dir: data_dir.join("nginx-upstreams"),
                nginx_test_command: Vec::new(),
                nginx_reload_command: Vec::new(),
                ..DeploymentsConfig::defaults(data_dir)
            },
            certificates: CertificatesConfig::defaults(data_dir),
            audit: AuditConfig::default(),
            secret_files: Vec::new(),
            origins,
        }
    }
}

/// A snapshot of the process environment as name/value pairs.
///
/// Variables whose name or value is not valid Unicode are converted lossily,
/// so that a mangled `LAWHA_*` value is reported as invalid rather than
/// silently ignored.
// This crate is the only place allowed to read the process environment
// (clippy.toml disallows it everywhere else); this is the one function that
// does.
#[allow(clippy::disallowed_methods)]
pub(crate) fn process_env() -> Vec<(String, String)> {
    std::env::vars_os().map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_config_is_sqlite_with_a_long_fixed_key() {
        let config = Config::test(Path::new("/tmp/lawha-x"));
        assert_eq!(config.profile, Profile::Test);
        assert!(config.is_sqlite() && !config.is_postgres());
        assert_eq!(config.database_url.expose(), "sqlite:///tmp/lawha-x/lawha.db");
        assert!(config.secret_key_bytes().len() >= 32);
        assert_eq!(config.listen.port(), 0);
        assert_eq!(config.origin("http.body_limit_bytes"), Some(&Origin::Default));
    }
}
