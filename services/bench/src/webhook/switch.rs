//! The second part of `lawha bench webhook`: real blue-green deployments through a real nginx under continuous
//! load. A panel with its deploy worker in-process deploys commits of a git repository made here (a python3 app
//! that answers its version) on the `process` runtime, each asked for by a signed push; meanwhile clients ask
//! nginx for `/` on new connections. The switch time runs from the deployment's `DeploymentHealthPassed` event to
//! the first answer carrying the new version, both on this machine's clock; every request that fails counts.

use std::{
    sync::{Arc, atomic::AtomicBool},
    time::{Duration, Instant, UNIX_EPOCH},
};

use anyhow::{Context as _, bail};
use serde_json::Value;
use sqlx::{Connection as _, PgConnection};

use super::{
    WebhookArgs,
    panel::{Panel, Site},
    payload::Deliveries,
    stage::{self, Stage},
};

/// One deployment under load.
pub struct Switch {
    /// From the health gate passing to nginx switched (both recorded events), in ms.
    pub to_switched_ms: f64,
    /// From the health gate passing to the first answer of the new version, in ms (None: never answered).
    pub to_first_answer_ms: Option<f64>,
    /// Requests answered through nginx while the deployment ran.
    pub answered: u64,
    /// Requests that failed meanwhile, and the first few failures.
    pub failed: u64,
    pub errors: Vec<String>,
    /// Answers per second meanwhile.
    pub rate: f64,
}

/// Runs `--deploys` deployments under load on a panel of its own (database `name`); one figure each.
pub async fn switches(
    args: &WebhookArgs,
    secret: &str,
    name: &str,
    created: &mut Vec<String>,
) -> anyhow::Result<Vec<Switch>> {
    let stage = Stage::start(&args.nginx, "shop")?;
    let (releases, state, upstreams) = stage.deploy_dirs();
    let env = [
        ("LAWHA_DEPLOYMENTS__RELEASES_DIR", releases.display().to_string()),
        ("LAWHA_DEPLOYMENTS__STATE_DIR", state.display().to_string()),
        ("LAWHA_DEPLOYMENTS__NGINX_UPSTREAM_DIR", upstreams.display().to_string()),
        ("LAWHA_DEPLOYMENTS__NGINX_TEST_COMMAND", stage.nginx_command(&["-t"]).join(" ")),
        ("LAWHA_DEPLOYMENTS__NGINX_RELOAD_COMMAND", stage.nginx_command(&["-s", "reload"]).join(" ")),
        ("LAWHA_DEPLOYMENTS__DRAIN_SECS", "1".to_owned()),
        ("LAWHA_DEPLOYMENTS__HEALTH_DEADLINE_SECS", "20".to_owned()),
    ];
    let panel = Panel::start(&args.admin_url, &args.redis_url, name, created, secret, "all", &env).await?;
    let outcome = deploy_all(args, &panel, &stage).await;
    panel.stop().await;
    drop(stage);
    outcome
}

async fn deploy_all(args: &WebhookArgs, panel: &Panel, stage: &Stage) -> anyhow::Result<Vec<Switch>> {
    let build = "test -f app.py\n";
    let mut before = stage.commit("v1", build)?;
    let site = panel.create_site(&format!("file://{}", stage.repo.display()), "main", stage.ports).await?;
    let deliveries = Deliveries::new("main", &site.secret, 3);
    let first = push(panel, &site, &deliveries.of_commit(0, &before, &"0".repeat(40))).await?;
    ended(panel, &first).await?;
    serving(stage.port, "v1").await?;
    let mut figures = Vec::new();
    for n in 1..=args.deploys {
        let version = format!("v{}", n + 1);
        let after = stage.commit(&version, build)?;
        let stop = Arc::new(AtomicBool::new(false));
        let loader = stage::load(stage.port, args.switch_clients, &stop);
        // The load runs a moment before the push, and a moment after the deployment ended.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        let id = push(panel, &site, &deliveries.of_commit(u64::from(n), &after, &before)).await?;
        ended(panel, &id).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let served = loader.await.context("the load through nginx")?;
        let seconds = started.elapsed().as_secs_f64() + 0.5;
        let (health, switched) = step_times(&panel.url, &id).await?;
        let first_answer = served.first.get(&version).and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        #[allow(clippy::cast_precision_loss)]
        figures.push(Switch {
            to_switched_ms: (switched - health) * 1000.0,
            to_first_answer_ms: first_answer.map(|t| (t.as_secs_f64() - health) * 1000.0),
            answered: served.answered,
            failed: served.failed,
            errors: served.errors.into_iter().take(3).collect(),
            rate: served.answered as f64 / seconds,
        });
        before = after;
    }
    Ok(figures)
}

/// Sends a signed push; the deployment it asked for.
async fn push(panel: &Panel, site: &Site, delivery: &super::payload::Delivery) -> anyhow::Result<String> {
    let client = reqwest::Client::builder().no_proxy().build()?;
    let response = client
        .post(format!("http://{}{}", panel.addr, site.webhook_path))
        .header("content-type", "application/json")
        .header("x-github-event", "push")
        .header("x-github-delivery", &delivery.id)
        .header("x-github-hook-id", "4242")
        .header("x-hub-signature-256", &delivery.signature)
        .body(delivery.body.clone())
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    match answer["deployment_id"].as_str() {
        Some(id) if status == reqwest::StatusCode::ACCEPTED => Ok(id.to_owned()),
        _ => bail!("the push was answered {status}: {answer}"),
    }
}

/// Waits for deployment `id` to succeed (two minutes at most); an error with its view when it failed.
async fn ended(panel: &Panel, id: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let view = panel.get(&format!("/api/v1/deployments/{id}")).await.unwrap_or(Value::Null);
        match view["status"].as_str() {
            Some("succeeded") => return Ok(()),
            Some("failed") => bail!("deployment {id} failed: {view}"),
            _ if started.elapsed() > Duration::from_secs(120) => bail!("deployment {id} did not end: {view}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Waits until nginx answers `version` (ten seconds at most).
async fn serving(port: u16, version: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().no_proxy().build()?;
    let started = Instant::now();
    loop {
        let answer = client.get(format!("http://127.0.0.1:{port}/")).send().await;
        if let Ok(response) = answer
            && response.text().await.is_ok_and(|body| body == version)
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(10) {
            bail!("nginx did not serve {version} within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// When deployment `id` recorded its health gate passing and its switch (seconds since the epoch).
async fn step_times(url: &str, id: &str) -> anyhow::Result<(f64, f64)> {
    let mut conn = PgConnection::connect(url).await?;
    let rows: Vec<(String, f64)> = sqlx::query_as(
        "SELECT type, EXTRACT(EPOCH FROM recorded_at)::float8 FROM events WHERE stream_id = $1 \
         AND type IN ('DeploymentHealthPassed', 'DeploymentSwitched')",
    )
    .bind(format!("deployment-{id}"))
    .fetch_all(&mut conn)
    .await?;
    conn.close().await?;
    let at = |kind: &str| rows.iter().find(|(t, _)| t == kind).map(|(_, at)| *at);
    match (at("DeploymentHealthPassed"), at("DeploymentSwitched")) {
        (Some(health), Some(switched)) => Ok((health, switched)),
        _ => bail!("deployment {id} recorded no DeploymentHealthPassed and DeploymentSwitched: {rows:?}"),
    }
}
