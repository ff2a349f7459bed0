//! What the handler reads from the read models (it never writes them, invariant 3): the earlier deployments of a
//! site that have not ended, which a deployment waits for so that one site's deployments run in the order they
//! were asked for, and the colour the `sites` read model says serves.
//!
//! "Earlier" is the read model's order: asked for before, or at the same microsecond with a smaller id. Only the
//! deployments of the same host count: another host's are another worker's and never run here. A deployment the
//! projection has not shown yet is not waited for; the site's lock (`lock.rs`) still keeps the two apart. Nor is
//! one whose job will never run (dead-lettered, or refused at dispatch): it would never end, and every later
//! deployment of the site would wait for it until its own job timed out.

use std::time::Duration;

use lawha_domain::{Message, deployments::Colour};
use lawha_jobs::runtime::JobError;
use sqlx::AnyPool;
use tokio::sync::mpsc::UnboundedSender;
use uuid::Uuid;

use crate::messages;

/// How often the read model is asked again while an earlier deployment runs.
pub const POLL: Duration = Duration::from_millis(500);

/// The deployment that waits, as the read model knows it.
#[derive(Debug, Clone, Copy)]
pub struct Waiting<'a> {
    /// The deployment.
    pub deployment_id: Uuid,
    /// Its site.
    pub site_id: Uuid,
    /// Its host.
    pub host: &'a str,
    /// When it was asked for (microseconds since the epoch).
    pub requested_at: i64,
}

/// The earliest deployment of the site that was asked for before `waiting` and has not ended.
async fn earlier(pool: &AnyPool, waiting: Waiting<'_>) -> Result<Option<String>, sqlx::Error> {
    let me = waiting.deployment_id.to_string();
    sqlx::query_scalar(
        "SELECT deployment_id FROM deployments \
         WHERE site_id = $1 AND host = $2 AND deployment_id <> $3 AND status NOT IN ('succeeded', 'failed') \
         AND (requested_at < $4 OR (requested_at = $4 AND deployment_id < $3)) \
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.job_id = deployments.job_id \
                         AND j.state IN ('dead', 'dispatch_failed')) \
         ORDER BY requested_at, deployment_id LIMIT 1",
    )
    .bind(waiting.site_id.to_string())
    .bind(waiting.host.to_owned())
    .bind(me)
    .bind(waiting.requested_at)
    .fetch_optional(pool)
    .await
}

/// Returns once no earlier deployment of the site is active, asking every [`POLL`]; says in `log` which one it
/// waits for, once per deployment.
pub async fn for_earlier(pool: &AnyPool, waiting: Waiting<'_>, log: &UnboundedSender<Message>) -> Result<(), JobError> {
    let mut announced: Option<String> = None;
    loop {
        match earlier(pool, waiting).await {
            Ok(None) => return Ok(()),
            Ok(Some(other)) => {
                if announced.as_deref() != Some(other.as_str()) {
                    let _ = log.send(messages::waiting_for_deployment(&other));
                    announced = Some(other);
                }
            }
            Err(e) => return Err(JobError::Retryable(messages::query_failed("deployments", e.to_string()))),
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The colour the `sites` read model says serves the site, if it says one.
pub async fn live_colour(pool: &AnyPool, site_id: Uuid) -> Result<Option<Colour>, JobError> {
    let colour: Option<Option<String>> = sqlx::query_scalar("SELECT live_colour FROM sites WHERE site_id = $1")
        .bind(site_id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(|e| JobError::Retryable(messages::query_failed("sites", e.to_string())))?;
    Ok(match colour.flatten().as_deref() {
        Some("blue") => Some(Colour::Blue),
        Some("green") => Some(Colour::Green),
        _ => None,
    })
}
