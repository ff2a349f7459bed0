//! The address allow-list (`ui.allow_ips`): when it is not empty, only clients whose address is in it may use
//! the UI and the API. The address is the one [`RequestContext`] settled on (the peer, or what a trusted proxy
//! of `http.trusted_proxies` says in `X-Real-IP` / `X-Forwarded-For`), already canonical. Health checks and webhooks are exempt: load balancers and GitHub
//! call from addresses the operator does not choose.
//!
//! A refused request gets 403 with code `ip_not_allowed`: as JSON for programs, as a short page for browsers.
//! It is logged at info with the address and counted in `lawha_http_ip_refused_total`.

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{
    context::RequestContext,
    entrance::UiPrefix,
    error::{ApiError, HttpRefusal},
};
use crate::{
    state::AppState,
    ui::{ErrorPage, Lang, Page, i18n},
};

/// Middleware enforcing the list; it must run inside [`super::context::request_context`].
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let ui = &state.config.ui;
    if ui.allow_ips.is_empty() || super::entrance::is_root_only(request.uri().path()) {
        return next.run(request).await;
    }
    let ip = request.extensions().get::<RequestContext>().and_then(|c| c.ip);
    // Without a known address (no peer information) the request cannot be shown to be allowed.
    if ip.is_some_and(|ip| ui.allows(ip)) {
        return next.run(request).await;
    }
    let shown = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_canonical().to_string());
    tracing::info!(client_ip = %shown, "refused: the client address is not in ui.allow_ips");
    metrics::counter!("lawha_http_ip_refused_total").increment(1);
    refusal(&request, &shown)
}

/// The 403, in the form the client asked for.
fn refusal(request: &Request, ip: &str) -> Response {
    let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
    if !super::accept::wants_html(request.headers()) {
        return ApiError::from(HttpRefusal::IpNotAllowed { ip: ip.to_owned() }).into_response();
    }
    // No session is touched for a refused client: the page has no CSRF token, and its language comes from
    // Accept-Language alone.
    let lang = Lang::negotiate(None, header(header::ACCEPT_LANGUAGE));
    let prefix = request.extensions().get::<UiPrefix>().cloned().unwrap_or_default();
    let page = Page::new(lang, "", String::new()).with_prefix(prefix.0);
    let mut error = ErrorPage::new(page, StatusCode::FORBIDDEN);
    error.page.title = i18n::t(lang, "ip-not-allowed-title");
    error.message = i18n::t_args(lang, "ip-not-allowed-text", &[("ip", ip.to_owned().into())]);
    error.into_response()
}
