//! Security headers on every response: a strict Content-Security-Policy (no inline script or style, so the UI's
//! own files are the only code that can run), no framing, no MIME sniffing, a narrow referrer policy, and HSTS
//! in production, where the panel is always behind TLS.

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

use crate::state::AppState;

/// The policy: same-origin resources only, images also as data: URIs (the QR code and sparklines are inline SVG
/// data), and no plugins, base-URI changes, framing or foreign form targets.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Two years, the preload list's minimum.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Middleware adding the headers, without overriding one a handler set on purpose.
pub async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "same-origin");
    set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    if state.config.profile.is_production() {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}
