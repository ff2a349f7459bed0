use lawha_domain::canonical::CanonicalEvent;
use uuid::Uuid;

use super::*;

const A: &[u8] = b"a secret key of at least thirty-two bytes";
const B: &[u8] = b"another secret key of thirty-two bytes!!";

fn event(n: i64) -> (String, String) {
    (format!("{{\"n\":{n}}}"), "{}".to_owned())
}

fn canonical<'a>(position: i64, json: &'a (String, String)) -> CanonicalEvent<'a> {
    CanonicalEvent {
        position,
        event_id: Uuid::nil(),
        stream: "note-1",
        version: position,
        event_type: "Noted",
        schema_version: 1,
        recorded_at_micros: 1_000_000,
        data: &json.0,
        metadata: &json.1,
    }
}

#[test]
fn a_chain_value_names_its_key_and_verifies_under_that_key_after_rotation() {
    let json = event(1);
    let a = ChainKey::derive_with_previous(A, &[]);
    let value = a.next(&GENESIS, &canonical(1, &json));
    assert_eq!(value.len(), KEYED_LEN);
    assert_eq!(&value[..8], &KeyId::of(A).0);
    assert_eq!(a.check(&GENESIS, &canonical(1, &json), &value), Ok(()));
    let rotated = ChainKey::derive_with_previous(B, &[A]);
    assert_eq!(rotated.check(&GENESIS, &canonical(1, &json), &value), Ok(()));
    assert_eq!(rotated.key_id(), KeyId::of(B));
    let b_only = ChainKey::derive_with_previous(B, &[]);
    assert_eq!(b_only.check(&GENESIS, &canonical(1, &json), &value), Err(Break::UnknownKey { key_id: KeyId::of(A) }));
    // Another event, or the same under a different previous value, does not match.
    let other = event(2);
    assert_eq!(rotated.check(&GENESIS, &canonical(1, &other), &value), Err(Break::Mismatch));
    assert_eq!(rotated.check(&[1; 32], &canonical(1, &json), &value), Err(Break::Mismatch));
}

#[test]
fn a_chain_value_from_before_key_ids_verifies_under_any_key_of_the_ring() {
    let json = event(1);
    // The format every panel wrote before key ids: HMAC(audit key, prev || canonical bytes), 32 bytes.
    let legacy = Keys::of(A).mac(&[&GENESIS, &canonical(1, &json).to_bytes()]).to_vec();
    assert_eq!(ChainKey::derive_with_previous(B, &[A]).check(&GENESIS, &canonical(1, &json), &legacy), Ok(()));
    assert_eq!(ChainKey::derive_with_previous(A, &[]).check(&GENESIS, &canonical(1, &json), &legacy), Ok(()));
    let stranger = ChainKey::derive_with_previous(B, &[]);
    assert_eq!(stranger.check(&GENESIS, &canonical(1, &json), &legacy), Err(Break::Mismatch));
    assert_eq!(stranger.check(&GENESIS, &canonical(1, &json), &legacy[..20]), Err(Break::Mismatch));
}

#[test]
fn a_checkpoint_verdict_names_the_line_the_position_and_the_time() {
    let at = DateTime::from_timestamp(1_796_000_000, 0).unwrap();
    let verdict = Break::CheckpointBeyondLog { line: 3, at, last: 10 }.at(15);
    let ChainVerdict::Broken { position, reason, .. } = verdict else { panic!("broken") };
    assert_eq!(position, 15);
    assert!(
        reason.contains("checkpoint line 3 (position 15, anchored 2026-11-30T00:53:20Z")
            && reason.contains("ends at 10")
    );
}
