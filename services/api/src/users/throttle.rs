//! Throttling of password and code checks, counted in the `sign_in_failures` table (operational state beside
//! the log, like credentials).
//!
//! An attempt is counted *before* its password is checked, in one conditional statement per subject, so a burst
//! of parallel attempts cannot all pass: the sixth of a burst sees the five in flight. An attempt that turns out
//! right is taken back ([`Admission::undo`]); one that was wrong stays counted. Each subject has free attempts
//! and then a growing wait between attempts (30 s, doubling, at most an hour).
//!
//! The subjects are the source (the client address; an IPv6 address by its /64, which one machine usually owns
//! whole) and the account *from that source*. An account is never locked for everyone: a guesser elsewhere
//! cannot keep `admin` out, whatever it tries (ARCHITECTURE.md, "Sign-in and client addresses").
//!
//! Counts decay: a subject starts again from nothing once [`WINDOW_SECS`] have passed since its last counted
//! attempt and any wait it earned is over.

use std::net::IpAddr;

use sqlx::{AnyPool, Row as _};

/// A subject's count starts again after this long without a counted attempt (and with no wait left).
pub const WINDOW_SECS: i64 = 15 * 60;
/// Attempts an account may fail from one source before waits start.
pub const ACCOUNT_FREE: i64 = 5;
/// Attempts one source may fail, across every account, before waits start (an office behind one address holds
/// several people who mistype).
pub const SOURCE_FREE: i64 = 20;
/// The waits after the free attempts: the first, then doubling, capped.
const FIRST_WAIT_SECS: i64 = 30;
/// The longest wait.
const MAX_WAIT_SECS: i64 = 3600;

/// Where attempts come from: the client address, with an IPv6 address cut to its /64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source(String);

impl Source {
    /// The source of a request from `ip` (`None` when the address is unknown, which is one source).
    pub fn of(ip: Option<&str>) -> Self {
        let parsed = ip.and_then(|text| text.parse::<IpAddr>().ok()).map(|ip| ip.to_canonical());
        Self(match parsed {
            Some(IpAddr::V4(v4)) => v4.to_string(),
            Some(IpAddr::V6(v6)) => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", std::net::Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
            None => "unknown".to_owned(),
        })
    }

    /// The source's own subject.
    pub fn subject(&self) -> String {
        format!("source:{}", self.0)
    }

    /// The subject of `account` tried from this source.
    pub fn account(&self, account: &str) -> String {
        format!("account:{account}@{}", self.0)
    }
}

/// One subject of an attempt and its free attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The key in `sign_in_failures`.
    pub key: String,
    /// Attempts before waits start.
    pub free: i64,
}

impl Subject {
    /// The subjects of a sign-in attempt on `account` from `source`: the source, then the account from it.
    pub fn sign_in(source: &Source, account: &str) -> [Subject; 2] {
        [
            Subject { key: source.subject(), free: SOURCE_FREE },
            Subject { key: source.account(account), free: ACCOUNT_FREE },
        ]
    }
}

/// The wait after the `count`-th counted attempt of a subject with `free` attempts: none before the last free one.
pub fn wait_after(count: i64, free: i64) -> i64 {
    if count < free {
        return 0;
    }
    let doublings = u32::try_from((count - free).min(16)).unwrap_or(16);
    (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
}

/// An attempt refused because a subject waits: until when, and which subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The refusing subject's key.
    pub subject: String,
    /// Unix seconds when it accepts attempts again.
    pub until: i64,
}

/// An attempt that was counted on every subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The subjects counted, with the time each now waits until (0: no wait).
    pub counted: Vec<(Subject, i64)>,
}

impl Admission {
    /// The latest wait this attempt started, if it started one (it was the last free attempt or later).
    pub fn wait_until(&self) -> Option<i64> {
        self.counted.iter().map(|(_, until)| *until).filter(|until| *until > 0).max()
    }

    /// Takes the attempt back (its password was right, or it was never checked).
    pub async fn undo(&self, pool: &AnyPool) -> Result<(), sqlx::Error> {
        for (subject, _) in &self.counted {
            undo(pool, subject).await?;
        }
        Ok(())
    }

    /// A success: the account (or password check) starts afresh; a source's count only loses this attempt, since
    /// other accounts' failures from it still count.
    pub async fn succeeded(&self, pool: &AnyPool) -> Result<(), sqlx::Error> {
        for (subject, _) in &self.counted {
            if !subject.key.starts_with("source:") {
                sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1")
                    .bind(subject.key.clone())
                    .execute(pool)
                    .await?;
            } else {
                undo(pool, subject).await?;
            }
        }
        Ok(())
    }
}

/// Counts an attempt on every subject in order, or refuses it at the first subject that waits (taking back the
/// counts already made, so a refused attempt costs nothing elsewhere).
pub async fn admit(pool: &AnyPool, subjects: &[Subject], now: i64) -> Result<Result<Admission, Waiting>, sqlx::Error> {
    let mut admission = Admission { counted: Vec::new() };
    for subject in subjects {
        match count(pool, subject, now).await? {
            Ok(until) => admission.counted.push((subject.clone(), until)),
            Err(until) => {
                admission.undo(pool).await?;
                return Ok(Err(Waiting { subject: subject.key.clone(), until }));
            }
        }
    }
    Ok(Ok(admission))
}

/// The new wait of a subject whose count becomes `count`, as SQL over the row's old values.
fn wait_sql(count: &str, free: i64) -> String {
    let mut arms = String::new();
    let mut step = 0;
    while wait_after(free + step, free) < MAX_WAIT_SECS {
        arms.push_str(&format!(" WHEN {count} = {} THEN $2 + {}", free + step, wait_after(free + step, free)));
        step += 1;
    }
    format!("CASE WHEN {count} < {free} THEN 0{arms} ELSE $2 + {MAX_WAIT_SECS} END")
}

/// Counts one attempt on `subject` unless it waits: `Ok(wait until)` when counted, `Err(until)` when refused.
/// Each branch is one statement, so two attempts never both see the same count.
async fn count(pool: &AnyPool, subject: &Subject, now: i64) -> Result<Result<i64, i64>, sqlx::Error> {
    // A row past its window (and its wait) starts again at 1; otherwise one more, unless it still waits.
    let decayed = "last_failure + $3 <= $2";
    let update = format!(
        "UPDATE sign_in_failures SET \
         failures = CASE WHEN {decayed} THEN 1 ELSE failures + 1 END, \
         refused = CASE WHEN {decayed} THEN 0 ELSE refused END, \
         last_failure = $2, \
         locked_until = CASE WHEN {decayed} THEN {first} ELSE {next} END \
         WHERE subject = $1 AND locked_until <= $2 RETURNING locked_until",
        first = wait_sql("1", subject.free),
        next = wait_sql("failures + 1", subject.free),
    );
    for _ in 0..5 {
        // The text is built from this module's constants only: no input reaches it.
        let counted: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(update.clone()))
            .bind(subject.key.clone())
            .bind(now)
            .bind(WINDOW_SECS)
            .fetch_optional(pool)
            .await?;
        if let Some(until) = counted {
            return Ok(Ok(until));
        }
        let first = wait_after(1, subject.free);
        let inserted = sqlx::query(
            "INSERT INTO sign_in_failures (subject, failures, last_failure, locked_until) VALUES ($1, 1, $2, $3) \
             ON CONFLICT (subject) DO NOTHING",
        )
        .bind(subject.key.clone())
        .bind(now)
        .bind(if first > 0 { now + first } else { 0 })
        .execute(pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(Ok(if first > 0 { now + first } else { 0 }));
        }
        let until: Option<i64> = sqlx::query_scalar("SELECT locked_until FROM sign_in_failures WHERE subject = $1")
            .bind(subject.key.clone())
            .fetch_optional(pool)
            .await?;
        if let Some(until) = until.filter(|until| *until > now) {
            return Ok(Err(until));
        }
        // The row appeared or its wait ended between the statements: count again.
    }
    Ok(Err(now + 1))
}

/// Takes one counted attempt back; the wait goes when the count drops below the free attempts.
async fn undo(pool: &AnyPool, subject: &Subject) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sign_in_failures SET failures = failures - 1, \
         locked_until = CASE WHEN failures - 1 < $2 THEN 0 ELSE locked_until END \
         WHERE subject = $1 AND failures > 0",
    )
    .bind(subject.key.clone())
    .bind(subject.free)
    .execute(pool)
    .await?;
    Ok(())
}

/// Notes an attempt refused by `subject`'s wait; true for the first refusal of this wait (the one worth an audit
/// event: the others of the same wait only add to the count `refusals` returns).
pub async fn note_refusal(pool: &AnyPool, subject: &str) -> Result<(bool, i64), sqlx::Error> {
    let first: Option<i64> = sqlx::query_scalar(
        "UPDATE sign_in_failures SET refused = refused + 1, refusal_noted_until = locked_until \
         WHERE subject = $1 AND refusal_noted_until < locked_until RETURNING refused",
    )
    .bind(subject.to_owned())
    .fetch_optional(pool)
    .await?;
    if let Some(refused) = first {
        return Ok((true, refused));
    }
    let row = sqlx::query("UPDATE sign_in_failures SET refused = refused + 1 WHERE subject = $1 RETURNING refused")
        .bind(subject.to_owned())
        .fetch_optional(pool)
        .await?;
    Ok((false, row.map_or(0, |r| r.get::<i64, _>("refused"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_sources_are_their_64_and_mapped_ipv4_is_ipv4() {
        assert_eq!(Source::of(Some("2001:db8:1:2:aaaa::1")), Source::of(Some("2001:db8:1:2:ffff::9")));
        assert_ne!(Source::of(Some("2001:db8:1:2::1")), Source::of(Some("2001:db8:1:3::1")));
        assert_eq!(Source::of(Some("2001:db8:1:2:aaaa::1")).subject(), "source:2001:db8:1:2::/64");
        assert_eq!(Source::of(Some("::ffff:192.0.2.7")), Source::of(Some("192.0.2.7")));
        assert_ne!(Source::of(Some("192.0.2.7")), Source::of(Some("192.0.2.8")));
        assert_eq!(Source::of(None).account("amira"), "account:amira@unknown");
    }

    #[test]
    fn waits_start_at_the_last_free_attempt_and_double_up_to_an_hour() {
        assert_eq!((1..=5).map(|n| wait_after(n, 5)).collect::<Vec<_>>(), [0, 0, 0, 0, 30]);
        assert_eq!(wait_after(6, 5), 60);
        assert_eq!(wait_after(11, 5), 1920);
        assert_eq!(wait_after(12, 5), 3600);
        assert_eq!(wait_after(500, 5), 3600);
    }

    #[test]
    fn the_sql_waits_are_the_same_as_the_rust_ones() {
        let sql = wait_sql("n", 5);
        assert!(sql.starts_with("CASE WHEN n < 5 THEN 0 WHEN n = 5 THEN $2 + 30 WHEN n = 6 THEN $2 + 60"), "{sql}");
        assert!(sql.ends_with("WHEN n = 11 THEN $2 + 1920 ELSE $2 + 3600 END"), "{sql}");
    }
}
