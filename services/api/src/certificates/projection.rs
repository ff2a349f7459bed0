//! `certificates`: one row per certificate, with its spec as shown (never a key), the certificate issued, the CA's
//! renewal window, the certificate served and the last failed order. Updates are guarded by the stream version,
//! so a replayed or older event changes nothing. A deleted certificate keeps its row, marked, so its page and
//! events stay readable.

use async_trait::async_trait;
use lawha_domain::{
    DomainEvent as _, RecordedEvent,
    certificates::{CertificateEvent, CertificateSpec},
};
use lawha_store::{EventFilter, Projection, projection::stored_message as stored};
use serde_json::json;
use sqlx::AnyConnection;

/// The certificates projection.
#[derive(Debug, Clone, Copy)]
pub struct Certificates;

#[async_trait]
impl Projection for Certificates {
    fn name(&self) -> &'static str {
        "certificates"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["certificates"]
    }

    fn filter(&self) -> EventFilter {
        EventFilter::categories(["certificate"])
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        let id = event.stream.as_str().split_once('-').map(|(_, id)| id.to_owned()).unwrap_or_default();
        match CertificateEvent::from_recorded(event) {
            Ok(fact) => apply(tx, event, &id, &fact).await,
            // A fact this build cannot read (a newer schema) must not stop every other row.
            Err(error) => {
                tracing::warn!(%error, position = event.position, "a certificate event does not decode and is not shown");
                Ok(())
            }
        }
    }
}

async fn apply(
    tx: &mut AnyConnection,
    event: &RecordedEvent,
    id: &str,
    fact: &CertificateEvent,
) -> Result<(), sqlx::Error> {
    let at = event.recorded_at.timestamp_micros();
    let micros = |time: chrono::DateTime<chrono::Utc>| time.timestamp_micros();
    let (set, values): (&str, Vec<Value>) = match fact {
        CertificateEvent::CertificateRequested { spec, .. } => return requested(tx, event, id, spec).await,
        CertificateEvent::CertificateRenewalRequested { .. } => {
            ("status = 'ordering', last_attempt_at = $4", vec![Value::Int(at)])
        }
        CertificateEvent::CertificateIssued { issuance, .. } => (
            "status = 'issued', serial = $4, issuer = $5, fingerprint = $6, not_before = $7, not_after = $8, \
             window_start = NULL, window_end = NULL",
            vec![
                Value::Text(issuance.serial.clone()),
                Value::Text(issuance.issuer.clone()),
                Value::Text(issuance.sha256_fingerprint.clone()),
                Value::Int(micros(issuance.not_before)),
                Value::Int(micros(issuance.not_after)),
            ],
        ),
        CertificateEvent::CertificateRenewalWindowFetched { start, end, .. } => {
            ("window_start = $4, window_end = $5", vec![Value::Int(micros(*start)), Value::Int(micros(*end))])
        }
        CertificateEvent::CertificateOrderFailed { step, reason, attempt, next_retry_at, .. } => (
            "status = 'failed', failures = $4, last_error_step = $5, last_error = $6, next_retry_at = $7",
            vec![
                Value::Int(i64::from(*attempt)),
                Value::Text(step.as_str().to_owned()),
                Value::Text(stored(reason)),
                Value::Int(micros(*next_retry_at)),
            ],
        ),
        CertificateEvent::CertificateInstalled(installation) => (
            "status = 'installed', installed_serial = $4, certificate_path = $5, failures = 0, \
             last_error_step = NULL, last_error = NULL, next_retry_at = NULL",
            vec![Value::Text(installation.serial.clone()), Value::Text(installation.certificate_path.clone())],
        ),
        CertificateEvent::CertificateDeleted {} => ("status = 'deleted', deleted = 1", Vec::new()),
    };
    let sql = format!(
        "UPDATE certificates SET {set}, updated_at = $3, stream_version = $2 \
         WHERE certificate_id = $1 AND stream_version < $2"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_owned()).bind(event.version).bind(at);
    for value in values {
        query = match value {
            Value::Int(n) => query.bind(n),
            Value::Text(text) => query.bind(text),
        };
    }
    query.execute(tx).await.map(drop)
}

/// A bound value of an update.
enum Value {
    Int(i64),
    Text(String),
}

async fn requested(
    tx: &mut AnyConnection,
    event: &RecordedEvent,
    id: &str,
    spec: &CertificateSpec,
) -> Result<(), sqlx::Error> {
    let at = event.recorded_at.timestamp_micros();
    sqlx::query(
        "INSERT INTO certificates (certificate_id, host, names, challenge, directory_url, key_type, profile, email, \
         status, failures, last_attempt_at, requested_at, updated_at, deleted, stream_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ordering', 0, $9, $9, $9, 0, $10) \
         ON CONFLICT (certificate_id) DO NOTHING",
    )
    .bind(id.to_owned())
    .bind(spec.host.clone())
    .bind(json!(spec.names).to_string())
    .bind(spec.challenge.as_str())
    .bind(spec.directory.url().to_owned())
    .bind(spec.key_type.as_str())
    .bind(spec.profile.clone())
    .bind(spec.email.clone())
    .bind(at)
    .bind(event.version)
    .execute(tx)
    .await
    .map(drop)
}
