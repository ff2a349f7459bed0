//! `POST /webhooks/github/{site}`: GitHub's deliveries for a site. The signature (HMAC-SHA256 of the raw body
//! under the site's secret) is checked in constant time before anything else is read; a refused one is recorded
//! once (`WebhookDeliveryRejected`, with the client's address) and nothing else. A push to the site's branch asks
//! for a deployment of exactly its commit, or, while one runs, joins the one follow-up that starts after it; every
//! other delivery is recorded and answered. A redelivery (same hook and delivery id) does nothing new: the
//! deployment's id and the receipt's event id are derived from them. The answer never waits for the work.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
};
use lawha_domain::{
    Message, Metadata, NewEvent, StreamId,
    deployments::{
        DeploymentRejection, Trigger,
        webhook::{self, Delivery, SIGNATURE_HEADER},
    },
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{DeployError, commands, input, messages, read};
use crate::{
    http::{context::RequestContext, error::ApiError},
    state::AppState,
};

/// The largest delivery taken (GitHub caps payloads at 25 MB); this route's own limit.
pub const MAX_DELIVERY_BYTES: usize = 25 * 1024 * 1024;

/// The receipt's and the deployment's ids, derived from the delivery so a redelivery finds them taken.
fn derived(site_id: Uuid, hook_id: u64, delivery: &str, what: &str) -> Uuid {
    Uuid::new_v5(&site_id, format!("github/{hook_id}/{delivery}/{what}").as_bytes())
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// The payload: the JSON body, or the `payload` field of a form-encoded one.
fn payload(headers: &HeaderMap, body: &[u8]) -> Result<Value, DeployError> {
    let form = header_text(headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let text: std::borrow::Cow<'_, [u8]> = if form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| DeployError::Delivery(messages::delivery_body(e.to_string())))?;
        let payload = pairs.into_iter().find(|(k, _)| k == "payload").map(|(_, v)| v);
        payload.ok_or_else(|| DeployError::Delivery(messages::delivery_body("no payload field")))?.into_bytes().into()
    } else {
        body.into()
    };
    serde_json::from_slice(&text).map_err(|e| DeployError::Delivery(messages::delivery_body(e.to_string())))
}

async fn record(state: &AppState, site_id: Uuid, event: NewEvent) -> Result<bool, DeployError> {
    let stream = StreamId::for_entity("webhook", site_id)
        .map_err(|e| DeployError::Store(lawha_store::StoreError::Corrupt { position: 0, reason: e.to_string() }))?;
    let appended = state.db.events.append(&stream, lawha_domain::ExpectedVersion::Any, vec![event]).await?;
    Ok(!appended.already_applied)
}

/// `POST /webhooks/github/{site}`.
#[utoipa::path(post, path = "/webhooks/github/{site}", tag = "deployments",
    params(("site" = String, Path, description = "The site's id"),
           ("X-GitHub-Event" = String, Header, description = "`push`, `ping`, …"),
           ("X-GitHub-Delivery" = String, Header, description = "The delivery's GUID"),
           ("X-GitHub-Hook-ID" = Option<String>, Header, description = "The hook's id"),
           ("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the body under the site's secret>`")),
    request_body(content = Object, description = "GitHub's payload, as JSON or as the `payload` field of a form (up to 25 MB)"),
    responses((status = 200, description = "Recorded (a ping, or a delivery answered before)", body = Object),
              (status = 202, description = "Recorded; a push to the branch answers `deployment_id`", body = Object),
              (status = 400, description = "Not a delivery GitHub would send (headers, body)", body = crate::http::error::ErrorBody),
              (status = 401, description = "Missing or wrong signature; recorded with the client's address", body = crate::http::error::ErrorBody),
              (status = 404, description = "No such site", body = crate::http::error::ErrorBody),
              (status = 413, description = "Over 25 MB", body = crate::http::error::ErrorBody)))]
pub async fn github(
    State(state): State<AppState>,
    context: RequestContext,
    Path(site): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let site_id = Uuid::parse_str(&site).map_err(|_| DeployError::site_missing(&site))?;
    let (site, spec) = commands::live_site(&state.db, site_id).await?;
    let metadata = context.metadata();
    let seal = commands::seal_key(state.config.secret_key_bytes());
    let secret = match &site.webhook_secret {
        Some(reference) => input::open(&state.db, &seal, reference).await?,
        None => return Err(DeployError::SecretUnreadable.into()),
    };
    let delivery_header = header_text(&headers, "x-github-delivery").map(crate::http::input::shown);
    if let Err(problem) = webhook::verify_signature(&secret, &body, header_text(&headers, SIGNATURE_HEADER)) {
        let message = problem.message();
        let data = json!({ "site_id": site_id, "delivery_id": delivery_header, "reason": message });
        record(&state, site_id, NewEvent::new("WebhookDeliveryRejected", data, metadata)).await?;
        return Err(DeployError::Signature(problem).into());
    }
    let event = header_text(&headers, "x-github-event")
        .ok_or_else(|| DeployError::Delivery(messages::delivery_headers("X-GitHub-Event")))?
        .to_owned();
    let delivery =
        delivery_header.ok_or_else(|| DeployError::Delivery(messages::delivery_headers("X-GitHub-Delivery")))?;
    let hook_id: u64 = header_text(&headers, "x-github-hook-id").and_then(|h| h.parse().ok()).unwrap_or(0);
    let payload = payload(&headers, &body)?;
    let classified = webhook::classify(&event, &payload, &spec.branch);

    let (status, mut answer, outcome) = match &classified {
        Delivery::Push { commit, pusher, .. } => {
            let trigger = Trigger::Push { pusher: pusher.clone(), delivery_id: delivery.clone(), hook_id };
            match push(&state, site_id, hook_id, &delivery, commit, trigger, &metadata).await? {
                Pushed::Started(id) => {
                    (StatusCode::ACCEPTED, json!({ "deployment_id": id }), json!({ "deploying": id }))
                }
                Pushed::FollowUp(id) => {
                    let note = messages::delivery_follows(id);
                    (StatusCode::ACCEPTED, json!({ "deployment_id": id, "note": note }), json!({ "follow_up": id }))
                }
                Pushed::Repeated => return Ok(repeated(&delivery)),
            }
        }
        Delivery::Ping { .. } => (StatusCode::OK, json!({ "ping": true }), json!("ping")),
        other => {
            let reason = other.ignored_because().unwrap_or_else(|| Message::text(event.clone()));
            (StatusCode::ACCEPTED, json!({ "ignored": reason }), json!({ "ignored": reason }))
        }
    };
    let receipt_id = derived(site_id, hook_id, &delivery, "receipt");
    let data =
        json!({ "site_id": site_id, "event": event, "delivery_id": delivery, "hook_id": hook_id, "outcome": outcome });
    let mut receipt = NewEvent::new("WebhookDeliveryReceived", data, metadata);
    receipt.event_id = receipt_id;
    if !record(&state, site_id, receipt).await? && !matches!(classified, Delivery::Push { .. }) {
        return Ok(repeated(&delivery));
    }
    answer["delivery_id"] = Value::String(delivery);
    Ok((status, Json(answer)))
}

fn repeated(delivery: &str) -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({ "repeated": true, "note": messages::delivery_repeated(delivery) })))
}

/// The follow-up of a site that waits for the running deployment, if one was asked for already.
async fn waiting_follow_up(pool: &sqlx::AnyPool, site_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT deployment_id FROM deployments WHERE site_id = $1 AND status = 'requested' \
         AND trigger_kind = 'follow_up' ORDER BY requested_at DESC LIMIT 1",
    )
    .bind(site_id.to_string())
    .fetch_optional(pool)
    .await?;
    Ok(id.and_then(|id| Uuid::parse_str(&id).ok()))
}

enum Pushed {
    Started(Uuid),
    FollowUp(Uuid),
    Repeated,
}

/// A push to the branch: a deployment of `commit` now; or, while one runs, the one follow-up that deploys the
/// newest pushed commit once it has ended (created by the first push that finds none waiting).
async fn push(
    state: &AppState,
    site_id: Uuid,
    hook_id: u64,
    delivery: &str,
    commit: &str,
    trigger: Trigger,
    metadata: &Metadata,
) -> Result<Pushed, DeployError> {
    let pool = &state.db.read_models;
    let deployment_id = derived(site_id, hook_id, delivery, "deployment");
    if read::deployment(pool, deployment_id).await?.is_some() {
        return Ok(Pushed::Repeated);
    }
    let (commit, trigger) = match read::active_deployment(pool, site_id).await? {
        None => (Some(commit.to_owned()), trigger),
        Some((after, _)) => {
            if let Some(waiting) = waiting_follow_up(pool, site_id).await? {
                return Ok(Pushed::FollowUp(waiting));
            }
            // The follow-up fetches the newest commit pushed by the time it starts (the receipts say which).
            (None, Trigger::FollowUp { after })
        }
    };
    let follow_up = matches!(trigger, Trigger::FollowUp { .. });
    match commands::request_deploy(&state.db, site_id, deployment_id, commit, trigger, metadata).await {
        Ok(_) => {
            // The next delivery decides from the read model: answer once it shows this deployment, so pushes that
            // GitHub sends one after the other coalesce however far the projection lags behind the log.
            read::wait_deployment(pool, deployment_id).await;
            Ok(if follow_up { Pushed::FollowUp(deployment_id) } else { Pushed::Started(deployment_id) })
        }
        Err(DeployError::Deployment(DeploymentRejection::AlreadyExists)) => Ok(Pushed::Repeated),
        Err(e) => Err(e),
    }
}
