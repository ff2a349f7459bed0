//! Reads of `certificates` in the shapes the API and the pages use, and the waits a command makes for them. The
//! SQL is the same on both backends; every value is bound. The read model holds no key to show.

use chrono::{DateTime, Utc};
use lawha_domain::Message;
use lawha_store::projection::message_from;
use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyPool, Row as _, any::AnyRow};
use uuid::Uuid;

use crate::jobs::read::{said, time};

/// The CA's suggested renewal window (ARI).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    /// When renewal should start (RFC 3339).
    pub start: String,
    /// When it should be done by (RFC 3339).
    pub end: String,
}

/// A certificate as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CertificateView {
    /// Its id (also the folder of its files on its host).
    pub id: String,
    /// The names it certifies; the first is its subject.
    pub names: Vec<String>,
    /// The host whose cert worker orders and installs it.
    pub host: String,
    /// `http-01` or `dns-01`.
    pub challenge: String,
    /// The ACME directory's URL.
    pub directory: String,
    /// `ecdsa-p256` or `rsa-2048`.
    pub key_type: String,
    /// The ACME profile asked for, if any.
    pub profile: Option<String>,
    /// The CA account's contact address, if any.
    pub email: Option<String>,
    /// `ordering`, `issued` (being installed), `installed`, `failed` or `deleted`.
    pub status: String,
    /// The serial of the last certificate issued (lowercase hexadecimal).
    pub serial: Option<String>,
    /// Its issuer.
    pub issuer: Option<String>,
    /// SHA-256 of its DER form.
    pub fingerprint: Option<String>,
    /// Start of its validity (RFC 3339).
    pub not_before: Option<String>,
    /// End of its validity (RFC 3339).
    pub not_after: Option<String>,
    /// Whole days until `not_after` (negative once expired).
    pub days_left: Option<i64>,
    /// The CA's renewal window for it, when the CA gave one (ARI).
    pub renewal_window: Option<WindowView>,
    /// The serial of the certificate installed and served on the host.
    pub installed_serial: Option<String>,
    /// Its full chain's file on the host.
    pub certificate_path: Option<String>,
    /// When the last order was asked for (RFC 3339).
    pub last_attempt_at: Option<String>,
    /// Orders failed in a row since the last installation.
    pub failures: i64,
    /// The step the last order failed at (`account`, `order`, `authorization`, `challenge`, `finalize`,
    /// `download`, `install`).
    pub last_error_step: Option<String>,
    /// Why it failed (English).
    pub last_error: Option<String>,
    /// The reason's message code.
    pub last_error_code: Option<String>,
    /// The reason's message arguments.
    #[schema(value_type = Option<Object>)]
    pub last_error_args: Option<Value>,
    /// When the failed order is tried again (RFC 3339).
    pub next_retry_at: Option<String>,
    /// When it was asked for (RFC 3339).
    pub requested_at: String,
    /// When its last fact was recorded (RFC 3339).
    pub updated_at: String,
    /// The reason as data, for the pages, which show it in the reader's language.
    #[serde(skip)]
    pub last_error_message: Option<Message>,
    /// `not_after` as a time, for the pages.
    #[serde(skip)]
    pub expires: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "certificate_id, names, host, challenge, directory_url, key_type, profile, email, status, \
                       serial, issuer, fingerprint, not_before, not_after, window_start, window_end, \
                       installed_serial, certificate_path, last_attempt_at, failures, last_error_step, last_error, \
                       next_retry_at, requested_at, updated_at";

impl CertificateView {
    fn from_row(row: &AnyRow, now: DateTime<Utc>) -> Result<Self, sqlx::Error> {
        let names: String = row.try_get(1)?;
        let not_after: Option<i64> = row.try_get(13)?;
        let expires = not_after.and_then(DateTime::from_timestamp_micros);
        let window = match (row.try_get::<Option<i64>, _>(14)?, row.try_get::<Option<i64>, _>(15)?) {
            (Some(start), Some(end)) => Some(WindowView {
                start: time(Some(start)).unwrap_or_default(),
                end: time(Some(end)).unwrap_or_default(),
            }),
            _ => None,
        };
        let error = row.try_get::<Option<String>, _>(21)?.map(|text| message_from(&text));
        let (last_error, last_error_code, last_error_args) = said(error.as_ref());
        Ok(Self {
            id: row.try_get(0)?,
            names: serde_json::from_str(&names).unwrap_or_default(),
            host: row.try_get(2)?,
            challenge: row.try_get(3)?,
            directory: row.try_get(4)?,
            key_type: row.try_get(5)?,
            profile: row.try_get(6)?,
            email: row.try_get(7)?,
            status: row.try_get(8)?,
            serial: row.try_get(9)?,
            issuer: row.try_get(10)?,
            fingerprint: row.try_get(11)?,
            not_before: time(row.try_get(12)?),
            not_after: time(not_after),
            days_left: expires.map(|at| (at - now).num_days()),
            renewal_window: window,
            installed_serial: row.try_get(16)?,
            certificate_path: row.try_get(17)?,
            last_attempt_at: time(row.try_get(18)?),
            failures: row.try_get(19)?,
            last_error_step: row.try_get(20)?,
            last_error,
            last_error_code,
            last_error_args,
            next_retry_at: time(row.try_get(22)?),
            requested_at: time(row.try_get(23)?).unwrap_or_default(),
            updated_at: time(row.try_get(24)?).unwrap_or_default(),
            last_error_message: error,
            expires,
        })
    }

    /// The name it is known by: its first.
    pub fn subject(&self) -> &str {
        self.names.first().map_or("", String::as_str)
    }
}

/// Every certificate not deleted, soonest expiry first (those not issued yet last, newest first).
pub async fn list(pool: &AnyPool) -> Result<Vec<CertificateView>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM certificates WHERE deleted = 0 \
         ORDER BY CASE WHEN not_after IS NULL THEN 1 ELSE 0 END, not_after, requested_at DESC"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
    let now = Utc::now();
    rows.iter().map(|row| CertificateView::from_row(row, now)).collect()
}

/// One certificate (also a deleted one, whose status says so).
pub async fn one(pool: &AnyPool, id: Uuid) -> Result<Option<CertificateView>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM certificates WHERE certificate_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(|row| CertificateView::from_row(row, Utc::now())).transpose()
}

/// The certificate issued that expires first, and how many certificates' last order failed: the dashboard's
/// line, in two indexed reads.
pub async fn nearest(pool: &AnyPool) -> Result<(Option<CertificateView>, i64), sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM certificates WHERE deleted = 0 AND not_after IS NOT NULL ORDER BY not_after LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_optional(pool).await?;
    let nearest = row.as_ref().map(|row| CertificateView::from_row(row, Utc::now())).transpose()?;
    let failing = "SELECT COUNT(*) FROM certificates WHERE deleted = 0 AND failures > 0";
    Ok((nearest, sqlx::query_scalar(failing).fetch_one(pool).await?))
}

/// Waits until the read model shows certificate `id` at stream version `version` or later.
pub async fn wait(pool: &AnyPool, id: Uuid, version: i64) -> bool {
    crate::projections::settle(|| async {
        let sql = "SELECT COUNT(*) FROM certificates WHERE certificate_id = $1 AND stream_version >= $2";
        let count: Result<i64, _> = sqlx::query_scalar(sql).bind(id.to_string()).bind(version).fetch_one(pool).await;
        count.is_ok_and(|n| n > 0)
    })
    .await
}

/// The current stream version of certificate `id` in the read model (0 when absent).
pub async fn version(pool: &AnyPool, id: Uuid) -> Result<i64, sqlx::Error> {
    let sql = "SELECT stream_version FROM certificates WHERE certificate_id = $1";
    Ok(sqlx::query_scalar(sql).bind(id.to_string()).fetch_optional(pool).await?.unwrap_or(0))
}

/// The events of certificate `id` (its id as text), newest first, at most `limit`.
pub async fn events(pool: &AnyPool, id: &str, limit: i64) -> Result<Vec<crate::audit::read::AuditItem>, sqlx::Error> {
    crate::audit::read::of_stream(pool, &format!("certificate-{id}"), limit).await
}
