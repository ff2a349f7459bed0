//! A Redis outage: the panel's Redis (a redis-server of the test's own, without persistence) is killed while 200
//! probe requests are accepted through the API. Every request still gets 202 (requests only append events); when
//! Redis is back, the dispatcher resumes from its checkpoint and the redispatch sweep queues again what the dead
//! Redis lost, so every job runs, and each has exactly one `JobSucceeded`.

use crate::common;

use std::time::{Duration, Instant};

use lawha_config::Secret;
use lawha_domain::{
    Aggregate as _, DomainEvent as _,
    jobs::{JobEvent, JobState},
    users::{Role, Scope},
};
use lawha_jobs::testkit::{self, RedisServer};
use reqwest::StatusCode;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_accepted_while_redis_is_down_and_every_job_runs_once_when_it_returns() {
    let db = common::postgres().await;
    let mut redis = RedisServer::start();
    let (mut config, dir) = common::config(&db.url);
    config.redis_url = Some(Secret::new(redis.url()));
    config.jobs.namespace = testkit::namespace();
    config.jobs.redispatch_after_secs = 5;
    let app = common::spawn_with(common::with_workers(config), dir, axum::Router::new()).await;
    let token = common::token(&app, "amira", Role::Admin, Scope::Admin).await;

    let mut jobs = Vec::new();
    for i in 0..200 {
        if i == 60 {
            // Whatever Redis held (queued messages, worker registrations) is gone with it.
            redis.kill();
        }
        let response = app
            .client
            .post(app.url("/api/v1/admin/probe"))
            .bearer_auth(&token)
            // Long enough that many are still waiting on the queue when it dies.
            .json(&serde_json::json!({"sleep_ms": 200}))
            .send()
            .await
            .expect("the API answers while Redis is down");
        assert_eq!(response.status(), StatusCode::ACCEPTED, "request {i}");
        let body: serde_json::Value = response.json().await.expect("json");
        jobs.push(Uuid::parse_str(body["job_id"].as_str().expect("job_id")).expect("uuid"));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.restart();

    let deadline = Instant::now() + Duration::from_secs(90);
    let mut pending = jobs.clone();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for job in pending {
            let events = app.state.db.events.read_stream(&JobState::stream(job), 0, 1000).await.expect("read");
            let facts: Vec<JobEvent> = events.iter().map(|e| JobEvent::from_recorded(e).expect("job event")).collect();
            match facts.iter().filter(|f| matches!(f, JobEvent::JobSucceeded { .. })).count() {
                0 => still.push(job),
                1 => {}
                n => panic!("job {job} succeeded {n} times: {facts:#?}"),
            }
        }
        pending = still;
        assert!(Instant::now() < deadline, "{} of 200 jobs did not run within 90 s of Redis' return", pending.len());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // A while later, still exactly one success each (no late duplicate).
    tokio::time::sleep(Duration::from_secs(6)).await;
    let successes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE type = 'JobSucceeded'")
        .fetch_one(app.state.db.pg_pool().expect("postgres"))
        .await
        .expect("count");
    assert_eq!(successes, 200);
    app.stop().await.expect("stops");
}
