//! Heads anchored outside the database: the chain alone cannot tell a log truncated together with its recorded head,
//! or an older copy of the whole database, from an intact one; a checkpoint taken before can.

use chrono::Utc;
use lawha_domain::{ExpectedVersion, Metadata, NewEvent};
use lawha_store::{
    ChainVerdict, Checkpoint, Checkpoints,
    chain::Break,
    checkpoint::{self, Anchored},
    testkit::{TestDb, chain_key},
    verify_chain, verify_chain_anchored, verify_chain_since,
};
use serde_json::json;

use crate::common::{append, stream};

async fn notes(t: &TestDb, n: usize) {
    let s = stream("note");
    for i in 0..n {
        let e = NewEvent::new("NoteRecorded", json!({"n": i}), Metadata::default());
        append(t, &s, ExpectedVersion::Any, vec![e]).await;
    }
}

/// Anchors the current head in a checkpoint file of its own, written and read back as the panel does.
async fn anchor(t: &TestDb, file: &std::path::Path) -> Checkpoints {
    let (position, head) = t.db.events.chain_head().await.expect("chain_head").expect("a head");
    checkpoint::append(file, &Checkpoint::sign(&chain_key(), position, head, Utc::now())).expect("appending");
    Checkpoints::read(file, &chain_key()).expect("reading the checkpoint file")
}

async fn sql(t: &TestDb, statement: &str) {
    if let Some(pool) = t.db.pg_pool() {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(pool).await.expect("tampering (PostgreSQL)");
    } else {
        let pool = t.db.sqlite_pool().expect("a SQLite pool when there is no PostgreSQL pool");
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(pool).await.expect("tampering (SQLite)");
    }
}

fn assert_checkpoint_broken(verdict: ChainVerdict, position: i64, line: usize, expected: fn(Break) -> bool) {
    match verdict {
        ChainVerdict::Broken { position: at, problem, reason } => {
            assert_eq!(at, position, "{reason}");
            assert!(expected(problem), "{problem:?}: {reason}");
            assert!(reason.contains(&format!("checkpoint line {line} (position {position}, anchored ")), "{reason}");
        }
        intact => panic!("the checkpoint did not catch it: {intact:?}"),
    }
}

pub async fn a_truncated_log_with_its_head_moved_back_verifies_intact_but_not_against_its_checkpoint(t: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(checkpoint::FILE_NAME);
    notes(&t, 6).await;
    anchor(&t, &file).await;
    notes(&t, 4).await;
    let checkpoints = anchor(&t, &file).await;
    assert!(matches!(
        verify_chain_anchored(t.db.events.as_ref(), &chain_key(), &checkpoints).await.unwrap(),
        ChainVerdict::Intact { events: 10, .. }
    ));

    // What an attacker with the database would do: delete the tail and move the recorded head back with it.
    sql(&t, "DELETE FROM events WHERE position > 7").await;
    sql(&t, "UPDATE chain_head SET position = 7, chain = (SELECT chain FROM events WHERE position = 7) WHERE id = 1")
        .await;
    assert!(
        matches!(
            verify_chain(t.db.events.as_ref(), &chain_key()).await.unwrap(),
            ChainVerdict::Intact { events: 7, .. }
        ),
        "the chain alone cannot see a truncation that moved the head"
    );
    let verdict = verify_chain_anchored(t.db.events.as_ref(), &chain_key(), &checkpoints).await.unwrap();
    assert_checkpoint_broken(verdict, 10, 2, |p| matches!(p, Break::CheckpointBeyondLog { line: 2, last: 7, .. }));
}

pub async fn an_older_copy_of_the_database_verifies_intact_but_not_against_a_later_checkpoint(mut t: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(checkpoint::FILE_NAME);
    notes(&t, 5).await;
    let older = t.copy().await;
    notes(&t, 5).await;
    let checkpoints = anchor(&t, &file).await;

    // The older copy is restored in place of the live database: its chain is whole, its head its own.
    assert!(matches!(
        verify_chain(older.db.events.as_ref(), &chain_key()).await.unwrap(),
        ChainVerdict::Intact { events: 5, .. }
    ));
    let verdict = verify_chain_anchored(older.db.events.as_ref(), &chain_key(), &checkpoints).await.unwrap();
    assert_checkpoint_broken(verdict, 10, 1, |p| matches!(p, Break::CheckpointBeyondLog { line: 1, last: 5, .. }));

    // The panel carries on from the restored copy: position 10 exists again, but it is another event.
    notes(&older, 7).await;
    let verdict = verify_chain_anchored(older.db.events.as_ref(), &chain_key(), &checkpoints).await.unwrap();
    assert_checkpoint_broken(verdict, 10, 1, |p| matches!(p, Break::CheckpointMismatch { line: 1, .. }));
}

pub async fn verifying_since_a_checkpoint_checks_the_anchored_event_and_every_event_after_it(t: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(checkpoint::FILE_NAME);
    notes(&t, 4).await;
    let checkpoints = anchor(&t, &file).await;
    let from: &Anchored = checkpoints.last().expect("a checkpoint");
    notes(&t, 3).await;
    match verify_chain_since(t.db.events.as_ref(), &chain_key(), from).await.unwrap() {
        ChainVerdict::Intact { events: 3, head } => {
            assert_eq!(Some(head), t.db.events.chain_head().await.unwrap().map(|h| h.1));
        }
        other => panic!("{other:?}"),
    }
    sql(&t, "UPDATE events SET type = 'NoteRecordeX' WHERE position = 6").await;
    assert!(matches!(
        verify_chain_since(t.db.events.as_ref(), &chain_key(), from).await.unwrap(),
        ChainVerdict::Broken { position: 6, problem: Break::Mismatch, .. }
    ));
    sql(&t, "DELETE FROM events WHERE position > 3").await;
    sql(&t, "UPDATE chain_head SET position = 3, chain = (SELECT chain FROM events WHERE position = 3) WHERE id = 1")
        .await;
    assert!(matches!(
        verify_chain_since(t.db.events.as_ref(), &chain_key(), from).await.unwrap(),
        ChainVerdict::Broken { position: 4, problem: Break::CheckpointBeyondLog { line: 1, last: 3, .. }, .. }
    ));
}

pub async fn a_line_of_the_checkpoint_file_that_is_not_a_signed_checkpoint_fails_the_verification(t: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(checkpoint::FILE_NAME);
    notes(&t, 3).await;
    let good = anchor(&t, &file).await.valid[0].checkpoint.to_line();
    let forged = good.replace("\"position\":3", "\"position\":2");
    std::fs::write(&file, format!("{good}\n{forged}\n")).unwrap();
    let checkpoints = Checkpoints::read(&file, &chain_key()).unwrap();
    assert!(matches!(
        verify_chain_anchored(t.db.events.as_ref(), &chain_key(), &checkpoints).await.unwrap(),
        ChainVerdict::Broken { problem: Break::CheckpointInvalid { line: 2 }, .. }
    ));
}
