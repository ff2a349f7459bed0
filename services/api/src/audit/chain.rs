//! The audit chain's status on the audit page: the last verification (when, by whom, the result) and, for
//! admins, "verify now", which queues the `VerifyAuditChain` job (`AuditChainVerifyRequested`) rather than
//! reading the whole log inside the request. The check itself is `lawha_store::verify_chain`; its result is an
//! event in the log (`AuditChainVerified` on the stream `audit_chain-main`, beside the requests), so the audit
//! view shows who checked and what was found.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use lawha_domain::StreamId;

use crate::http::{context::RequestContext, entrance::UiPrefix, error::ApiError};
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
    /// Who asked (the actor of the request; the scheduler's for the daily check).
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
            // The verdict is the worker's; who asked is the actor of the request it answers (its causation),
            // which comes before it in the same stream, usually in the same window.
            let request = match events.iter().find(|r| Some(r.event_id) == e.metadata.causation_id) {
                Some(r) => r.metadata.actor.clone(),
                None => asker(state, e.metadata.causation_id, from).await?,
            };
            return Ok(Some(ChainStatus {
                at: e.recorded_at,
                ok: e.data["ok"].as_bool().unwrap_or(false),
                events: e.data["events"].as_i64().unwrap_or(0),
                position: e.data["position"].as_i64().unwrap_or(0),
                actor: request.or_else(|| e.metadata.actor.clone()).unwrap_or_default(),
            }));
        }
        upto = from;
    }
    Ok(None)
}

/// The actor of the request `id` in the stream before version `before` (older windows than the verdict's).
async fn asker(state: &AppState, id: Option<uuid::Uuid>, before: i64) -> Result<Option<String>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    let mut upto = before;
    while upto > 0 {
        let from = (upto - WINDOW).max(0);
        let events = state.db.events.read_stream(&stream(), from, upto - from).await?;
        if let Some(r) = events.iter().find(|r| r.event_id == id) {
            return Ok(r.metadata.actor.clone());
        }
        upto = from;
    }
    Ok(None)
}

/// `POST /audit/verify` (admin, from the audit page's form): queues a verification, then shows the audit page
/// again with a notice; the result shows there once the job has recorded it.
pub async fn verify_now(
    State(state): State<AppState>,
    context: RequestContext,
    prefix: UiPrefix,
) -> Result<Response, ApiError> {
    crate::jobs::commands::verify_audit_chain(&state.db, &context.metadata()).await?;
    Ok(prefix.redirect("/audit?done=verify-queued").into_response())
}
