//! What handlers share: the configuration, the database and the host monitor. Cheap to clone.

use std::sync::Arc;

use lawha_config::Config;
use lawha_store::Database;

use crate::system::SystemMonitor;

/// The state behind every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// The event log and read models.
    pub db: Database,
    /// Recently used API tokens.
    pub tokens: Arc<crate::users::token_cache::TokenCache>,
    /// Recent answers of `GET /api/v1/audit`.
    pub audit_pages: Arc<crate::audit::cache::PageCache>,
    /// The host's last hour of CPU, memory, disk and load figures, kept by a background task.
    pub system: SystemMonitor,
    /// The bound on argon2 work (sign-in, password changes): on the blocking pool, one per core, a short queue.
    pub passwords: Arc<crate::users::hashing::PasswordWork>,
    /// Open live event streams: their limits, the shared job-log pollers and the signal that ends them on shutdown.
    pub streams: Arc<crate::audit::stream::Streams>,
    /// Whether the database and the job queue answer, as background probes last saw them.
    pub availability: crate::http::health::Availability,
}

impl AppState {
    /// The keys of two-factor sign-in, derived from the secret key.
    pub fn two_factor_keys(&self) -> crate::users::two_factor::TwoFactorKeys {
        crate::users::two_factor::TwoFactorKeys::derive(self.config.secret_key_bytes())
    }
}
