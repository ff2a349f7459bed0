//! Each retention rule alone, their combination, and the newest verified backup's protection.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{BackupSummary, Retention, plan};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z").expect("time").with_timezone(&Utc)
}

/// Backup `i` was made `i` days ago, is 100 bytes and verified unless listed in `unverified`.
fn daily(count: u128, unverified: &[u128]) -> Vec<BackupSummary> {
    (0..count)
        .map(|i| BackupSummary {
            run_id: Uuid::from_u128(i),
            created_at: now() - Duration::days(i as i64),
            stored_bytes: 100,
            verified: !unverified.contains(&i),
        })
        .collect()
}

fn ids(ids: &[u128]) -> Vec<Uuid> {
    ids.iter().map(|i| Uuid::from_u128(*i)).collect()
}

#[test]
fn no_rule_keeps_everything() {
    assert_eq!(plan(&daily(5, &[]), &Retention::default(), now()), Vec::<Uuid>::new());
}

#[test]
fn keep_last_removes_all_but_the_newest_n_oldest_first() {
    let policy = Retention { keep_last: Some(2), ..Retention::default() };
    assert_eq!(plan(&daily(5, &[]), &policy, now()), ids(&[4, 3, 2]));
}

#[test]
fn keep_days_removes_what_is_older() {
    let policy = Retention { keep_days: Some(3), ..Retention::default() };
    // 0, 1 and 2 days old are younger than 3 days; exactly 3 days old is not.
    assert_eq!(plan(&daily(6, &[]), &policy, now()), ids(&[5, 4, 3]));
}

#[test]
fn a_backup_kept_by_either_keep_rule_stays() {
    let mut backups = daily(3, &[]);
    backups.push(BackupSummary {
        run_id: Uuid::from_u128(9),
        created_at: now() - Duration::days(30),
        stored_bytes: 100,
        verified: true,
    });
    // keep_last keeps 0 and 1 by count, keep_days keeps 0, 1 and 2 by age: only the 30-day-old one goes.
    let policy = Retention { keep_last: Some(2), keep_days: Some(3), ..Retention::default() };
    assert_eq!(plan(&backups, &policy, now()), ids(&[9]));
    let policy = Retention { keep_last: Some(4), keep_days: Some(1), ..Retention::default() };
    assert_eq!(plan(&backups, &policy, now()), Vec::<Uuid>::new());
}

#[test]
fn max_total_bytes_removes_the_oldest_until_under_the_cap() {
    let policy = Retention { max_total_bytes: Some(250), ..Retention::default() };
    assert_eq!(plan(&daily(5, &[]), &policy, now()), ids(&[4, 3, 2]));
    let policy = Retention { max_total_bytes: Some(300), ..Retention::default() };
    assert_eq!(plan(&daily(5, &[]), &policy, now()), ids(&[4, 3]));
}

#[test]
fn the_size_cap_applies_after_the_keep_rules() {
    let policy = Retention { keep_last: Some(4), max_total_bytes: Some(250), ..Retention::default() };
    assert_eq!(plan(&daily(6, &[]), &policy, now()), ids(&[5, 4, 3, 2]));
}

#[test]
fn the_newest_verified_backup_survives_every_rule() {
    // The two newest did not verify: the third newest (2) is the newest good backup.
    let backups = daily(5, &[0, 1]);
    let policy = Retention { keep_last: Some(1), ..Retention::default() };
    assert_eq!(plan(&backups, &policy, now()), ids(&[4, 3, 1]));
    let policy = Retention { keep_last: Some(0), keep_days: Some(0), max_total_bytes: Some(0) };
    assert_eq!(plan(&backups, &policy, now()), ids(&[4, 3, 1, 0]));
}

#[test]
fn the_newest_verified_backup_survives_even_when_it_alone_exceeds_the_cap() {
    let mut backups = daily(2, &[]);
    backups[0].stored_bytes = 10_000;
    let policy = Retention { max_total_bytes: Some(50), ..Retention::default() };
    assert_eq!(plan(&backups, &policy, now()), ids(&[1]));
}

#[test]
fn without_any_verified_backup_nothing_is_protected() {
    let policy = Retention { keep_last: Some(0), ..Retention::default() };
    assert_eq!(plan(&daily(2, &[0, 1]), &policy, now()), ids(&[1, 0]));
}
