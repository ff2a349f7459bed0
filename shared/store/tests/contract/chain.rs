//! The audit chain: an untouched log verifies intact, and every kind of tampering with a row is caught at that
//! row's position.

use lawha_domain::{ExpectedVersion, Metadata, NewEvent};
use lawha_store::{
    ChainVerdict, Database,
    testkit::{TestDb, chain_key},
    verify_chain,
};
use serde_json::json;

use crate::common::{append, stream};

/// Appends ten events over three streams; position 7 is in the middle of one.
async fn ten_events(t: &TestDb) {
    let streams = [stream("site"), stream("backup_plan"), stream("user")];
    let actor = Metadata { actor: Some("user:alice".into()), ..Metadata::default() };
    for n in 1..=10 {
        let s = &streams[n % 3];
        let e = NewEvent::new("Counted", json!({"n": n, "note": "tamper-evident"}), actor.clone());
        append(t, s, ExpectedVersion::Any, vec![e]).await;
    }
}

async fn verdict(t: &TestDb) -> ChainVerdict {
    verify_chain(t.db.events.as_ref(), &chain_key()).await.expect("verify_chain")
}

/// Runs one statement per backend against the log's own tables, as an attacker with database access would.
async fn tamper(db: &Database, postgres: &str, sqlite: &str) {
    let changed = if let Some(pool) = db.pg_pool() {
        sqlx::query(sqlx::AssertSqlSafe(postgres)).execute(pool).await.expect("tampering (PostgreSQL)").rows_affected()
    } else {
        let pool = db.sqlite_pool().expect("a SQLite pool when there is no PostgreSQL pool");
        sqlx::query(sqlx::AssertSqlSafe(sqlite)).execute(pool).await.expect("tampering (SQLite)").rows_affected()
    };
    assert_eq!(changed, 1, "the tampering statement changed {changed} rows");
}

async fn assert_broken_at(t: &TestDb, position: i64) {
    match verdict(t).await {
        ChainVerdict::Broken { position: at, reason, .. } => {
            assert_eq!(at, position, "the verifier named the wrong position ({reason})");
        }
        intact @ ChainVerdict::Intact { .. } => panic!("tampering went unnoticed: {intact:?}"),
    }
}

pub async fn an_untouched_log_verifies_intact(t: TestDb) {
    match verdict(&t).await {
        ChainVerdict::Intact { events: 0, .. } => {}
        other => panic!("an empty log: {other:?}"),
    }
    ten_events(&t).await;
    let head = t.db.events.chain_head().await.expect("chain_head").expect("a head");
    match verdict(&t).await {
        ChainVerdict::Intact { events, head: chain } => assert_eq!((events, chain), (10, head.1)),
        broken => panic!("an untouched log: {broken:?}"),
    }
    // A second handle on the same database (another process) agrees.
    let again = lawha_store::testkit::connect_url(&t.url).await;
    assert!(matches!(
        verify_chain(again.events.as_ref(), &chain_key()).await,
        Ok(ChainVerdict::Intact { events: 10, .. })
    ));
    again.close().await;
}

pub async fn changed_data_breaks_the_chain_at_that_position(t: TestDb) {
    ten_events(&t).await;
    tamper(
        &t.db,
        "UPDATE events SET data = jsonb_set(data::jsonb, '{n}', '8')::json WHERE position = 7",
        "UPDATE events SET data = json_set(data, '$.n', 8) WHERE position = 7",
    )
    .await;
    assert_broken_at(&t, 7).await;
}

pub async fn changed_metadata_breaks_the_chain_at_that_position(t: TestDb) {
    ten_events(&t).await;
    tamper(
        &t.db,
        r#"UPDATE events SET metadata = (metadata::jsonb || '{"actor": "user:alicf"}')::json WHERE position = 7"#,
        "UPDATE events SET metadata = json_set(metadata, '$.actor', 'user:alicf') WHERE position = 7",
    )
    .await;
    assert_broken_at(&t, 7).await;
}

pub async fn a_changed_type_breaks_the_chain_at_that_position(t: TestDb) {
    ten_events(&t).await;
    let sql = "UPDATE events SET type = 'Counteq' WHERE position = 7";
    tamper(&t.db, sql, sql).await;
    assert_broken_at(&t, 7).await;
}

pub async fn a_changed_stream_name_breaks_the_chain_at_that_position(t: TestDb) {
    ten_events(&t).await;
    // Stream names end in a hex digit, so the last byte becomes 'z' whatever it was.
    let sql = "UPDATE events SET stream_id = substr(stream_id, 1, length(stream_id) - 1) || 'z' WHERE position = 7";
    tamper(&t.db, sql, sql).await;
    assert_broken_at(&t, 7).await;
}

pub async fn a_deleted_middle_row_breaks_the_chain_at_its_position(t: TestDb) {
    ten_events(&t).await;
    let sql = "DELETE FROM events WHERE position = 5";
    tamper(&t.db, sql, sql).await;
    assert_broken_at(&t, 5).await;
}

pub async fn a_deleted_last_row_breaks_the_chain_at_its_position(t: TestDb) {
    ten_events(&t).await;
    let sql = "DELETE FROM events WHERE position = 10";
    tamper(&t.db, sql, sql).await;
    assert_broken_at(&t, 10).await;
}

/// Verification while others append: rows and the head move under the verifier, and every verdict must still be
/// "intact" (a tamper alarm that cries wolf is worse than none). Each verdict covers at least the events appended
/// before it started.
pub async fn verification_racing_appends_never_reports_a_broken_chain(t: TestDb) {
    ten_events(&t).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (db, stop) = (t.db.clone(), std::sync::Arc::clone(&stop));
        writers.push(tokio::spawn(async move {
            let s = stream("race");
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let e = NewEvent::new("Raced", json!({"w": w}), Metadata::default());
                db.events.append(&s, ExpectedVersion::Any, vec![e]).await.expect("append");
            }
        }));
    }
    for round in 0..30 {
        let before = t.db.events.head().await.expect("head");
        match verdict(&t).await {
            ChainVerdict::Intact { events, .. } => {
                assert!(events >= before, "round {round}: the verdict covers {events} events, {before} existed")
            }
            broken => panic!("round {round}: an untouched log reported broken while appends ran: {broken:?}"),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("a writer");
    }
}
