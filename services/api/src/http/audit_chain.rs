//! The audit chain's status on the audit page: the last verification (when, by whom, the result) and, for
//! admins, "verify now", which queues the `VerifyAuditChain` job (`AuditChainVerifyRequested`) rather than
//! reading the whole log inside the request. The check itself is `lawha_store::verify_chain`; its result is an
//! event in the log (`AuditChainVerified` on the stream `audit_chain-main`, beside the requests), so the audit
//! view shows who checked and what was found.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use lawha_domain::{ExpectedVersion, NewEvent, StreamId};
use lawha_store::{ChainKey, ChainVerdict, verify_chain};
use serde_json::json;

use super::{context::RequestContext, error::ApiError};
use crate::state::AppState;

/// The stream that holds verification requests and results.
const STREAM: &str = crate::jobs::commands::AUDIT_CHAIN_STREAM;
/// How many events of the stream are read at a time, newest first, looking for the last result.
const WINDOW: i64 = 50;

/// The last verification, as the audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStatus {
    /// When it ran.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Whether the chain was intact.
    pub ok: bool,
    /// Events checked (when intact).
    pub events: i64,
    /// The first failing position (when broken).
    pub position: i64,
    /// Who asked.
    pub actor: String,
}

fn stream() -> StreamId {
    StreamId::parse(STREAM).unwrap_or_else(|e| panic!("{e}"))
}

/// The last verification result, if the chain was ever verified. Requests share the stream, so it looks back
/// from the newest event for the last `AuditChainVerified`.
pub async fn last_status(state: &AppState) -> Result<Option<ChainStatus>, ApiError> {
    let mut upto = state.db.events.stream_version(&stream()).await?;
    while upto > 0 {
        let from = (upto - WINDOW).max(0);
        let events = state.db.events.read_stream(&stream(), from, upto - from).await?;
        if let Some(e) = events.iter().rev().find(|e| e.event_type == "AuditChainVerified") {
            return Ok(Some(ChainStatus {
                at: e.recorded_at,
                ok: e.data["ok"].as_bool().unwrap_or(false),
                events: e.data["events"].as_i64().unwrap_or(0),
                position: e.data["position"].as_i64().unwrap_or(0),
                actor: e.metadata.actor.clone().unwrap_or_default(),
            }));
        }
        upto = from;
    }
    Ok(None)
}

/// Recomputes the chain and records the verdict as an event; returns it.
pub async fn verify_and_record(state: &AppState, metadata: lawha_domain::Metadata) -> Result<ChainVerdict, ApiError> {
    let key = ChainKey::derive(state.config.secret_key_bytes());
    let verdict = verify_chain(state.db.events.as_ref(), &key).await?;
    let data = match &verdict {
        ChainVerdict::Intact { events, head } => json!({ "ok": true, "events": events, "head": hex::encode(head) }),
        ChainVerdict::Broken { position, reason } => json!({ "ok": false, "position": position, "reason": reason }),
    };
    if let ChainVerdict::Broken { position, reason } = &verdict {
        tracing::error!(position, reason, "the audit chain is broken");
    }
    let event = NewEvent::new("AuditChainVerified", data, metadata);
    state.db.events.append(&stream(), ExpectedVersion::Any, vec![event]).await?;
    Ok(verdict)
}

/// `POST /audit/verify` (admin, from the audit page's form): queues a verification, then shows the audit page
/// again with a notice; the result shows there once the job has recorded it.
pub async fn verify_now(
    State(state): State<AppState>,
    context: RequestContext,
    prefix: super::entrance::UiPrefix,
) -> Result<Response, ApiError> {
    crate::jobs::commands::verify_audit_chain(&state.db, &context.metadata()).await?;
    Ok(prefix.redirect("/audit?done=verify-queued").into_response())
}
