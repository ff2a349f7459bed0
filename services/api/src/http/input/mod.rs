//! Client input, read the one way every endpoint reads it: JSON bodies ([`body`]), the sign-in forms
//! ([`form`]), query strings ([`query`]), path segments that name nothing, and how any of it may be repeated in
//! a message ([`shown`]). The refusals and their statuses are in [`refusal`]; ARCHITECTURE.md ("One contract for
//! every endpoint") states the rules.

pub mod body;
pub mod form;
pub mod query;
mod refusal;

pub use body::{JsonBody, OptionalJsonBody};
pub use form::FormBody;
pub use query::{ApiQuery, Pairs};
pub use refusal::{InputRefusal, SHOWN_CHARS, messages, shown};

use axum::{extract::Request, middleware::Next, response::Response};

/// The longest request target (path and query) served, in bytes. Longer ones get 414 in the error shape; the
/// HTTP parser itself refuses targets over 64 KiB before any of this runs, with a bare 414.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// Middleware: refuses a request target over [`MAX_TARGET_BYTES`].
pub async fn limit_target(request: Request, next: Next) -> Response {
    let length = request.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if length > MAX_TARGET_BYTES {
        return axum::response::IntoResponse::into_response(crate::http::error::ApiError::from(
            InputRefusal::UriTooLong(MAX_TARGET_BYTES),
        ));
    }
    next.run(request).await
}
