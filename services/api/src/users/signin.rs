//! Signing in with a password, then a code when two-factor sign-in is on: every attempt is counted before it is
//! checked (`throttle.rs`: per source, and per account from that source), the password is checked on the
//! bounded blocking pool (`hashing.rs`), unknown users cost the same argon2 work as known ones, and every
//! success, failure and lockout is an audit event with the client's IP in its metadata. Attempts refused while a
//! wait runs are counted, but only the first of each wait is an event: a guesser hammering a locked account
//! cannot grow the permanent log by one event per request.

use chrono::Utc;
use lawha_domain::{ExpectedVersion, Message, Metadata, NewEvent, StreamId, users::UserName};
use lawha_store::Database;
use serde_json::{Value, json};
use sqlx::Row as _;

use crate::{
    http::error::{Kind, Problem},
    users::{
        UserError, credentials,
        hashing::{Busy, PasswordWork},
        messages,
        throttle::{self, Admission, Source, Subject},
        two_factor::{self, Proof, TwoFactorKeys},
    },
};

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
    /// Too many password checks running and waiting: try again in a moment.
    #[error(transparent)]
    Busy(#[from] Busy),
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
            Self::Busy(busy) => busy.kind(),
            Self::Store(_) => Kind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::WrongCode => "invalid_code",
            Self::NoPendingSignIn => "no_pending_sign_in",
            Self::LockedOut { .. } => "locked_out",
            Self::Busy(busy) => busy.code(),
            Self::Store(_) => "internal",
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::InvalidCredentials => messages::invalid_credentials(),
            Self::WrongCode => messages::wrong_code(),
            Self::NoPendingSignIn => messages::no_pending_sign_in(),
            Self::LockedOut { retry_after_secs } => messages::locked_out(*retry_after_secs),
            Self::Busy(busy) => busy.message(),
            Self::Store(_) => crate::http::error::messages::internal(),
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::LockedOut { retry_after_secs } => json!({ "retry_after_secs": retry_after_secs }),
            _ => json!({}),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::LockedOut { retry_after_secs } => u64::try_from(*retry_after_secs).ok(),
            Self::Busy(busy) => busy.retry_after(),
            _ => None,
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
pub async fn sign_in(
    db: &Database,
    work: &PasswordWork,
    name: &str,
    password: &str,
    metadata: &Metadata,
) -> Result<Outcome, SignInError> {
    let now = Utc::now().timestamp();
    let admission = admit(db, name, now, metadata).await?;
    let stored = sqlx::query(
        "SELECT c.hash FROM users u JOIN credentials c ON c.subject = 'password:' || u.user_id WHERE u.name = $1",
    )
    .bind(name.to_owned())
    .fetch_optional(&db.read_models)
    .await?
    .map(|r| r.get::<String, _>("hash"));
    let known = stored.is_some();
    // Unknown users cost the same argon2 work as known ones, so timing does not reveal which names exist.
    let password = password.to_owned();
    let checked = work
        .run(move || match &stored {
            Some(hash) => credentials::verify_password(&password, hash),
            None => credentials::verify_password(&password, dummy_hash()),
        })
        .await;
    let ok = match checked {
        Ok(ok) => ok && known,
        Err(busy) => {
            admission.undo(&db.read_models).await?;
            return Err(busy.into());
        }
    };
    if ok && two_factor::is_enabled(db, name).await? {
        // The password was right: not a failure. The code step is counted on its own.
        admission.undo(&db.read_models).await?;
        return Ok(Outcome::SecondFactor(name.to_owned()));
    }
    if ok {
        succeeded(db, name, "password", &admission, metadata).await?;
        return Ok(Outcome::SignedIn(name.to_owned()));
    }
    failed(db, name, "invalid_credentials", &admission, now, metadata).await;
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
    let now = Utc::now().timestamp();
    let admission = admit(db, name, now, metadata).await?;
    match two_factor::verify(db, keys, name, code, metadata).await {
        Ok(proof) => {
            let method = if proof == Proof::Totp { "totp" } else { "recovery_code" };
            succeeded(db, name, method, &admission, metadata).await?;
            Ok(name.to_owned())
        }
        Err(UserError::WrongCode | UserError::Invalid(_) | UserError::Rejected(_)) => {
            failed(db, name, "invalid_second_factor", &admission, now, metadata).await;
            Err(SignInError::InvalidCredentials)
        }
        Err(other) => {
            admission.undo(&db.read_models).await?;
            Err(SignInError::Store(other.to_string()))
        }
    }
}

async fn succeeded(
    db: &Database,
    name: &str,
    method: &str,
    admission: &Admission,
    metadata: &Metadata,
) -> Result<(), SignInError> {
    admission.succeeded(&db.read_models).await?;
    record(db, name, "SignedIn", json!({"user": name, "method": method}), metadata).await;
    Ok(())
}

/// Records a failure (already counted at admission), and the wait it started when it was the last free attempt.
async fn failed(db: &Database, name: &str, reason: &str, admission: &Admission, now: i64, metadata: &Metadata) {
    record(db, name, "SignInFailed", json!({"user": name, "reason": reason}), metadata).await;
    if let Some(until) = admission.wait_until() {
        let ip = metadata.ip.clone().unwrap_or_else(|| "unknown".into());
        let data = json!({"user": name, "ip": ip, "locked_for_secs": until - now});
        record(db, name, "SignInLockedOut", data, metadata).await;
    }
}

/// Counts an attempt on `name` from the request's source, or refuses it while either waits. A refusal is an
/// event only when it is the first of its wait (with how many were refused so far); the rest are a metric.
async fn admit(db: &Database, name: &str, now: i64, metadata: &Metadata) -> Result<Admission, SignInError> {
    let source = Source::of(metadata.ip.as_deref());
    let waiting = match throttle::admit(&db.read_models, &Subject::sign_in(&source, name), now).await? {
        Ok(admission) => return Ok(admission),
        Err(waiting) => waiting,
    };
    metrics::counter!("lawha_sign_in_refused_total").increment(1);
    let (first, refusals) = throttle::note_refusal(&db.read_models, &waiting.subject).await?;
    if first {
        let data = json!({"user": name, "reason": "locked_out", "refusals": refusals});
        record(db, name, "SignInFailed", data, metadata).await;
    }
    Err(SignInError::LockedOut { retry_after_secs: waiting.until - now })
}

/// A real argon2id hash of a random password, made once, to spend the same time on unknown users.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| credentials::hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
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
