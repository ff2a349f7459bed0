//! The watch of this host's live sites: every [`EVERY`] the worker asks each site's health path on the colour
//! that serves, as the health gate does, and sets `lawha_site_up{site}` to 1 or 0 for Prometheus (the
//! `LawhaSiteDown` alert), and `lawha_site_live_release_age_seconds{site}` to the age of the release that serves. A site that stops answering between deployments is then heard of, not found by its
//! users. A change of state is logged once.

use std::{collections::HashMap, time::Duration};

use sqlx::Row as _;
use tokio_util::sync::CancellationToken;

use crate::engine::health::HealthGate;

/// The time between two rounds.
pub const EVERY: Duration = Duration::from_secs(30);

/// One live site of this host, as the read model has it.
struct Live {
    name: String,
    port: u16,
    path: String,
    since_micros: Option<i64>,
}

async fn live_sites(db: &lawha_store::Database, host: &str) -> Result<Vec<Live>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT name, health_path, live_colour, live_since, port_blue, port_green FROM sites \
         WHERE host = $1 AND live_colour IS NOT NULL ORDER BY name",
    )
    .bind(host.to_owned())
    .fetch_all(&db.read_models)
    .await?;
    let mut live = Vec::with_capacity(rows.len());
    for row in rows {
        let colour: String = row.try_get("live_colour")?;
        let port: i64 = row.try_get(if colour == "green" { "port_green" } else { "port_blue" })?;
        live.push(Live {
            name: row.try_get("name")?,
            port: u16::try_from(port).unwrap_or_default(),
            path: row.try_get("health_path")?,
            since_micros: row.try_get("live_since")?,
        });
    }
    Ok(live)
}

/// Whether `site` answers 200 on its health path now.
async fn answers(client: &reqwest::Client, site: &Live) -> bool {
    let url = HealthGate::new(site.path.clone()).url(site.port);
    client.get(url).send().await.is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
}

/// Watches the live sites of `host` until `stop` is cancelled.
pub async fn run(db: lawha_store::Database, host: String, stop: CancellationToken) {
    let client = match reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::warn!(%error, "cannot watch the sites' health");
            return;
        }
    };
    let mut up: HashMap<String, bool> = HashMap::new();
    loop {
        match live_sites(&db, &host).await {
            Ok(sites) => {
                for site in &sites {
                    let now = answers(&client, site).await;
                    metrics::gauge!("lawha_site_up", "site" => site.name.clone()).set(if now { 1.0 } else { 0.0 });
                    if let Some(since) = site.since_micros {
                        #[allow(clippy::cast_precision_loss)] // ages in seconds are far below 2^52
                        let age = (chrono::Utc::now().timestamp_micros() - since).max(0) as f64 / 1e6;
                        metrics::gauge!("lawha_site_live_release_age_seconds", "site" => site.name.clone()).set(age);
                    }
                    match up.insert(site.name.clone(), now) {
                        Some(before) if before == now => {}
                        _ if now => {
                            tracing::info!(site = %site.name, port = site.port, "the site answers its health path")
                        }
                        _ => {
                            tracing::warn!(site = %site.name, port = site.port, "the site does not answer its health path")
                        }
                    }
                }
                up.retain(|name, _| sites.iter().any(|s| &s.name == name));
            }
            Err(error) => tracing::warn!(%error, "cannot read this host's live sites; trying again"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}
