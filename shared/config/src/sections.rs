//! The nested sections of the configuration (`[http]`, `[log]`, ...).
//!
//! Their `Default` implementations are the documented defaults in
//! [`crate::KEYS`]; the loader starts from them and overrides field by field.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Profile;

/// Limits for the HTTP API, which protect the server from slow or huge requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Largest accepted request body in bytes; bounds memory per request.
    pub body_limit_bytes: usize,
    /// Seconds before a request is abandoned, so stuck handlers free their slot.
    pub request_timeout_secs: u64,
    /// Seconds in-flight requests get to finish on shutdown, so deploys do not
    /// cut off operators mid-action.
    pub shutdown_grace_secs: u64,
    /// Seconds a client has to send a request's headers (and, on a kept-alive connection, to start the next
    /// request), so a client that sends them a byte at a time (slowloris) cannot hold a connection.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may make no progress in either direction (nothing read, nothing written) before it
    /// is closed, so a client that stops reading a long answer does not hold it forever.
    pub idle_timeout_secs: u64,
    /// Live event streams one principal (a user's sessions, or one API token) may hold open at once.
    pub max_streams_per_principal: u32,
    /// Live event streams the process holds open at once, whoever opened them, so streams cannot use up the
    /// database pool and memory.
    pub max_streams: u32,
    /// The peers allowed to name the client in `X-Real-IP` / `X-Forwarded-For` (the reverse proxy in front of
    /// the panel): anyone else could forge those headers and pose as another address, so their own address is
    /// the client's.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 2_097_152,
            request_timeout_secs: 30,
            shutdown_grace_secs: 30,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_streams_per_principal: 8,
            max_streams: 200,
            trusted_proxies: default_trusted_proxies(),
        }
    }
}

/// The proxies trusted by default: this host's loopback addresses (nginx on the same host).
pub fn default_trusted_proxies() -> Vec<ipnet::IpNet> {
    vec![
        ipnet::IpNet::V4(ipnet::Ipv4Net::new_assert(std::net::Ipv4Addr::new(127, 0, 0, 0), 8)),
        ipnet::IpNet::from(std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
    ]
}

impl HttpConfig {
    /// Whether `ip` is a trusted proxy. An IPv4 address seen as IPv6 (`::ffff:127.0.0.1`, from a dual-stack
    /// listener) is compared as IPv4.
    pub fn trusts(&self, ip: std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// How the process logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// An EnvFilter directive; a string so that per-crate levels can be given.
    pub level: String,
    /// The output format; [`LogFormat::effective`] resolves `Auto`.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { level: "info".to_owned(), format: LogFormat::Auto }
    }
}

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON in production (for log shippers), pretty elsewhere (for people).
    #[default]
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable, coloured when attached to a terminal.
    Pretty,
}

impl LogFormat {
    /// Resolves `Auto` for a profile; `Json` and `Pretty` are returned as is.
    pub fn effective(&self, profile: Profile) -> LogFormat {
        match self {
            Self::Auto if profile.is_production() => Self::Json,
            Self::Auto => Self::Pretty,
            other => *other,
        }
    }

    /// The name used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Json => "json",
            Self::Pretty => "pretty",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error returned when a log format name is not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a log format; expected auto, json or pretty")]
pub struct ParseLogFormatError(
    /// The rejected text, kept so the message can quote it.
    pub String,
);

impl FromStr for LogFormat {
    type Err = ParseLogFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            _ => Err(ParseLogFormatError(s.to_owned())),
        }
    }
}

/// The database connection pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// Pool size; bounded so one instance cannot exhaust PostgreSQL's slots.
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection, so overload fails fast.
    pub acquire_timeout_secs: u64,
    /// Milliseconds a request waits for a database that does not answer before it is told `503
    /// database_unavailable`, so an outage gives clients a quick answer to retry rather than a hang.
    pub unavailable_wait_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout_secs: 5, unavailable_wait_ms: 2000 }
    }
}

/// How projections catch up with the event store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionsConfig {
    /// Events applied per transaction; trades throughput against lock time.
    pub batch_size: u32,
    /// Milliseconds between polls; trades freshness against database load.
    pub poll_interval_ms: u64,
}

impl Default for ProjectionsConfig {
    fn default() -> Self {
        Self { batch_size: 500, poll_interval_ms: 1000 }
    }
}

/// Who may reach the web UI and the API, and under which path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiConfig {
    /// The security entrance: a secret first path segment (`/k8Jd02xQ`, no trailing slash) that the UI, sign-in
    /// and API answer under, so that scanners looking for a panel at `/login` find nothing. `None` serves them at
    /// the root.
    pub entrance: Option<String>,
    /// The client addresses allowed to use the UI and API; empty allows every address. A second line of defence
    /// behind the firewall, for panels that must listen on a public address.
    pub allow_ips: Vec<ipnet::IpNet>,
}

impl UiConfig {
    /// The path prefix the UI lives under: the entrance, or empty.
    pub fn prefix(&self) -> &str {
        self.entrance.as_deref().unwrap_or("")
    }

    /// Whether `ip` may use the UI and API: always when the list is empty. An IPv4 address seen as IPv6
    /// (`::ffff:192.0.2.1`, from a dual-stack listener) is compared as IPv4.
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.allow_ips.is_empty() || self.allow_ips.iter().any(|net| net.contains(&ip))
    }
}

/// How long web sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Seconds a session may stay unused, so a forgotten browser tab signs itself out.
    pub idle_timeout_secs: u64,
    /// Seconds after sign-in when a session ends regardless of use, so a stolen cookie is not good forever.
    pub absolute_timeout_secs: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self { idle_timeout_secs: 1800, absolute_timeout_secs: 43_200 }
    }
}

/// How jobs are queued and run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobsConfig {
    /// The SQLite file of the embedded queue (used when no Redis is configured); its own file, so queue polling
    /// never contends with appends for SQLite's single write lock.
    pub queue_path: std::path::PathBuf,
    /// Prefix of every Redis key, so several panels (or test runs) can share one Redis.
    pub namespace: String,
    /// Jobs one worker process runs at once per queue.
    pub concurrency: u32,
    /// Milliseconds between queue polls when idle: the bound on the wait from queued to started.
    pub poll_interval_ms: u64,
    /// Seconds in-flight jobs get to finish after a shutdown signal before they are abandoned (and later run
    /// again by another worker).
    pub shutdown_grace_secs: u64,
    /// The queues `lawha serve` runs workers for itself; the rest need worker processes.
    pub in_process: InProcess,
    /// Seconds after which a job still waiting on its queue is queued again, in case the queue lost it (a Redis
    /// restart without persistence); the queue's own deduplication makes this harmless when it did not.
    pub redispatch_after_secs: u64,
    /// When the audit chain is verified by itself (a cron expression in UTC); None turns the daily check off.
    pub audit_verify_cron: Option<String>,
}

impl JobsConfig {
    /// The defaults for a profile: every queue in-process outside production; in production `admin` (its jobs need
    /// the API's projections) and `diagnostics` (probes, so checking the pipeline works without extra processes).
    pub fn defaults(profile: Profile, data_dir: &std::path::Path) -> Self {
        Self {
            queue_path: data_dir.join("queue.db"),
            namespace: "lawha".to_owned(),
            concurrency: 8,
            poll_interval_ms: 20,
            shutdown_grace_secs: 30,
            in_process: if profile.is_production() {
                InProcess::Only(vec!["admin".to_owned(), "diagnostics".to_owned()])
            } else {
                InProcess::All
            },
            redispatch_after_secs: 300,
            audit_verify_cron: Some("17 3 * * *".to_owned()),
        }
    }
}

/// How backups treat the machine they run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupsConfig {
    /// More paths no backup may read, write its archives into or restore over, beside the panel's own
    /// ([`crate::Config::protected_paths`]): an operator's secrets the panel cannot know about.
    pub protected_paths: Vec<std::path::PathBuf>,
    /// Hours the folder an overwriting restore replaced is kept beside the target (`.<name>.lawha-previous-…`)
    /// after the restore succeeded, so a restore over the wrong folder can be undone by hand; 0 deletes it at
    /// once.
    pub safety_copy_hours: u64,
}

impl Default for BackupsConfig {
    fn default() -> Self {
        Self { protected_paths: Vec::new(), safety_copy_hours: 24 }
    }
}

/// Which queues a process serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InProcess {
    /// Every queue.
    All,
    /// These queues only (possibly none).
    Only(Vec<String>),
}

impl InProcess {
    /// Whether the queue is served here.
    pub fn serves(&self, queue: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(queues) => queues.iter().any(|q| q == queue),
        }
    }
}

impl fmt::Display for InProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("all"),
            Self::Only(queues) => f.write_str(&queues.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_log_format_is_json_only_in_production() {
        assert_eq!(LogFormat::Auto.effective(Profile::Production), LogFormat::Json);
        assert_eq!(LogFormat::Auto.effective(Profile::Development), LogFormat::Pretty);
        assert_eq!(LogFormat::Auto.effective(Profile::Test), LogFormat::Pretty);
        assert_eq!(LogFormat::Pretty.effective(Profile::Production), LogFormat::Pretty);
        assert_eq!(LogFormat::Json.effective(Profile::Development), LogFormat::Json);
    }

    #[test]
    fn log_format_names_parse() {
        assert_eq!("JSON".parse(), Ok(LogFormat::Json));
        assert_eq!("pretty".parse(), Ok(LogFormat::Pretty));
        assert!("xml".parse::<LogFormat>().is_err());
    }

    #[test]
    fn an_empty_allow_list_allows_everyone_and_mapped_ipv4_matches_ipv4_ranges() {
        let open = UiConfig::default();
        assert!(open.allows("203.0.113.9".parse().unwrap()));
        let ui = UiConfig {
            entrance: None,
            allow_ips: vec!["192.0.2.0/24".parse().unwrap(), "2001:db8::/32".parse().unwrap()],
        };
        assert!(ui.allows("192.0.2.77".parse().unwrap()));
        assert!(ui.allows("::ffff:192.0.2.77".parse().unwrap()));
        assert!(ui.allows("2001:db8::1".parse().unwrap()));
        assert!(!ui.allows("192.0.3.1".parse().unwrap()));
        assert!(!ui.allows("127.0.0.1".parse().unwrap()));
    }
}
