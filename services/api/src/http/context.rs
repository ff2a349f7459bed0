//! Who is asking: the request id (a valid incoming `x-request-id` or a new UUIDv7, echoed back), the client
//! address and the acting user. Handlers take a [`RequestContext`] and turn it into the [`Metadata`] of the
//! events they append, so every fact in the log says which request, actor and IP caused it.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, request::Parts},
    middleware::Next,
    response::Response,
};
use lawha_domain::Metadata;
use uuid::Uuid;

/// The header carrying the request id, in and out.
pub const REQUEST_ID: &str = "x-request-id";

/// The acting user or token, set by authentication (a later layer) as a request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

/// What every request knows about itself.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The request id, also on the request's tracing span and in the response header.
    pub request_id: String,
    /// The client address: the peer, or the proxy's `X-Real-IP`/`X-Forwarded-For` when the peer is loopback.
    pub ip: Option<IpAddr>,
    /// The client's User-Agent, shortened.
    pub user_agent: Option<String>,
    /// The authenticated actor, when there is one.
    pub actor: Option<Actor>,
}

impl RequestContext {
    /// The metadata of the events this request appends.
    pub fn metadata(&self) -> Metadata {
        Metadata {
            actor: self.actor.as_ref().map(|a| a.0.clone()),
            ip: self.ip.map(|ip| ip.to_string()),
            user_agent: self.user_agent.clone(),
            request_id: Some(self.request_id.clone()),
            correlation_id: None,
            causation_id: None,
        }
    }
}

/// Accepts an incoming id only if it is short and made of safe characters, so it cannot inject into logs.
fn valid_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = (1..=128).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| text.to_owned())
}

/// The client address. Only a proxy on this host (the documented nginx deployment) is trusted to name the
/// client; anyone else could forge the headers.
fn client_ip(peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = peer.map(|p| p.ip());
    if !peer.is_some_and(|ip| ip.is_loopback()) {
        return peer;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("x-real-ip")
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| header("x-forwarded-for").and_then(|v| v.rsplit(',').next()).and_then(|v| v.trim().parse().ok()))
        .or(peer)
}

/// The path as logs show it: a first-start setup link's token is a credential, so it is cut out.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/setup/") { "/setup/[redacted]" } else { path }
}

/// Middleware: builds the context, opens the request span carrying the id, echoes the id back.
pub async fn request_context(mut request: Request, next: Next) -> Response {
    let request_id =
        request.headers().get(REQUEST_ID).and_then(valid_request_id).unwrap_or_else(|| Uuid::now_v7().to_string());
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let context = RequestContext {
        request_id: request_id.clone(),
        ip: client_ip(peer, request.headers()),
        user_agent: request
            .headers()
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect()),
        actor: request.extensions().get::<Actor>().cloned(),
    };
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
        client_ip = context.ip.map(|ip| ip.to_string()).as_deref().unwrap_or("-"),
    );
    request.extensions_mut().insert(context);
    let mut response = tracing::Instrument::instrument(next.run(request), span).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut context = parts.extensions.get::<Self>().cloned().unwrap_or_else(|| Self {
            request_id: Uuid::now_v7().to_string(),
            ip: None,
            user_agent: None,
            actor: None,
        });
        // Authentication runs inside the context layer, so read the actor as late as possible.
        if let Some(actor) = parts.extensions.get::<Actor>() {
            context.actor = Some(actor.clone());
        }
        Ok(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_request_ids_are_kept() {
        assert_eq!(valid_request_id(&HeaderValue::from_static("abc-123_x.y:z")).as_deref(), Some("abc-123_x.y:z"));
        assert!(valid_request_id(&HeaderValue::from_static("has space")).is_none());
        assert!(valid_request_id(&HeaderValue::from_static("")).is_none());
        assert!(valid_request_id(&HeaderValue::from_str(&"a".repeat(129)).unwrap()).is_none());
    }

    #[test]
    fn setup_tokens_are_cut_out_of_logged_paths() {
        assert_eq!(loggable_path("/setup/0123abcd"), "/setup/[redacted]");
        assert_eq!(loggable_path("/audit"), "/audit");
    }

    #[test]
    fn forwarded_headers_are_trusted_only_from_a_local_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 198.51.100.7"));
        let local = Some("127.0.0.1:5000".parse().unwrap());
        let remote = Some("192.0.2.1:5000".parse().unwrap());
        assert_eq!(client_ip(local, &headers), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(client_ip(remote, &headers), Some("192.0.2.1".parse().unwrap()));
        headers.insert("x-real-ip", HeaderValue::from_static("203.0.113.5"));
        assert_eq!(client_ip(local, &headers), Some("203.0.113.5".parse().unwrap()));
    }
}
