//! The bodies of the admin queue's jobs, which run inside the API process (they need its projections):
//! `VerifyAuditChain` and `RebuildProjection`.

use async_trait::async_trait;
use lawha_domain::{ExpectedVersion, Metadata, NewEvent, StreamId, event_id_for};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use lawha_store::{ChainKey, ChainVerdict, Database, ProjectionRunner, verify_chain};
use serde_json::{Value, json};

use super::commands::AUDIT_CHAIN_STREAM;

/// Recomputes the audit chain and records the verdict as `AuditChainVerified`, whose id derives from the job, so a
/// re-run attempt records one verdict. A broken chain is a verdict, not a failure of the job.
#[derive(Debug, Clone)]
pub struct VerifyAuditChain {
    /// The log to verify and to record in.
    pub db: Database,
    /// The chain key.
    pub key: ChainKey,
}

#[async_trait]
impl Handler for VerifyAuditChain {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let verdict =
            verify_chain(self.db.events.as_ref(), &self.key).await.map_err(|e| JobError::Retryable(e.to_string()))?;
        let data = match &verdict {
            ChainVerdict::Intact { events, head } => json!({ "ok": true, "events": events, "head": hex::encode(head) }),
            ChainVerdict::Broken { position, reason } => {
                tracing::error!(position, reason, "the audit chain is broken");
                json!({ "ok": false, "position": position, "reason": reason })
            }
        };
        ctx.log(format!("verdict: {data}")).await;
        // The person who asked is the actor of the request; the verdict names the job that found it.
        let metadata = Metadata {
            actor: Some(format!("worker:{}", ctx.worker)),
            correlation_id: Some(ctx.job.correlation_id),
            causation_id: Some(ctx.job.id),
            ..Metadata::default()
        };
        let mut event = NewEvent::new("AuditChainVerified", data.clone(), metadata);
        event.event_id = event_id_for(ctx.job.id, "verdict");
        let stream = StreamId::parse(AUDIT_CHAIN_STREAM).map_err(|e| JobError::Permanent(e.to_string()))?;
        self.db
            .events
            .append(&stream, ExpectedVersion::Any, vec![event])
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))?;
        Ok(data)
    }
}

/// Empties a read model and replays the log into it.
#[derive(Debug, Clone)]
pub struct RebuildProjection {
    /// The runner that owns the projections.
    pub runner: ProjectionRunner,
}

#[async_trait]
impl Handler for RebuildProjection {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let name = ctx.job.payload.get("projection").and_then(Value::as_str).unwrap_or_default();
        let Some(projection) = self.runner.find(name) else {
            let known: Vec<_> = self.runner.projections().iter().map(|p| p.name()).collect();
            return Err(JobError::Permanent(format!("no projection named {name:?}; known: {}", known.join(", "))));
        };
        ctx.log(format!("rebuilding {name}")).await;
        let started = std::time::Instant::now();
        let events = self.runner.rebuild(projection.as_ref()).await.map_err(|e| JobError::Retryable(e.to_string()))?;
        ctx.log(format!("rebuilt {name}: {events} events in {:.1} s", started.elapsed().as_secs_f64())).await;
        Ok(json!({ "projection": name, "events": events }))
    }
}
