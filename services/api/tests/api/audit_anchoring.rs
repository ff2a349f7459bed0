//! The audit chain anchored outside the database, in the running panel: the verification job checks the checkpoint
//! file, says in its verdict which checkpoint the log lost, and anchors an intact chain (file, log, URL); the
//! periodic anchoring checks from its last checkpoint and refuses to anchor a log that no longer holds it.

use crate::common;

use std::{sync::Arc, time::Duration};

use axum::{Router, extract::State, routing::post};
use common::{eventually, postgres, spawn_with, token};
use lawha::audit::anchor::{Anchor, Step};
use lawha_domain::{
    ExpectedVersion, Metadata, NewEvent, RecordedEvent, StreamId,
    users::{Role, Scope},
};
use lawha_store::{ChainVerdict, Checkpoints, EventFilter, testkit::TestDb};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

/// Asks for a verification and returns the verdict the job recorded.
async fn verify(app: &common::TestApp, admin: &str) -> RecordedEvent {
    let response = app.client.post(app.url("/api/v1/admin/audit-verify")).bearer_auth(admin).send().await.unwrap();
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    let job: Uuid = body["job_id"].as_str().unwrap().parse().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let found = app.state.db.events.read_all(0, 10_000, &EventFilter::types(["AuditChainVerified"])).await;
        if let Some(verdict) = found.unwrap().into_iter().find(|e| e.metadata.causation_id == Some(job)) {
            return verdict;
        }
        if std::time::Instant::now() > deadline {
            let state = app.client.get(app.url(&format!("/api/v1/jobs/{job}"))).bearer_auth(admin).send().await;
            let log = app.client.get(app.url(&format!("/api/v1/jobs/{job}/log"))).bearer_auth(admin).send().await;
            let (state, log) = (state.unwrap().text().await.unwrap(), log.unwrap().text().await.unwrap());
            panic!("no verdict for job {job} within 30 s: {state}\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A collector that keeps every body POSTed to it.
async fn collector() -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let keep = |State(bodies): State<Arc<Mutex<Vec<String>>>>, body: String| async move {
        bodies.lock().await.push(body);
    };
    let router = Router::new().route("/anchor", post(keep)).with_state(Arc::clone(&bodies));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/anchor", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_job_anchors_an_intact_chain_then_names_the_checkpoint_the_log_lost() {
    let db = postgres().await;
    let (config, dir) = common::config(&db.url);
    let mut config = common::with_workers(config);
    let (url, posted) = collector().await;
    config.audit.checkpoint_url = Some(url);
    // Only verifications anchor here, so the file holds exactly their checkpoints.
    config.audit.checkpoint_interval_secs = 0;
    let file = config.data_dir.join(lawha_store::checkpoint::FILE_NAME);
    let key = lawha_store::ChainKey::derive(config.secret_key_bytes());
    let app = spawn_with(config, dir, Router::new()).await;
    let admin = token(&app, "amira", Role::Admin, Scope::Admin).await;

    let first = verify(&app, &admin).await;
    assert_eq!(first.data["ok"], true, "{}", first.data);
    let anchored = Checkpoints::read(&file, &key).unwrap();
    assert_eq!(anchored.valid.len(), 1);
    let checkpoint = &anchored.valid[0].checkpoint;
    assert_eq!(checkpoint.position, first.data["events"].as_i64().unwrap());
    eventually(Duration::from_secs(10), "the checkpoint at the URL", || async {
        posted.lock().await.first().is_some_and(|body| *body == checkpoint.to_line())
    })
    .await;

    // The log loses what a checkpoint anchored: as after a truncation that moved the head back (the contract and
    // CLI tests do that with SQL; here the running panel's subscribers must keep up, so the checkpoint is ahead
    // instead of the log behind).
    let ahead = checkpoint.position + 40;
    let signed = lawha_store::Checkpoint::sign(&key, ahead, checkpoint.head.clone(), chrono::Utc::now());
    lawha_store::checkpoint::append(&file, &signed).unwrap();
    let second = verify(&app, &admin).await;
    assert_eq!(second.data["ok"], false, "{}", second.data);
    assert_eq!(second.data["position"], ahead, "{}", second.data);
    let message = &second.data["message"];
    assert_eq!(message["code"], "jobs.chain_verdict_broken", "{message}");
    let reason = &message["args"]["reason"];
    assert_eq!(reason["code"], "jobs.chain_checkpoint_beyond", "{message}");
    assert_eq!(reason["args"]["line"], 2, "{message}");
    assert!(reason["args"]["last"].as_i64().unwrap() < ahead, "{message}");
    assert!(second.data["reason"].as_str().unwrap().contains("checkpoint line 2"), "{}", second.data);
    assert_eq!(Checkpoints::read(&file, &key).unwrap().valid.len(), 2, "a broken chain is not anchored");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periodic_anchoring_checks_from_its_last_checkpoint_and_refuses_a_rolled_back_log() {
    for t in [TestDb::sqlite().await, TestDb::postgres().await] {
        let (config, _dir) = common::config(&t.url);
        let anchor = Anchor::new(&config, lawha_store::ChainKey::derive(config.secret_key_bytes()));
        let store = t.db.events.as_ref();
        assert_eq!(anchor.step(store).await.unwrap(), Step::Empty);
        notes(&t, 3).await;
        assert_eq!(anchor.step(store).await.unwrap(), Step::Anchored(3));
        assert_eq!(anchor.step(store).await.unwrap(), Step::Unchanged);
        notes(&t, 2).await;
        assert_eq!(anchor.step(store).await.unwrap(), Step::Anchored(5));

        // An older copy of the database comes back: the last checkpoint is past its end.
        let statement = "DELETE FROM events WHERE position > 2";
        let head = "UPDATE chain_head SET position = 2, chain = (SELECT chain FROM events WHERE position = 2)";
        for sql in [statement, head] {
            match t.db.pg_pool() {
                Some(pool) => sqlx::query(sql).execute(pool).await.map(drop),
                None => sqlx::query(sql).execute(t.db.sqlite_pool().unwrap()).await.map(drop),
            }
            .unwrap();
        }
        match anchor.step(store).await.unwrap() {
            Step::Broken(ChainVerdict::Broken { position: 5, reason, .. }) => {
                assert!(reason.contains("checkpoint line 2 (position 5"), "{reason}");
            }
            other => panic!("a rolled-back log was anchored: {other:?}"),
        }
        assert_eq!(anchor.checkpoints().unwrap().valid.len(), 2, "nothing was anchored");
    }
}

async fn notes(t: &TestDb, n: usize) {
    let stream = StreamId::parse(format!("note-{}", Uuid::now_v7())).unwrap();
    for i in 0..n {
        let event = NewEvent::new("NoteRecorded", json!({"n": i}), Metadata::default());
        t.db.events.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();
    }
}
