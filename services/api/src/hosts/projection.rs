//! `hosts`: one row per host that ever registered, with its last registration (labels, version, runtimes) and
//! whether its worker said it stopped. Updates are guarded by the stream version, so a replay changes nothing.

use async_trait::async_trait;
use lawha_domain::{DomainEvent as _, RecordedEvent, hosts::HostEvent};
use lawha_store::{EventFilter, Projection};
use serde_json::json;
use sqlx::AnyConnection;

/// The hosts projection.
#[derive(Debug, Clone, Copy)]
pub struct Hosts;

#[async_trait]
impl Projection for Hosts {
    fn name(&self) -> &'static str {
        "hosts"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["hosts"]
    }

    fn filter(&self) -> EventFilter {
        EventFilter::categories(["host"])
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        let at = event.recorded_at.timestamp_micros();
        match HostEvent::from_recorded(event) {
            Ok(HostEvent::HostRegistered { name, labels, version, runtimes }) => {
                let runtimes: Vec<&str> = runtimes.iter().map(|r| r.as_str()).collect();
                // The stream is the host's (its id derives from the name), so the name never changes.
                sqlx::query(
                    "INSERT INTO hosts (name, labels, version, runtimes, registered_at, stopped_at, running, \
                     stream_version) VALUES ($1, $2, $3, $4, $5, NULL, 1, $6) \
                     ON CONFLICT (name) DO UPDATE SET labels = excluded.labels, version = excluded.version, \
                     runtimes = excluded.runtimes, registered_at = excluded.registered_at, stopped_at = NULL, \
                     running = 1, stream_version = excluded.stream_version \
                     WHERE hosts.stream_version < excluded.stream_version",
                )
                .bind(name)
                .bind(json!(labels).to_string())
                .bind(version)
                .bind(json!(runtimes).to_string())
                .bind(at)
                .bind(event.version)
                .execute(tx)
                .await
                .map(drop)
            }
            Ok(HostEvent::HostStopped { name }) => sqlx::query(
                "UPDATE hosts SET running = 0, stopped_at = $2, stream_version = $3 \
                 WHERE name = $1 AND stream_version < $3",
            )
            .bind(name)
            .bind(at)
            .bind(event.version)
            .execute(tx)
            .await
            .map(drop),
            Err(error) => {
                tracing::warn!(%error, position = event.position, "a host event does not decode and is not shown");
                Ok(())
            }
        }
    }
}
