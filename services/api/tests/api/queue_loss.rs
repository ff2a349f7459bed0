//! Redis restarted without persistence (a redis-server of the test's own, killed and started again): the panel
//! notices that its queues lost their messages and queues again at once what the log says is waiting, instead of
//! after `jobs.redispatch_after_secs`; while Redis is down, readiness stays 200 and says the panel is degraded.

use crate::common;

use std::time::Duration;

use lawha_config::Secret;
use lawha_domain::users::{Role, Scope};
use lawha_jobs::{
    queue::Queues,
    testkit::{self, RedisServer},
};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_a_restarted_redis_lost_are_queued_again_at_once_and_readiness_says_degraded_meanwhile() {
    let db = common::postgres().await;
    let mut redis = RedisServer::start();
    let (mut config, dir) = common::config(&db.url);
    config.redis_url = Some(Secret::new(redis.url()));
    config.jobs.namespace = testkit::namespace();
    // No worker takes the probes, and the sweep would come only after an hour: only the marker can help.
    config.jobs.redispatch_after_secs = 3600;
    let namespace = config.jobs.namespace.clone();
    let app = common::spawn_with(config, dir, axum::Router::new()).await;
    let token = common::token(&app, "amira", Role::Admin, Scope::Admin).await;
    let queues = Queues::redis(&redis.url(), &namespace).await.unwrap();
    for _ in 0..5 {
        let response = app
            .client
            .post(app.url("/api/v1/admin/probe"))
            .bearer_auth(&token)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    common::eventually(Duration::from_secs(15), "five probes waiting on the queue", || async {
        queues.depth("diagnostics").await.is_ok_and(|d| d.due == 5)
    })
    .await;
    common::eventually(Duration::from_secs(15), "readiness to say ready", || async {
        let body: Value = app.get("/health/ready").await.json().await.unwrap();
        body["status"] == "ready"
    })
    .await;

    redis.kill();
    common::eventually(Duration::from_secs(20), "readiness to say degraded while Redis is down", || async {
        let response = app.get("/health/ready").await;
        let ok = response.status() == StatusCode::OK;
        let body: Value = response.json().await.unwrap();
        ok && body["status"] == "degraded" && body["checks"]["queue"]["status"] == "degraded"
    })
    .await;
    let body: Value = app.get("/health/ready").await.json().await.unwrap();
    assert!(body["checks"]["queue"].get("detail").is_none(), "the client's words are for administrators: {body}");

    redis.restart();
    let queues = Queues::redis(&redis.url(), &namespace).await.unwrap();
    assert_eq!(queues.depth("diagnostics").await.unwrap().due, 0, "the restarted Redis holds nothing");
    common::eventually(Duration::from_secs(20), "the lost probes to be queued again", || async {
        queues.depth("diagnostics").await.is_ok_and(|d| d.due == 5)
    })
    .await;
    common::eventually(Duration::from_secs(15), "readiness to say ready again", || async {
        let body: Value = app.get("/health/ready").await.json().await.unwrap();
        body["status"] == "ready"
    })
    .await;
    app.stop().await.unwrap();
}
