//! Rotating the secret key: events chained under the previous key still verify, appends under the new key carry its
//! id, and a chain forged under a key the panel does not know fails.

use std::time::Duration;

use lawha_domain::{ExpectedVersion, Metadata, NewEvent};
use lawha_store::{
    ChainKey, ChainVerdict, Database, DatabaseOptions, KeyId, chain::Break, testkit::TestDb, verify_chain,
};
use serde_json::json;

use crate::common::stream;

/// The secret the test kit chains with (key A here).
const A: &[u8] = b"lawha-test-secret-key-0123456789abcdef";
/// The secret after rotation.
const B: &[u8] = b"the rotated secret key, also 32 bytes or more";
/// A secret the panel never had.
const C: &[u8] = b"an attacker's secret key of thirty-two bytes";

async fn open(t: &TestDb, key: ChainKey) -> Database {
    let options = DatabaseOptions { max_connections: 5, acquire_timeout: Duration::from_secs(5), chain_key: key };
    Database::connect(&t.url, options).await.expect("a second handle on the test database")
}

async fn notes(db: &Database, n: usize) {
    let s = stream("note");
    for i in 0..n {
        let e = NewEvent::new("NoteRecorded", json!({"n": i}), Metadata::default());
        db.events.append(&s, ExpectedVersion::Any, vec![e]).await.expect("append");
    }
}

async fn verdict(db: &Database, key: &ChainKey) -> ChainVerdict {
    verify_chain(db.events.as_ref(), key).await.expect("verify_chain")
}

pub async fn a_chain_recorded_under_the_previous_key_verifies_after_rotation(t: TestDb) {
    notes(&t.db, 5).await;
    let rotated = open(&t, ChainKey::derive_with_previous(B, &[A])).await;
    notes(&rotated, 3).await;
    // A process not yet restarted keeps appending under A meanwhile: both kinds of link chain on.
    notes(&t.db, 2).await;
    notes(&rotated, 2).await;
    let ring = ChainKey::derive_with_previous(B, &[A]);
    assert!(matches!(verdict(&t.db, &ring).await, ChainVerdict::Intact { events: 12, .. }));
    let keys: Vec<KeyId> = t.db.events.read_raw(0, 100).await.unwrap().iter().map(|r| key_id(&r.chain)).collect();
    let (a, b) = (KeyId::of(A), KeyId::of(B));
    assert_eq!(keys, [vec![a; 5], vec![b; 3], vec![a; 2], vec![b; 2]].concat());

    // Without the previous key the old events are not this panel's; without the new one, the new events.
    assert!(matches!(
        verdict(&t.db, &ChainKey::derive_with_previous(B, &[])).await,
        ChainVerdict::Broken { position: 1, problem: Break::UnknownKey { key_id }, .. } if key_id == a
    ));
    assert!(matches!(
        verdict(&t.db, &ChainKey::derive_with_previous(A, &[])).await,
        ChainVerdict::Broken { position: 6, problem: Break::UnknownKey { key_id }, .. } if key_id == b
    ));
    rotated.close().await;
}

pub async fn a_chain_forged_under_an_unknown_key_fails_verification(t: TestDb) {
    notes(&t.db, 4).await;
    let forger = open(&t, ChainKey::derive_with_previous(C, &[])).await;
    notes(&forger, 2).await;
    let ring = ChainKey::derive_with_previous(B, &[A]);
    assert!(matches!(
        verdict(&t.db, &ring).await,
        ChainVerdict::Broken { position: 5, problem: Break::UnknownKey { key_id }, .. } if key_id == KeyId::of(C)
    ));
    // Naming a known key does not help: the link does not match under it.
    let statement = "UPDATE events SET chain = $1 WHERE position = 5";
    let row = t.db.events.read_raw(4, 1).await.unwrap().remove(0);
    let mut renamed = row.chain.clone();
    renamed[..8].copy_from_slice(&KeyId::of(A).0);
    if let Some(pool) = t.db.pg_pool() {
        sqlx::query(statement).bind(&renamed).execute(pool).await.unwrap();
    } else {
        sqlx::query(statement).bind(&renamed).execute(t.db.sqlite_pool().unwrap()).await.unwrap();
    }
    assert!(matches!(verdict(&t.db, &ring).await, ChainVerdict::Broken { position: 5, problem: Break::Mismatch, .. }));
    forger.close().await;
}

fn key_id(chain: &[u8]) -> KeyId {
    KeyId(chain[..8].try_into().expect("a chain value with a key id"))
}
