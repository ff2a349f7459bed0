//! Driving jobs without a worker: requests are appended as the admin commands append them, and a job's facts
//! are decided by the job aggregate and appended to its stream exactly as the worker runtime will, so the read
//! model sees realistic histories.

use std::time::Duration;

use chrono::Utc;
use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata, NewEvent, StreamId,
    jobs::{AttemptResult, Job, JobCommand, JobState},
    load,
};
use lawha_jobs::registry;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{TestApp, eventually};

/// Appends a request of `event_type` with `data` to `stream`, and returns the job it asks for.
pub async fn request(app: &TestApp, event_type: &str, stream: &str, data: Value) -> Job {
    let stream = StreamId::parse(stream).unwrap();
    let metadata = Metadata { actor: Some("user:seed".into()), ..Metadata::default() };
    let event = NewEvent::new(event_type, data, metadata);
    let id = event.event_id;
    app.state.db.events.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();
    let recorded = app.state.db.events.read_stream(&stream, 0, i64::MAX).await.unwrap();
    let recorded = recorded.into_iter().find(|e| e.event_id == id).unwrap();
    registry::job_for(&recorded).unwrap_or_else(|e| panic!("the request makes no job: {e}"))
}

/// A probe request on a stream of its own, with `max_attempts`.
pub async fn probe(app: &TestApp, max_attempts: u32) -> Job {
    let data = json!({"outcome": "fail", "limits": {"max_attempts": max_attempts}});
    request(app, "ProbeRequested", &format!("probe-{}", Uuid::now_v7()), data).await
}

/// Decides `command` on the job's stream and appends what it yields, as a worker does.
pub async fn decide(app: &TestApp, job_id: Uuid, command: JobCommand) {
    let stream = JobState::stream(job_id);
    let history = app.state.db.events.read_stream(&stream, 0, i64::MAX).await.unwrap();
    let (state, version) = load::<JobState>(&history).unwrap();
    let events = state.decide(&command, Utc::now()).unwrap_or_else(|e| panic!("{command:?} refused: {e}"));
    let metadata = Metadata { actor: Some("system:worker".into()), ..Metadata::default() };
    let events = events.iter().map(|e| e.to_new_event_with_id(e.event_id(job_id), metadata.clone())).collect();
    app.state.db.events.append(&stream, ExpectedVersion::Exact(version), events).await.unwrap();
}

/// Starts attempt `attempt` of `job` on `worker`.
pub async fn start(app: &TestApp, job: &Job, attempt: u32, worker: &str) {
    let job = Job { attempt, ..job.clone() };
    decide(app, job.id, JobCommand::Start { job, worker: worker.to_owned() }).await;
}

/// Ends attempt `attempt` with `result` after `duration_ms`.
pub async fn finish(app: &TestApp, job: &Job, attempt: u32, result: AttemptResult, duration_ms: u64) {
    let job = Job { attempt, ..job.clone() };
    decide(app, job.id, JobCommand::Finish { job, result, duration_ms, retry_delay_ms: 60_000 }).await;
}

/// A retryable failure.
pub fn failed(error: &str) -> AttemptResult {
    AttemptResult::Failed { error: lawha_domain::Message::text(error), retryable: true }
}

/// Runs every attempt of `job` into a retryable failure until it is dead (`job.max_attempts` attempts).
pub async fn kill(app: &TestApp, job: &Job) {
    for attempt in 1..=job.max_attempts {
        start(app, job, attempt, &format!("probe-host-{attempt}")).await;
        finish(app, job, attempt, failed(&format!("boom {attempt}")), 10 * u64::from(attempt)).await;
    }
}

/// Waits until the jobs read model shows the job in `state`.
pub async fn wait_for_state(app: &TestApp, job_id: Uuid, state: &str) {
    let what = format!("the jobs read model to show job {job_id} {state}");
    eventually(Duration::from_secs(15), &what, || async {
        sqlx::query_scalar::<_, String>("SELECT state FROM jobs WHERE job_id = $1")
            .bind(job_id.to_string())
            .fetch_optional(&app.state.db.read_models)
            .await
            .unwrap()
            .as_deref()
            == Some(state)
    })
    .await;
}

/// Appends a line to the job's log, as a worker does; returns its id.
pub async fn log_line(app: &TestApp, job_id: Uuid, attempt: i64, line: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("INSERT INTO job_log (job_id, attempt, at, line) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(job_id.to_string())
        .bind(attempt)
        .bind(Utc::now().timestamp_micros())
        .bind(line.to_owned())
        .fetch_one(&app.state.db.read_models)
        .await
        .unwrap()
}
