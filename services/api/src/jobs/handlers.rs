//! The bodies of the admin queue's jobs, which run inside the API process (they need its projections):
//! `VerifyAuditChain` (with the checkpoints anchored outside the database) and `RebuildProjection`.

use async_trait::async_trait;
use lawha_domain::{ExpectedVersion, Message, Metadata, NewEvent, StreamId, event_id_for};
use lawha_jobs::runtime::{Handler, JobContext, JobError};
use lawha_store::{ChainKey, ChainVerdict, Database, ProjectionRunner, chain::Break, verify_chain_anchored};
use serde_json::{Value, json};

use super::{commands::AUDIT_CHAIN_STREAM, messages};
use crate::audit::anchor::Anchor;

/// Recomputes the audit chain, checks that the log still holds every head anchored in the checkpoint file, and
/// records the verdict as `AuditChainVerified`, whose id derives from the job, so a re-run attempt records one
/// verdict. An intact chain is anchored again (a new checkpoint of the head verified). A broken chain is a
/// verdict, not a failure of the job.
#[derive(Debug, Clone)]
pub struct VerifyAuditChain {
    /// The log to verify and to record in.
    pub db: Database,
    /// The chain key.
    pub key: ChainKey,
    /// Where checkpoints are read from and written to.
    pub anchor: Anchor,
}

#[async_trait]
impl Handler for VerifyAuditChain {
    async fn run(&self, ctx: &JobContext) -> Result<Value, JobError> {
        let shown = self.anchor.file().display().to_string();
        let checkpoints = self
            .anchor
            .checkpoints()
            .map_err(|e| JobError::Retryable(messages::chain_checkpoints_unreadable(&shown, e.to_string())))?;
        let verdict = verify_chain_anchored(self.db.events.as_ref(), &self.key, &checkpoints)
            .await
            .map_err(|e| JobError::Retryable(messages::store_failed(e.to_string())))?;
        let checked = checkpoints.valid.len();
        let (data, line) = match &verdict {
            ChainVerdict::Intact { events, head } => (
                json!({ "ok": true, "events": events, "head": hex::encode(head), "checkpoints": checked }),
                messages::chain_verdict_intact(*events),
            ),
            ChainVerdict::Broken { position, reason, problem } => {
                tracing::error!(position, reason, "the audit chain is broken");
                let message = broken(*position, *problem);
                let data = json!({ "ok": false, "position": position, "reason": reason, "message": message });
                (data, message)
            }
        };
        ctx.log(line).await;
        if checked > 0 && matches!(verdict, ChainVerdict::Intact { .. }) {
            ctx.log(messages::chain_checkpoints_held(checked, &shown)).await;
        }
        if let ChainVerdict::Intact { events, head } = verdict
            && events > 0
        {
            match self.anchor.record(events, head).await {
                Ok((checkpoint, _sent)) => ctx.log(messages::chain_anchored(checkpoint.position, &shown)).await,
                Err(e) => ctx.log(messages::chain_anchor_failed(&shown, e.to_string())).await,
            }
        }
        // The person who asked is the actor of the request; the verdict names the job that found it.
        let metadata = Metadata {
            actor: Some(format!("worker:{}", ctx.worker)),
            correlation_id: Some(ctx.job.correlation_id),
            causation_id: Some(ctx.job.id),
            ..Metadata::default()
        };
        let mut event = NewEvent::new("AuditChainVerified", data.clone(), metadata);
        event.event_id = event_id_for(ctx.job.id, "verdict");
        let stream =
            StreamId::parse(AUDIT_CHAIN_STREAM).map_err(|e| JobError::Permanent(Message::text(e.to_string())))?;
        self.db
            .events
            .append(&stream, ExpectedVersion::Any, vec![event])
            .await
            .map_err(|e| JobError::Retryable(messages::store_failed(e.to_string())))?;
        Ok(data)
    }
}

/// The verdict of a broken chain, as people read it.
fn broken(position: i64, problem: Break) -> Message {
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let why = match problem {
        Break::Missing { next } => messages::chain_missing(next),
        Break::NotJson => messages::chain_not_json(),
        Break::Mismatch => messages::chain_mismatch(),
        Break::HeadBeyondLog { head, last } => messages::chain_head_beyond(head, last),
        Break::HeadMismatch => messages::chain_head_mismatch(),
        Break::UnknownKey { key_id } => messages::chain_unknown_key(key_id.to_string()),
        Break::CheckpointBeyondLog { line, at, last } => {
            messages::chain_checkpoint_beyond(line, position, time(at), last)
        }
        Break::CheckpointMismatch { line, at } => messages::chain_checkpoint_mismatch(line, position, time(at)),
        Break::CheckpointInvalid { line } => messages::chain_checkpoint_invalid(line),
    };
    messages::chain_verdict_broken(position, why)
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
            return Err(JobError::Permanent(messages::unknown_projection(name, known.join(", "))));
        };
        ctx.log(messages::rebuilding(name)).await;
        let started = std::time::Instant::now();
        let events = self
            .runner
            .rebuild(projection.as_ref())
            .await
            .map_err(|e| JobError::Retryable(messages::store_failed(e.to_string())))?;
        ctx.log(messages::rebuilt(name, events, started.elapsed().as_millis())).await;
        Ok(json!({ "projection": name, "events": events }))
    }
}
