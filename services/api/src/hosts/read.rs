//! Reads of `hosts` and `host_heartbeats` in the shape the API and the page use. A host is `online` while its
//! worker's last heartbeat is recent, `stopped` when the worker said it stopped, `offline` when its heartbeats
//! ended without a word (killed, or its machine is down), and `unregistered` for the panel's own host before its
//! worker first started.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::{AnyPool, Row as _};

use crate::jobs::read::time;

/// How long after its last heartbeat a worker counts as gone: three heartbeats missed.
pub const STALE_AFTER_SECS: i64 = 3 * lawha_deploy_worker::host::HEARTBEAT_SECS;

/// A host as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HostView {
    /// Its name: its worker serves the queue `deployments.<name>`.
    pub name: String,
    /// `online`, `offline`, `stopped` or `unregistered`.
    pub state: String,
    /// Its labels.
    pub labels: Vec<String>,
    /// The version of its worker, at its last start.
    pub version: Option<String>,
    /// The runtimes its worker offers (`process`, `systemd`, `docker`).
    pub runtimes: Vec<String>,
    /// Its worker's last heartbeat (RFC 3339), or null when none was ever seen.
    pub last_seen: Option<String>,
    /// When its worker last started.
    pub registered_at: Option<String>,
    /// When its worker last stopped on a signal, while it is stopped.
    pub stopped_at: Option<String>,
    /// How many sites run on it.
    pub sites: i64,
    /// Whether it is the panel's own machine (`deployments.host`).
    pub own: bool,
}

impl HostView {
    /// Whether a site may use `runtime` here: a host that never registered says nothing against it.
    pub fn offers(&self, runtime: &str) -> bool {
        self.version.is_none() || self.runtimes.iter().any(|r| r == runtime)
    }
}

/// Every host, the panel's own first, then by name; the panel's own is listed even before its worker started.
pub async fn list(pool: &AnyPool, own: &str) -> Result<Vec<HostView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT h.name, h.labels, h.version, h.runtimes, h.registered_at, h.stopped_at, h.running, b.last_seen, \
                (SELECT COUNT(*) FROM sites s WHERE s.host = h.name) AS sites \
         FROM hosts h LEFT JOIN host_heartbeats b ON b.name = h.name ORDER BY h.name",
    )
    .fetch_all(pool)
    .await?;
    let now = Utc::now().timestamp();
    let mut hosts = Vec::with_capacity(rows.len() + 1);
    for row in rows {
        let name: String = row.try_get("name")?;
        let last_seen: Option<i64> = row.try_get("last_seen")?;
        let running = row.try_get::<i64, _>("running")? == 1;
        let state = state(running, last_seen, now);
        hosts.push(HostView {
            own: name == own,
            state: state.to_owned(),
            labels: json_list(&row.try_get::<String, _>("labels")?),
            version: Some(row.try_get("version")?),
            runtimes: json_list(&row.try_get::<String, _>("runtimes")?),
            last_seen: last_seen.and_then(|s| DateTime::from_timestamp(s, 0)).map(rfc3339),
            registered_at: time(row.try_get("registered_at")?),
            stopped_at: if running { None } else { time(row.try_get("stopped_at")?) },
            sites: row.try_get("sites")?,
            name,
        });
    }
    if !hosts.iter().any(|h| h.own) {
        let sites: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sites WHERE host = $1").bind(own).fetch_one(pool).await?;
        hosts.push(HostView {
            name: own.to_owned(),
            state: "unregistered".to_owned(),
            labels: Vec::new(),
            version: None,
            runtimes: Vec::new(),
            last_seen: None,
            registered_at: None,
            stopped_at: None,
            sites,
            own: true,
        });
    }
    hosts.sort_by(|a, b| b.own.cmp(&a.own).then_with(|| a.name.cmp(&b.name)));
    Ok(hosts)
}

/// A registered host's state: `stopped` once its worker said so, `online` while its heartbeat is recent,
/// `offline` when the heartbeat stopped without a word.
fn state(running: bool, last_seen: Option<i64>, now: i64) -> &'static str {
    match last_seen {
        _ if !running => "stopped",
        Some(seen) if now - seen <= STALE_AFTER_SECS => "online",
        _ => "offline",
    }
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::{STALE_AFTER_SECS, state};

    #[test]
    fn a_host_is_online_while_it_heartbeats_and_offline_when_it_goes_quiet_without_stopping() {
        let now = 1_000_000;
        assert_eq!(state(true, Some(now - 5), now), "online");
        assert_eq!(state(true, Some(now - STALE_AFTER_SECS), now), "online");
        assert_eq!(state(true, Some(now - STALE_AFTER_SECS - 1), now), "offline");
        assert_eq!(state(true, None, now), "offline");
        assert_eq!(state(false, Some(now), now), "stopped");
    }
}
