//! `sites` and `deployments`: one row per live site (its spec as shown, never a secret or a reference to one; the
//! release that serves and the last deployment) and one per deployment (its status, commit, release, colour, and
//! the step and reason of a failure). Updates are guarded by the stream version, so a replayed or older event
//! changes nothing; a site's columns that follow its deployments change only when the deployment's own row did.

use async_trait::async_trait;
use lawha_domain::{
    DomainEvent as _, RecordedEvent,
    deployments::{DeploymentEvent, DeploymentStatus, SiteEvent, SiteSpec, Trigger},
};
use lawha_store::{EventFilter, Projection, projection::stored_message as stored};
use serde_json::json;
use sqlx::{AnyConnection, Row as _};

/// The deployments projection.
#[derive(Debug, Clone, Copy)]
pub struct Deployments;

#[async_trait]
impl Projection for Deployments {
    fn name(&self) -> &'static str {
        "deployments"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["sites", "deployments"]
    }

    fn filter(&self) -> EventFilter {
        EventFilter::categories(["site", "deployment"])
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        let id = event.stream.as_str().split_once('-').map(|(_, id)| id.to_owned()).unwrap_or_default();
        let outcome = match event.stream.category() {
            "site" => match SiteEvent::from_recorded(event) {
                Ok(fact) => Ok(site(tx, event, &id, &fact).await),
                Err(error) => Err(error.to_string()),
            },
            _ => match DeploymentEvent::from_recorded(event) {
                Ok(fact) => Ok(deployment(tx, event, &id, &fact).await),
                Err(error) => Err(error.to_string()),
            },
        };
        match outcome {
            Ok(result) => result,
            // A fact this build cannot read (a newer schema) must not stop every other row.
            Err(error) => {
                tracing::warn!(%error, position = event.position, "a deployments event does not decode and is not shown");
                Ok(())
            }
        }
    }
}

async fn site(tx: &mut AnyConnection, event: &RecordedEvent, id: &str, fact: &SiteEvent) -> Result<(), sqlx::Error> {
    let at = event.recorded_at.timestamp_micros();
    match fact {
        SiteEvent::SiteCreated { spec, .. } => {
            // A row at version 0 that the spec then fills under the usual guard, so a replay finds it newer.
            let sql = "INSERT INTO sites (site_id, name, repository, branch, runtime, host, build_command, \
                       start_command, health_path, port_blue, port_green, domains, env_names, releases_to_keep, \
                       has_deploy_key, webhook_rotated_at, created_at, updated_at, stream_version) \
                       VALUES ($1, '', '', '', '', '', NULL, '', '', 0, 0, '[]', '[]', 0, 0, $2, $2, $2, 0) \
                       ON CONFLICT (site_id) DO NOTHING";
            sqlx::query(sql).bind(id.to_owned()).bind(at).execute(&mut *tx).await?;
            write_spec(tx, event, id, spec).await
        }
        SiteEvent::SiteUpdated { spec } => write_spec(tx, event, id, spec).await,
        SiteEvent::WebhookSecretRotated { .. } => {
            let sql = "UPDATE sites SET webhook_rotated_at = $3, updated_at = $3, stream_version = $2 \
                       WHERE site_id = $1 AND stream_version < $2";
            sqlx::query(sql).bind(id.to_owned()).bind(event.version).bind(at).execute(tx).await.map(drop)
        }
        SiteEvent::SiteDeleted {} => sqlx::query("DELETE FROM sites WHERE site_id = $1 AND stream_version < $2")
            .bind(id.to_owned())
            .bind(event.version)
            .execute(tx)
            .await
            .map(drop),
    }
}

async fn write_spec(
    tx: &mut AnyConnection,
    event: &RecordedEvent,
    id: &str,
    spec: &SiteSpec,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sites SET name = $3, repository = $4, branch = $5, runtime = $6, host = $7, build_command = $8, \
         start_command = $9, health_path = $10, port_blue = $11, port_green = $12, domains = $13, env_names = $14, \
         releases_to_keep = $15, has_deploy_key = $16, updated_at = $17, stream_version = $2 \
         WHERE site_id = $1 AND stream_version < $2",
    )
    .bind(id.to_owned())
    .bind(event.version)
    .bind(spec.name.clone())
    .bind(spec.repository.clone())
    .bind(spec.branch.clone())
    .bind(spec.runtime.as_str())
    .bind(spec.host.clone())
    .bind(spec.build_command.clone())
    .bind(spec.start_command.clone())
    .bind(spec.health_path.clone())
    .bind(i64::from(spec.ports.blue))
    .bind(i64::from(spec.ports.green))
    .bind(json!(spec.domains).to_string())
    .bind(json!(spec.env.names).to_string())
    .bind(i64::from(spec.releases_to_keep))
    .bind(i64::from(spec.deploy_key_secret.is_some()))
    .bind(event.recorded_at.timestamp_micros())
    .execute(tx)
    .await
    .map(drop)
}

/// The kind of a trigger, as the `trigger_kind` column and the API name it.
pub fn trigger_kind(trigger: &Trigger) -> &'static str {
    match trigger {
        Trigger::Push { .. } => "push",
        Trigger::Manual { .. } => "manual",
        Trigger::Rollback { .. } => "rollback",
        Trigger::FollowUp { .. } => "follow_up",
    }
}

async fn deployment(
    tx: &mut AnyConnection,
    event: &RecordedEvent,
    id: &str,
    fact: &DeploymentEvent,
) -> Result<(), sqlx::Error> {
    let at = event.recorded_at.timestamp_micros();
    let (status, set, binds): (DeploymentStatus, &str, Vec<String>) = match fact {
        DeploymentEvent::DeploymentRequested { site_id, host, commit, trigger, .. } => {
            // A rollback serves a release built before: the deployment names it from the start.
            let release = match trigger {
                Trigger::Rollback { release_id } => Some(release_id.to_string()),
                _ => None,
            };
            let sql = "INSERT INTO deployments (deployment_id, site_id, host, status, trigger_kind, trigger, \
                       requested_commit, release_id, requested_at, updated_at, stream_version, job_id) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) ON CONFLICT (deployment_id) DO NOTHING";
            let inserted = sqlx::query(sql)
                .bind(id.to_owned())
                .bind(site_id.to_string())
                .bind(host.clone())
                .bind(DeploymentStatus::Requested.as_str())
                .bind(trigger_kind(trigger))
                .bind(json!(trigger).to_string())
                .bind(commit.clone())
                .bind(release)
                .bind(at)
                .bind(event.version)
                .bind(event.event_id.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted == 1 {
                follow(tx, id, DeploymentStatus::Requested).await?;
            }
            return Ok(());
        }
        DeploymentEvent::DeploymentFetched { commit } => {
            (DeploymentStatus::Fetched, "fetched_commit = $5", vec![commit.clone()])
        }
        DeploymentEvent::DeploymentBuilt { release_id } => {
            (DeploymentStatus::Built, "release_id = $5, built_at = $4", vec![release_id.to_string()])
        }
        DeploymentEvent::DeploymentStarted { colour } => {
            (DeploymentStatus::Started, "colour = $5", vec![colour.as_str().to_owned()])
        }
        DeploymentEvent::DeploymentHealthPassed {} => (DeploymentStatus::HealthPassed, "", vec![]),
        DeploymentEvent::DeploymentSwitched { colour } => {
            (DeploymentStatus::Switched, "colour = $5", vec![colour.as_str().to_owned()])
        }
        DeploymentEvent::DeploymentDrained {} => (DeploymentStatus::Drained, "", vec![]),
        DeploymentEvent::DeploymentSucceeded {} => (DeploymentStatus::Succeeded, "finished_at = $4", vec![]),
        DeploymentEvent::DeploymentFailed { step, reason, log_tail } => (
            DeploymentStatus::Failed,
            "finished_at = $4, failed_step = $5, reason = $6, log_tail = $7",
            vec![step.as_str().to_owned(), stored(reason), log_tail.clone()],
        ),
    };
    let set = if set.is_empty() { String::new() } else { format!(", {set}") };
    let sql = format!(
        "UPDATE deployments SET status = $3, updated_at = $4{set}, stream_version = $2 \
         WHERE deployment_id = $1 AND stream_version < $2"
    );
    // The SET clauses are the fixed texts above; every value is a bind.
    let mut query =
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_owned()).bind(event.version).bind(status.as_str()).bind(at);
    for value in binds {
        query = query.bind(value);
    }
    if query.execute(&mut *tx).await?.rows_affected() == 0 {
        // Applied before (a replay), or a deployment this read model never saw requested: nothing follows.
        return Ok(());
    }
    follow(tx, id, status).await?;
    if let DeploymentEvent::DeploymentSwitched { colour } = fact {
        go_live(tx, id, colour.as_str(), at).await?;
    }
    Ok(())
}

/// The site's last deployment follows each of its deployments' facts.
async fn follow(tx: &mut AnyConnection, id: &str, status: DeploymentStatus) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sites SET last_deployment_id = $1, last_status = $2 \
         WHERE site_id = (SELECT site_id FROM deployments WHERE deployment_id = $1)",
    )
    .bind(id.to_owned())
    .bind(status.as_str())
    .execute(tx)
    .await
    .map(drop)
}

/// Traffic went to the deployment's colour: its release serves, with its commit (for a rollback, the commit of
/// the deployment that built the release).
async fn go_live(tx: &mut AnyConnection, id: &str, colour: &str, at: i64) -> Result<(), sqlx::Error> {
    let row = sqlx::query(
        "SELECT site_id, fetched_commit, requested_commit, release_id FROM deployments WHERE deployment_id = $1",
    )
    .bind(id.to_owned())
    .fetch_one(&mut *tx)
    .await?;
    let site_id: String = row.try_get(0)?;
    let release: Option<String> = row.try_get(3)?;
    let mut commit: Option<String> = row.try_get::<Option<String>, _>(1)?.or(row.try_get(2)?);
    if let (None, Some(release)) = (&commit, &release) {
        commit = sqlx::query_scalar(
            "SELECT fetched_commit FROM deployments WHERE release_id = $1 AND built_at IS NOT NULL \
             AND fetched_commit IS NOT NULL LIMIT 1",
        )
        .bind(release.clone())
        .fetch_optional(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE sites SET live_colour = $2, live_commit = $3, live_release_id = $4, live_since = $5 \
         WHERE site_id = $1",
    )
    .bind(site_id)
    .bind(colour.to_owned())
    .bind(commit)
    .bind(release)
    .bind(at)
    .execute(tx)
    .await
    .map(drop)
}
