//! Who is asking: the request id (a valid incoming `x-request-id` or a new UUIDv7, echoed back), the client
//! address and the acting user. Handlers take a [`RequestContext`] and turn it into the [`Metadata`] of the
//! events they append, so every fact in the log says which request, actor and IP caused it.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, request::Parts},
    middleware::Next,
    response::Response,
};
use lawha_config::HttpConfig;
use lawha_domain::Metadata;
use uuid::Uuid;

use crate::state::AppState;

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
    /// The client address, canonical: the peer, or what a trusted proxy says (`X-Real-IP`, `X-Forwarded-For`).
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

/// The client address, canonical (an IPv4 peer seen as `::ffff:192.0.2.7` by a dual-stack listener is
/// `192.0.2.7`, so throttling, the allow-list and the log all see one address). Only a trusted proxy
/// (`http.trusted_proxies`) may name the client; anyone else could forge the headers. From such a peer the client
/// is `X-Real-IP` (nginx sets it to the address it sees, replacing whatever the client sent), else the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy: entries to its left were written by the client and
/// prove nothing.
fn client_ip(peer: Option<SocketAddr>, headers: &HeaderMap, http: &HttpConfig) -> Option<IpAddr> {
    let peer = peer.map(|p| p.ip().to_canonical());
    if !peer.is_some_and(|ip| http.trusts(ip)) {
        return peer;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let parse = |text: &str| text.trim().parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    let real_ip = header("x-real-ip").and_then(parse);
    if let Some(ip) = real_ip.filter(|ip| !http.trusts(*ip)) {
        return Some(ip);
    }
    // Walk from the right (the entries the proxies appended) past the proxies; stop at anything unreadable,
    // since what lies to its left cannot be attributed to a trusted hop.
    let mut forwarded = header("x-forwarded-for").into_iter().flat_map(|v| v.rsplit(','));
    let mut nearest = None;
    for entry in forwarded.by_ref() {
        let Some(ip) = parse(entry) else { break };
        if !http.trusts(ip) {
            return Some(ip);
        }
        nearest = Some(ip);
    }
    // Every hop is a trusted proxy: the client runs on a proxy's host, and the nearest name is as good as any.
    real_ip.or(nearest).or(peer)
}

/// The path as logs show it: a first-start setup link's token is a credential, so it is cut out.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/setup/") { "/setup/[redacted]" } else { path }
}

/// Middleware: builds the context, opens the request span carrying the id, echoes the id back.
pub async fn request_context(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let request_id =
        request.headers().get(REQUEST_ID).and_then(valid_request_id).unwrap_or_else(|| Uuid::now_v7().to_string());
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let context = RequestContext {
        request_id: request_id.clone(),
        ip: client_ip(peer, request.headers(), &state.config.http),
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

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (axum::http::HeaderName::from_static(k), HeaderValue::from_static(v))).collect()
    }

    fn peer(text: &str) -> Option<SocketAddr> {
        Some(text.parse().unwrap())
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn forwarded_headers_are_trusted_only_from_a_trusted_proxy() {
        let http = HttpConfig::default();
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7")]);
        assert_eq!(client_ip(peer("127.0.0.1:5000"), &forwarded, &http), ip("198.51.100.7"));
        assert_eq!(client_ip(peer("[::1]:5000"), &forwarded, &http), ip("198.51.100.7"));
        assert_eq!(client_ip(peer("192.0.2.1:5000"), &forwarded, &http), ip("192.0.2.1"));
        let real = headers(&[("x-forwarded-for", "203.0.113.9"), ("x-real-ip", "203.0.113.5")]);
        assert_eq!(client_ip(peer("127.0.0.1:5000"), &real, &http), ip("203.0.113.5"));
        assert_eq!(client_ip(peer("192.0.2.1:5000"), &real, &http), ip("192.0.2.1"));
    }

    #[test]
    fn a_dual_stack_listener_sees_mapped_addresses_as_ipv4() {
        let http = HttpConfig::default();
        let real = headers(&[("x-real-ip", "::ffff:203.0.113.5")]);
        assert_eq!(client_ip(peer("[::ffff:127.0.0.1]:5000"), &real, &http), ip("203.0.113.5"));
        assert_eq!(client_ip(peer("[::ffff:192.0.2.1]:5000"), &real, &http), ip("192.0.2.1"));
        assert_eq!(client_ip(peer("[::ffff:127.0.0.1]:5000"), &HeaderMap::new(), &http), ip("127.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_forwarded_address_is_the_client() {
        let http = HttpConfig {
            trusted_proxies: vec!["127.0.0.0/8".parse().unwrap(), "172.31.250.1/32".parse().unwrap()],
            ..HttpConfig::default()
        };
        // nginx on the host sets X-Real-IP to 127.0.0.1 when a second proxy on the host sits in front of it.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 127.0.0.1"), ("x-real-ip", "127.0.0.1")]);
        assert_eq!(client_ip(peer("172.31.250.1:40000"), &chain, &http), ip("198.51.100.7"), "6.6.6.6 is forged");
        let garbage = headers(&[("x-forwarded-for", "198.51.100.7, not-an-address, 127.0.0.1")]);
        assert_eq!(client_ip(peer("172.31.250.1:40000"), &garbage, &http), ip("127.0.0.1"), "no guess past garbage");
        let from_gateway = headers(&[("x-real-ip", "203.0.113.5")]);
        assert_eq!(client_ip(peer("172.31.250.1:40000"), &from_gateway, &http), ip("203.0.113.5"));
        let nobody = HttpConfig { trusted_proxies: vec![], ..HttpConfig::default() };
        assert_eq!(client_ip(peer("127.0.0.1:5000"), &from_gateway, &nobody), ip("127.0.0.1"));
    }
}
