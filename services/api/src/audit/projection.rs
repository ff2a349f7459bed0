//! `audit_log`: one row per event (position, time, actor, IP, type, stream, a readable summary), indexed for
//! filtering by actor, type, stream and time. The audit view and its exports read it.

use async_trait::async_trait;
use lawha_domain::RecordedEvent;
use lawha_store::{
    Projection,
    projection::{statement_chunks, values_placeholders},
};
use serde_json::Value;
use sqlx::AnyConnection;

/// The audit log projection.
#[derive(Debug, Clone, Copy)]
pub struct AuditLog;

#[async_trait]
impl Projection for AuditLog {
    fn name(&self) -> &'static str {
        "audit_log"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["audit_log"]
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        self.apply_batch(tx, &[event]).await
    }

    /// One multi-row INSERT per chunk of the batch.
    async fn apply_batch(&self, tx: &mut AnyConnection, events: &[&RecordedEvent]) -> Result<(), sqlx::Error> {
        for chunk in statement_chunks(events) {
            // Keyed by position, so a replayed event is a no-op rather than a second row.
            let sql = format!(
                "INSERT INTO audit_log (position, recorded_at, actor, ip, event_type, stream_id, category, summary, \
                 request_id) {} ON CONFLICT (position) DO NOTHING",
                values_placeholders(9, chunk.len())
            );
            // The statement is the fixed text above with numbered placeholders; every value is a bind.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for event in chunk {
                query = query
                    .bind(event.position)
                    .bind(event.recorded_at.timestamp_micros())
                    .bind(event.metadata.actor.clone())
                    .bind(event.metadata.ip.clone())
                    .bind(event.event_type.clone())
                    .bind(event.stream.as_str().to_owned())
                    .bind(event.stream.category().to_owned())
                    .bind(summary(event))
                    .bind(event.metadata.request_id.clone());
            }
            query.execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// "Backup completed (plan=nightly, size_bytes=1024)": the type in words and up to four scalar fields.
/// Bumped whenever the projection applies an event, so caches of audit pages in this process know they are stale.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The current generation of the audit log read model in this process.
pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::Acquire)
}

/// Marks every cached audit page as stale.
pub fn invalidate() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
}

/// Events never carry secrets (invariant 8), so any scalar field may be shown.
pub fn summary(event: &RecordedEvent) -> String {
    let mut words = String::new();
    for (i, c) in event.event_type.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            words.push(' ');
            words.extend(c.to_lowercase());
        } else {
            words.push(c);
        }
    }
    let fields: Vec<String> = match &event.data {
        Value::Object(map) => map
            .iter()
            // A secret (sealed in events recorded before secrets moved out of the log, a reference since) is
            // never part of a summary.
            .filter(|(k, _)| !k.ends_with("_sealed") && !k.ends_with("_secret"))
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some(format!("{k}={}", s.chars().take(80).collect::<String>())),
                Value::Number(n) => Some(format!("{k}={n}")),
                Value::Bool(b) => Some(format!("{k}={b}")),
                _ => None,
            })
            .take(4)
            .collect(),
        _ => vec![],
    };
    if fields.is_empty() { words } else { format!("{words} ({})", fields.join(", ")) }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use lawha_domain::{Metadata, StreamId};
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn summaries_read_as_words_with_the_scalar_fields() {
        let event = RecordedEvent {
            position: 1,
            event_id: Uuid::now_v7(),
            stream: StreamId::parse("backup_run-1").unwrap(),
            version: 1,
            event_type: "BackupCompleted".into(),
            schema_version: 1,
            data: json!({"plan": "nightly", "size_bytes": 1024, "files": ["a"]}),
            metadata: Metadata::default(),
            recorded_at: Utc::now(),
            chain: vec![],
        };
        assert_eq!(summary(&event), "Backup completed (plan=nightly, size_bytes=1024)");
    }
}
