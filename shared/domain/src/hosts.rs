//! Hosts: the machines whose `lawha-deploy-worker` runs the sites' deployments. A worker registers its host when
//! it starts (`HostRegistered`: name, labels, version, the runtimes it offers) and says so when it stops
//! (`HostStopped`), so the audit log shows which worker served a host when; between the two it heartbeats outside
//! the log (the `host_heartbeats` table: liveness is not a fact worth keeping forever).
//!
//! A host lives in `host-<id>` where the id is derived from its name ([`Host::id_of`]), so every start of the
//! same machine's worker appends to one stream.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::aggregate::{Aggregate, DomainEvent};
use crate::deployments::Runtime;

/// Whether `name` can name a host: 1 to 63 lowercase ASCII letters, digits and `-`, not starting or ending with
/// `-`. It becomes part of a queue name (`deployments.<host>`) and of Redis keys.
pub fn is_host_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Whether `label` can be one of a host's labels: 1 to 63 printable ASCII characters without spaces.
pub fn is_host_label(label: &str) -> bool {
    (1..=63).contains(&label.len()) && label.bytes().all(|b| b.is_ascii_graphic())
}

/// The most labels a host registers with.
pub const MAX_LABELS: usize = 32;

/// What happened to a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum HostEvent {
    /// A deploy worker started on the host.
    HostRegistered {
        /// The host's name.
        name: String,
        /// Its labels.
        labels: Vec<String>,
        /// The worker's version.
        version: String,
        /// The runtimes the worker can run there.
        runtimes: Vec<Runtime>,
    },
    /// The host's deploy worker stopped on a signal, after finishing its jobs.
    HostStopped {
        /// The host's name.
        name: String,
    },
}

/// Every host fact is at schema 1 (the default).
impl DomainEvent for HostEvent {}

/// What a worker asks of its host's record.
#[derive(Debug, Clone)]
pub enum HostCommand {
    /// A worker started.
    Register {
        /// The host's name.
        name: String,
        /// Its labels.
        labels: Vec<String>,
        /// The worker's version.
        version: String,
        /// The runtimes it offers.
        runtimes: Vec<Runtime>,
    },
    /// The worker stopped.
    Stop,
}

/// Why a host command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostRejection {
    /// A name that breaks [`is_host_name`], or another name than the stream's.
    #[error("{0:?} is not this host's name")]
    Name(String),
    /// A label that breaks [`is_host_label`], or more than [`MAX_LABELS`].
    #[error("the host's labels must be at most {MAX_LABELS} of 1 to 63 printable characters without spaces")]
    Labels,
    /// Stop without a running worker.
    #[error("no worker runs on this host")]
    NotRunning,
}

/// A host as its stream tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    /// Its name, once registered.
    pub name: Option<String>,
    /// Whether a worker said it started and has not said it stopped.
    pub running: bool,
}

impl Host {
    /// The id of the host named `name` (a UUIDv5, so the same name always has the same stream).
    pub fn id_of(name: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("lawha-host:{name}").as_bytes())
    }
}

impl Aggregate for Host {
    const CATEGORY: &'static str = "host";
    type Event = HostEvent;
    type Command = HostCommand;
    type Rejection = HostRejection;

    fn apply(self, event: &HostEvent) -> Self {
        match event {
            HostEvent::HostRegistered { name, .. } => Self { name: Some(name.clone()), running: true },
            HostEvent::HostStopped { .. } => Self { running: false, ..self },
        }
    }

    fn decide(&self, command: &HostCommand, _now: DateTime<Utc>) -> Result<Vec<HostEvent>, HostRejection> {
        match command {
            HostCommand::Register { name, labels, version, runtimes } => {
                if !is_host_name(name) || self.name.as_ref().is_some_and(|known| known != name) {
                    return Err(HostRejection::Name(name.clone()));
                }
                if labels.len() > MAX_LABELS || !labels.iter().all(|l| is_host_label(l)) {
                    return Err(HostRejection::Labels);
                }
                Ok(vec![HostEvent::HostRegistered {
                    name: name.clone(),
                    labels: labels.clone(),
                    version: version.clone(),
                    runtimes: runtimes.clone(),
                }])
            }
            HostCommand::Stop => match (&self.name, self.running) {
                (Some(name), true) => Ok(vec![HostEvent::HostStopped { name: name.clone() }]),
                _ => Err(HostRejection::NotRunning),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register(name: &str) -> HostCommand {
        HostCommand::Register {
            name: name.into(),
            labels: vec!["region=eu".into()],
            version: "0.1.0".into(),
            runtimes: vec![Runtime::Process],
        }
    }

    #[test]
    fn host_names_are_one_lowercase_label() {
        for good in ["local", "web-2", "a", &"x".repeat(63)] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in ["", "Web", "web.example.com", "-a", "a-", "a b", "a_b", &"x".repeat(64)] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_worker_registers_at_every_start_and_stops_once() {
        let now = Utc::now();
        let host = Host::default();
        let events = host.decide(&register("web-2"), now).unwrap();
        let host = events.iter().fold(host, |h, e| h.apply(e));
        assert_eq!(host, Host { name: Some("web-2".into()), running: true });
        // A restart after a kill (no HostStopped) registers again.
        assert_eq!(host.decide(&register("web-2"), now).unwrap().len(), 1);
        let stopped = host.clone().apply(&host.decide(&HostCommand::Stop, now).unwrap()[0]);
        assert!(!stopped.running);
        assert_eq!(stopped.decide(&HostCommand::Stop, now), Err(HostRejection::NotRunning));
    }

    #[test]
    fn bad_names_and_labels_are_refused() {
        let now = Utc::now();
        assert!(matches!(Host::default().decide(&register("Web"), now), Err(HostRejection::Name(_))));
        let known = Host { name: Some("web-2".into()), running: false };
        assert!(matches!(known.decide(&register("web-3"), now), Err(HostRejection::Name(_))));
        let labels = HostCommand::Register {
            name: "web-2".into(),
            labels: vec!["two words".into()],
            version: "1".into(),
            runtimes: vec![],
        };
        assert_eq!(Host::default().decide(&labels, now), Err(HostRejection::Labels));
        assert_eq!(Host::id_of("web-2"), Host::id_of("web-2"));
        assert_ne!(Host::id_of("web-2"), Host::id_of("web-3"));
    }
}
