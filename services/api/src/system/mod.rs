//! The system capability: this host as the panel sees it. The host monitor (`monitor.rs`: CPU, memory, disk,
//! load and uptime sampled in the background, the last hour kept in memory), its JSON API (`api.rs`), the
//! dashboard (`dashboard/`) and the settings page with the language switch (`settings.rs`).

pub mod api;
pub mod dashboard;
pub mod monitor;
pub mod settings;

pub use monitor::{HISTORY_LEN, History, Recorder, SAMPLE_INTERVAL, Sample, Snapshot, SystemMonitor};
