//! The audit chain's anchors (`[audit]`): how often the panel anchors the head of its chain outside the database,
//! and where besides its own file and log it sends each checkpoint.

/// Where and how often the head of the audit chain is anchored outside the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// Seconds between checkpoints `lawha serve` writes by itself (every verification writes one too); 0 writes
    /// them only on verification. Bounds how much of the log a truncation can remove before an anchor covers it.
    pub checkpoint_interval_secs: u64,
    /// An http:// URL each checkpoint is also POSTed to (a collector the panel's database cannot rewrite); failures
    /// are logged and never hold anything up.
    pub checkpoint_url: Option<String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self { checkpoint_interval_secs: 3600, checkpoint_url: None }
    }
}
