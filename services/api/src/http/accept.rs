//! Which answer a client wants: a browser's navigation or form gets pages, redirects and forms back; scripts get
//! the JSON shape.

/// Whether the client asked for a page rather than JSON.
pub fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
