//! Anchoring the audit chain outside the database. The chain's recorded head is a row of the database it protects,
//! so a log truncated together with its head, or an older copy of the whole database restored in its place, still
//! verifies; a checkpoint (the head's position and chain value, the time, the key id, signed with the checkpoint
//! key) kept elsewhere does not move with it. Each checkpoint goes to three places: an append-only file under the
//! data folder (`audit-checkpoints.jsonl`, what `lawha audit verify --checkpoints` and the verification job read),
//! the structured log (one `audit chain checkpoint` event with fixed `checkpoint.*` fields, so Loki keeps a copy
//! the panel cannot edit) and, when `audit.checkpoint_url` is set, a POST of the same JSON (failures are logged and
//! hold nothing up).
//!
//! `lawha serve` anchors every `audit.checkpoint_interval_secs` ([`run`]), after checking the log from its last
//! checkpoint on; every verification that finds the chain intact anchors too.

use std::{io, path::PathBuf, sync::Arc, time::Duration};

use chrono::Utc;
use lawha_config::Config;
use lawha_store::{
    ChainKey, ChainVerdict, Checkpoint, Checkpoints, Database, EventStore, StoreError, checkpoint, verify_chain,
    verify_chain_since,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a POST to the checkpoint URL may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Where checkpoints go and the key that signs them.
#[derive(Debug, Clone)]
pub struct Anchor {
    file: PathBuf,
    url: Option<String>,
    key: ChainKey,
}

/// What one periodic step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The log is empty: nothing to anchor.
    Empty,
    /// The head is the one anchored last: nothing new to anchor.
    Unchanged,
    /// A checkpoint of this position was written.
    Anchored(i64),
    /// The log no longer holds the last checkpoint, or is broken after it: nothing was anchored.
    Broken(ChainVerdict),
}

impl Anchor {
    /// The configured places (`<data_dir>/audit-checkpoints.jsonl`, `audit.checkpoint_url`), signing with `key`.
    pub fn new(config: &Config, key: ChainKey) -> Self {
        Self { file: config.data_dir.join(checkpoint::FILE_NAME), url: config.audit.checkpoint_url.clone(), key }
    }

    /// The checkpoint file.
    pub fn file(&self) -> &std::path::Path {
        &self.file
    }

    /// The checkpoints of the file, checked with the keyring (a file not yet written holds none).
    pub fn checkpoints(&self) -> io::Result<Checkpoints> {
        Checkpoints::read(&self.file, &self.key)
    }

    /// Signs the head `(position, head)` and records the checkpoint: appended to the file (synced before this
    /// returns), logged, and sent to the URL by a task of its own whose handle is returned (the panel lets it run;
    /// a one-shot command waits for it before exiting).
    pub async fn record(&self, position: i64, head: Vec<u8>) -> io::Result<(Checkpoint, Option<JoinHandle<()>>)> {
        let checkpoint = Checkpoint::sign(&self.key, position, head, Utc::now());
        let (file, written) = (self.file.clone(), checkpoint.clone());
        tokio::task::spawn_blocking(move || checkpoint::append(&file, &written)).await.map_err(io::Error::other)??;
        tracing::info!(
            checkpoint.position = checkpoint.position,
            checkpoint.head = %hex::encode(&checkpoint.head),
            checkpoint.at = %checkpoint.at_text(),
            checkpoint.key_id = %checkpoint.key_id,
            checkpoint.signature = %hex::encode(&checkpoint.signature),
            checkpoint.file = %self.file.display(),
            "audit chain checkpoint"
        );
        let sent = self.url.clone().map(|url| tokio::spawn(send(url, checkpoint.to_line())));
        Ok((checkpoint, sent))
    }

    /// One periodic step: checks the log from the last checkpoint on (the whole log when there is none yet) and, if
    /// it still holds that checkpoint and chains on from it, anchors the head when it moved.
    pub async fn step(&self, store: &dyn EventStore) -> Result<Step, AnchorError> {
        let checkpoints = self.checkpoints().map_err(AnchorError::File)?;
        let last = checkpoints.last();
        let verdict = match last {
            Some(last) => verify_chain_since(store, &self.key, last).await?,
            None => verify_chain(store, &self.key).await?,
        };
        let (events, head) = match verdict {
            ChainVerdict::Intact { events, head } => (events, head),
            broken @ ChainVerdict::Broken { .. } => return Ok(Step::Broken(broken)),
        };
        // Since a checkpoint, `events` counts the events after it; over the whole log, it is the last position.
        if events == 0 {
            return Ok(if last.is_some() { Step::Unchanged } else { Step::Empty });
        }
        let position = events + last.map_or(0, |l| l.checkpoint.position);
        self.record(position, head).await.map_err(AnchorError::File)?;
        Ok(Step::Anchored(position))
    }
}

/// Why a periodic step could not run.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// The checkpoint file could not be read or written.
    #[error("the checkpoint file: {0}")]
    File(io::Error),
    /// The log could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// POSTs one checkpoint line as JSON; a failure is logged (without the URL's credentials) and goes no further.
async fn send(url: String, line: String) {
    let client = reqwest::Client::new();
    let request = client.post(&url).header("content-type", "application/json").body(line).timeout(SEND_TIMEOUT);
    let shown = lawha_config::redact_url(&url);
    match request.send().await.and_then(reqwest::Response::error_for_status) {
        Ok(_) => tracing::debug!(url = %shown, "checkpoint sent"),
        Err(error) => tracing::warn!(url = %shown, error = %error.without_url(), "checkpoint not sent"),
    }
}

/// `lawha serve`'s anchoring, every `audit.checkpoint_interval_secs` (the first at start), until `stop`.
pub async fn run(config: Arc<Config>, db: Database, stop: CancellationToken) {
    let every = config.audit.checkpoint_interval_secs;
    if every == 0 {
        return;
    }
    let anchor = Anchor::new(&config, ChainKey::derive(config.secret_key_bytes()));
    let mut ticks = tokio::time::interval(Duration::from_secs(every));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        match anchor.step(db.events.as_ref()).await {
            Ok(Step::Broken(ChainVerdict::Broken { position, reason, .. })) => {
                metrics::counter!("lawha_audit_anchor_refusals_total").increment(1);
                tracing::error!(position, reason, file = %anchor.file.display(), "the audit chain no longer holds its last checkpoint; nothing anchored");
            }
            Ok(Step::Anchored(position)) => metrics::gauge!("lawha_audit_anchored_position").set(position as f64),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not anchor the audit chain; trying again at the next interval"),
        }
    }
}
