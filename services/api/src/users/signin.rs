//! Signing in with a password: throttling and lockout per account and per client address (growing delays after
//! five failures), a constant-cost check for unknown users, and an audit event for every success, failure and
//! lockout, with the client's IP in its metadata.

use chrono::Utc;
use lawha_domain::{ExpectedVersion, Message, Metadata, NewEvent, StreamId, users::UserName};
use lawha_store::Database;
use serde_json::{Value, json};
use sqlx::Row as _;

use crate::{
    http::error::{Kind, Problem},
    users::{
        UserError, credentials, messages,
        two_factor::{self, Proof, TwoFactorKeys},
    },
};

/// Failures allowed before delays start.
pub const FREE_FAILURES: i64 = 5;
/// The first delay after the free failures; it doubles with each further failure.
const FIRST_DELAY_SECS: i64 = 30;
/// The longest delay.
const MAX_DELAY_SECS: i64 = 3600;

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignInError {
    /// Wrong user name or password (never says which).
    #[error("invalid user name or password")]
    InvalidCredentials,
    /// Too many failures: try again after this many seconds.
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    LockedOut {
        /// Seconds until the next attempt is accepted.
        retry_after_secs: i64,
    },
    /// A wrong code at the second step (never says whether the account exists).
    #[error("the code is wrong, expired or already used")]
    WrongCode,
    /// The code step without a password step in the last five minutes.
    #[error("sign in with the password first; the code must follow within 5 minutes")]
    NoPendingSignIn,
    /// The store failed.
    #[error("{0}")]
    Store(String),
}

impl From<sqlx::Error> for SignInError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.to_string())
    }
}

impl SignInError {
    /// The same refusal at the code step of a sign-in: wrong credentials there mean a wrong code.
    pub fn in_code_step(self) -> Self {
        if self == Self::InvalidCredentials { Self::WrongCode } else { self }
    }
}

impl Problem for SignInError {
    fn kind(&self) -> Kind {
        match self {
            Self::InvalidCredentials | Self::WrongCode | Self::NoPendingSignIn => Kind::Unauthorized,
            Self::LockedOut { .. } => Kind::TooMany,
            Self::Store(_) => Kind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::WrongCode => "invalid_code",
            Self::NoPendingSignIn => "no_pending_sign_in",
            Self::LockedOut { .. } => "locked_out",
            Self::Store(_) => "internal",
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::InvalidCredentials => messages::invalid_credentials(),
            Self::WrongCode => messages::wrong_code(),
            Self::NoPendingSignIn => messages::no_pending_sign_in(),
            Self::LockedOut { retry_after_secs } => messages::locked_out(*retry_after_secs),
            Self::Store(_) => crate::http::error::messages::internal(),
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::LockedOut { retry_after_secs } => json!({ "retry_after_secs": retry_after_secs }),
            _ => json!({}),
        }
    }
}

/// What a correct password leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Signed in (no second factor set up).
    SignedIn(String),
    /// The password was right; a code from the authenticator app (or a recovery code) must follow.
    SecondFactor(String),
}

/// Checks a user name and password; every outcome but the password step of a two-factor sign-in is an event.
pub async fn sign_in(db: &Database, name: &str, password: &str, metadata: &Metadata) -> Result<Outcome, SignInError> {
    let (now, subjects) = refuse_if_locked(db, name, metadata).await?;
    let stored = sqlx::query(
        "SELECT c.hash FROM users u JOIN credentials c ON c.subject = 'password:' || u.user_id WHERE u.name = $1",
    )
    .bind(name.to_owned())
    .fetch_optional(&db.read_models)
    .await?
    .map(|r| r.get::<String, _>("hash"));
    // Unknown users cost the same argon2 work as known ones, so timing does not reveal which names exist.
    let ok = match &stored {
        Some(hash) => credentials::verify_password(password, hash),
        None => {
            let _ = credentials::verify_password(password, dummy_hash());
            false
        }
    };
    if ok && two_factor::is_enabled(db, name).await? {
        return Ok(Outcome::SecondFactor(name.to_owned()));
    }
    if ok {
        succeeded(db, name, "password", &subjects[0], metadata).await?;
        return Ok(Outcome::SignedIn(name.to_owned()));
    }
    failed(db, name, "invalid_credentials", &subjects, now, metadata).await?;
    Err(SignInError::InvalidCredentials)
}

/// The second step of a two-factor sign-in: a TOTP code or a recovery code, under the same throttling.
pub async fn second_factor(
    db: &Database,
    keys: &TwoFactorKeys,
    name: &str,
    code: &str,
    metadata: &Metadata,
) -> Result<String, SignInError> {
    let (now, subjects) = refuse_if_locked(db, name, metadata).await?;
    match two_factor::verify(db, keys, name, code, metadata).await {
        Ok(proof) => {
            let method = if proof == Proof::Totp { "totp" } else { "recovery_code" };
            succeeded(db, name, method, &subjects[0], metadata).await?;
            Ok(name.to_owned())
        }
        Err(UserError::WrongCode | UserError::Invalid(_) | UserError::Rejected(_)) => {
            failed(db, name, "invalid_second_factor", &subjects, now, metadata).await?;
            Err(SignInError::InvalidCredentials)
        }
        Err(other) => Err(SignInError::Store(other.to_string())),
    }
}

async fn succeeded(
    db: &Database,
    name: &str,
    method: &str,
    user_subject: &str,
    metadata: &Metadata,
) -> Result<(), SignInError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1")
        .bind(user_subject.to_owned())
        .execute(&db.read_models)
        .await?;
    record(db, name, "SignedIn", json!({"user": name, "method": method}), metadata).await;
    Ok(())
}

/// Records a failure and counts it against the account and the address, locking them when it is one too many.
async fn failed(
    db: &Database,
    name: &str,
    reason: &str,
    subjects: &[String; 2],
    now: i64,
    metadata: &Metadata,
) -> Result<(), SignInError> {
    let ip = metadata.ip.clone().unwrap_or_else(|| "unknown".into());
    record(db, name, "SignInFailed", json!({"user": name, "reason": reason}), metadata).await;
    let mut newly_locked = None;
    for subject in subjects {
        if let Some(until) = count_failure(db, subject, now).await? {
            newly_locked = Some(newly_locked.unwrap_or(until).max(until));
        }
    }
    if let Some(until) = newly_locked {
        record(db, name, "SignInLockedOut", json!({"user": name, "ip": ip, "locked_for_secs": until - now}), metadata)
            .await;
    }
    Ok(())
}

/// The throttling subjects of an attempt (the account and the client address), refusing (and recording) the
/// attempt while either is locked; returns the time and the subjects for counting a failure.
async fn refuse_if_locked(db: &Database, name: &str, metadata: &Metadata) -> Result<(i64, [String; 2]), SignInError> {
    let now = Utc::now().timestamp();
    let ip = metadata.ip.clone().unwrap_or_else(|| "unknown".into());
    let subjects = [format!("user:{name}"), format!("ip:{ip}")];
    let locked_until = locked_until(db, &subjects).await?;
    if locked_until > now {
        record(db, name, "SignInFailed", json!({"user": name, "reason": "locked_out"}), metadata).await;
        return Err(SignInError::LockedOut { retry_after_secs: locked_until - now });
    }
    Ok((now, subjects))
}

/// A real argon2id hash of a random password, made once, to spend the same time on unknown users.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| credentials::hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
}

async fn locked_until(db: &Database, subjects: &[String]) -> Result<i64, SignInError> {
    let mut until = 0;
    for subject in subjects {
        let row: Option<i64> = sqlx::query_scalar("SELECT locked_until FROM sign_in_failures WHERE subject = $1")
            .bind(subject.clone())
            .fetch_optional(&db.read_models)
            .await?;
        until = until.max(row.unwrap_or(0));
    }
    Ok(until)
}

/// Counts a failure; returns the new lock end when this failure (the 5th or later) locks the subject.
async fn count_failure(db: &Database, subject: &str, now: i64) -> Result<Option<i64>, SignInError> {
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO sign_in_failures (subject, failures, last_failure, locked_until) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (subject) DO UPDATE SET failures = sign_in_failures.failures + 1, last_failure = excluded.last_failure \
         RETURNING failures",
    )
    .bind(subject.to_owned())
    .bind(now)
    .fetch_one(&db.read_models)
    .await?;
    if failures < FREE_FAILURES {
        return Ok(None);
    }
    let doublings = u32::try_from((failures - FREE_FAILURES).min(16)).unwrap_or(16);
    let until = now + (FIRST_DELAY_SECS << doublings).min(MAX_DELAY_SECS);
    sqlx::query("UPDATE sign_in_failures SET locked_until = $1 WHERE subject = $2")
        .bind(until)
        .bind(subject.to_owned())
        .execute(&db.read_models)
        .await?;
    Ok(Some(until))
}

/// Appends a sign-in event to `sign_in-<name>`; a failure to record is logged, never hidden as success.
pub async fn record(db: &Database, name: &str, event_type: &str, data: serde_json::Value, metadata: &Metadata) {
    let key = UserName::parse(name).map_or_else(|_| "invalid-name".to_owned(), |n| n.as_str().to_owned());
    let Ok(stream) = StreamId::parse(format!("sign_in-{key}")) else { return };
    let event = NewEvent::new(event_type, data, metadata.clone());
    if let Err(error) = db.events.append(&stream, ExpectedVersion::Any, vec![event]).await {
        tracing::error!(%error, event_type, "could not record a sign-in event");
    }
}
