//! The host monitor: what this machine's CPU, memory, swap, disk, load and uptime look like now and over the
//! last hour, for the dashboard and `GET /api/v1/system`.
//!
//! One background task ([`Recorder::run`], started by `App::run_until_stopped`) reads the host every
//! [`SAMPLE_INTERVAL`] into a ring buffer of [`HISTORY_LEN`] samples (one hour) and publishes an immutable
//! [`Snapshot`] of it. Requests never read the host: they clone the current snapshot's `Arc` under a lock held
//! for that clone only, then format without it, so a page costs the same whatever the sampling does.
//!
//! Architecture note: nothing here is an event. These are measurements of the moment, kept in memory; a restart
//! starts a new hour.

mod sampler;

use std::{
    collections::VecDeque,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub use sampler::{Sampler, disk_for};

/// How often the host is read.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(10);
/// How many samples are kept: one hour at [`SAMPLE_INTERVAL`].
pub const HISTORY_LEN: usize = 360;

/// One reading of the host.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Sample {
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// CPU use over all cores since the previous sample, 0 to 100 (the first sample after start: since boot).
    pub cpu_percent: f32,
    /// Logical CPUs, the scale of the load averages.
    pub cpu_count: u32,
    /// Memory in use (total minus available), in bytes.
    pub memory_used_bytes: u64,
    /// Installed memory, in bytes.
    pub memory_total_bytes: u64,
    /// Swap in use, in bytes.
    pub swap_used_bytes: u64,
    /// Swap configured, in bytes (0 without swap).
    pub swap_total_bytes: u64,
    /// Space used on the filesystem holding the data directory, in bytes: its size minus what an unprivileged
    /// process may still write, so blocks reserved for root count as used (`df` shows them in neither column).
    /// Null when it cannot be read.
    pub disk_used_bytes: Option<u64>,
    /// Size of that filesystem, in bytes; null when it cannot be read.
    pub disk_total_bytes: Option<u64>,
    /// Load average over one minute.
    pub load_one: f64,
    /// Load average over five minutes.
    pub load_five: f64,
    /// Load average over fifteen minutes.
    pub load_fifteen: f64,
    /// Seconds since the host booted.
    pub uptime_secs: u64,
}

/// The last hour as published for readers: immutable, shared by every request until the next sample.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Oldest first; at most [`HISTORY_LEN`].
    pub samples: Vec<Sample>,
    /// The mount point of the filesystem the disk figures describe.
    pub disk_mount: Option<PathBuf>,
}

impl Snapshot {
    /// The newest sample.
    pub fn current(&self) -> Option<&Sample> {
        self.samples.last()
    }
}

/// The readers' handle: cheap to clone, shared through `AppState`.
#[derive(Debug, Clone, Default)]
pub struct SystemMonitor {
    /// The latest snapshot. The lock guards an `Arc` swap or clone, nothing longer.
    latest: Arc<RwLock<Arc<Snapshot>>>,
}

impl SystemMonitor {
    /// The last hour as of the latest sample.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.latest.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the published snapshot.
    fn publish(&self, snapshot: Snapshot) {
        let snapshot = Arc::new(snapshot);
        *self.latest.write().unwrap_or_else(PoisonError::into_inner) = snapshot;
    }
}

/// A fixed-size ring buffer of samples: pushing onto a full one drops the oldest.
#[derive(Debug)]
pub struct History {
    samples: VecDeque<Sample>,
    capacity: usize,
}

impl History {
    /// An empty buffer keeping at most `capacity` samples (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self { samples: VecDeque::with_capacity(capacity), capacity }
    }

    /// Appends `sample`, dropping the oldest when full.
    pub fn push(&mut self, sample: Sample) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// The samples, oldest first.
    pub fn to_vec(&self) -> Vec<Sample> {
        self.samples.iter().cloned().collect()
    }

    /// How many samples are kept now.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no sample is kept.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// The writer: owns the host reader and the ring buffer, and publishes to its [`SystemMonitor`].
#[derive(Debug)]
pub struct Recorder {
    /// The host reader, behind a mutex so a blocking thread can borrow it (only this recorder ever locks it).
    sampler: Option<Arc<Mutex<Sampler>>>,
    history: History,
    monitor: SystemMonitor,
}

impl Recorder {
    /// A recorder for the filesystem holding `data_dir`, with its first sample already published, so the
    /// dashboard is never empty. On a platform sysinfo does not support it publishes nothing, and says so once.
    pub async fn start(data_dir: &Path) -> (SystemMonitor, Recorder) {
        let monitor = SystemMonitor::default();
        let sampler = match Sampler::new(data_dir) {
            Ok(sampler) => Some(Arc::new(Mutex::new(sampler))),
            Err(error) => {
                tracing::warn!(%error, "cannot read this host's CPU and memory; the dashboard will show no figures");
                None
            }
        };
        let mut recorder = Recorder { sampler, history: History::new(HISTORY_LEN), monitor: monitor.clone() };
        recorder.record().await;
        (monitor, recorder)
    }

    /// Reads the host once (on a blocking thread: reading `/proc` and `statvfs` are system calls that can
    /// stall on a sick mount) and publishes the new hour.
    pub async fn record(&mut self) {
        let Some(sampler) = self.sampler.clone() else { return };
        let read = tokio::task::spawn_blocking(move || {
            let mut sampler = sampler.lock().unwrap_or_else(PoisonError::into_inner);
            let sample = sampler.sample(Utc::now());
            (sample, sampler.disk_mount().map(Path::to_path_buf))
        })
        .await;
        match read {
            Ok((sample, disk_mount)) => {
                self.history.push(sample);
                self.monitor.publish(Snapshot { samples: self.history.to_vec(), disk_mount });
            }
            Err(error) => tracing::warn!(%error, "reading the host's figures failed"),
        }
    }

    /// Samples every [`SAMPLE_INTERVAL`] until `stop` is cancelled.
    pub async fn run(mut self, stop: CancellationToken) {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + SAMPLE_INTERVAL, SAMPLE_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => self.record().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn sample(second: i64) -> Sample {
        Sample {
            at: Utc.timestamp_opt(second, 0).single().expect("a valid time"),
            cpu_percent: 1.0,
            cpu_count: 2,
            memory_used_bytes: 1,
            memory_total_bytes: 2,
            swap_used_bytes: 0,
            swap_total_bytes: 0,
            disk_used_bytes: Some(1),
            disk_total_bytes: Some(2),
            load_one: 0.1,
            load_five: 0.2,
            load_fifteen: 0.3,
            uptime_secs: 60,
        }
    }

    #[test]
    fn the_ring_buffer_keeps_the_newest_samples_oldest_first() {
        let mut history = History::new(3);
        assert!(history.is_empty());
        for second in 1..=5 {
            history.push(sample(second));
        }
        assert_eq!(history.len(), 3);
        let kept: Vec<_> = history.to_vec().iter().map(|s| s.at.timestamp()).collect();
        assert_eq!(kept, [3, 4, 5]);
        let mut tiny = History::new(0);
        tiny.push(sample(1));
        tiny.push(sample(2));
        assert_eq!(tiny.to_vec(), [sample(2)]);
    }

    #[test]
    fn readers_see_the_published_snapshot_and_clones_share_it() {
        let monitor = SystemMonitor::default();
        assert!(monitor.snapshot().current().is_none());
        let reader = monitor.clone();
        monitor.publish(Snapshot { samples: vec![sample(1), sample(2)], disk_mount: Some("/".into()) });
        let snapshot = reader.snapshot();
        assert_eq!(snapshot.current(), Some(&sample(2)));
        assert_eq!(snapshot.disk_mount.as_deref(), Some(Path::new("/")));
    }

    #[tokio::test]
    async fn the_recorder_publishes_a_real_sample_at_start_and_one_more_per_record() {
        let dir = std::env::temp_dir();
        let (monitor, mut recorder) = Recorder::start(&dir).await;
        let first = monitor.snapshot();
        let current = first.current().expect("a sample at start");
        assert!((0.0..=100.0).contains(&current.cpu_percent), "{current:?}");
        assert!(current.memory_total_bytes > 0 && current.memory_used_bytes <= current.memory_total_bytes);
        assert!(current.cpu_count >= 1 && current.uptime_secs > 0, "{current:?}");
        let (used, total) = (current.disk_used_bytes.expect("disk used"), current.disk_total_bytes.expect("disk size"));
        assert!(total > 0 && used <= total, "{current:?}");
        recorder.record().await;
        assert_eq!(monitor.snapshot().samples.len(), 2);
        assert_eq!(first.samples.len(), 1, "a published snapshot never changes");
    }
}
