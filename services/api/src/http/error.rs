//! The one place where errors become HTTP responses. Every 4xx/5xx body has the shape
//! `{"error": {"code": "snake_case", "message": "…", "details": {…}}}`; 5xx bodies are opaque and the cause
//! is logged once, here, with its chain.

use axum::{
    Json,
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use lawha_store::{AppendError, StoreError};
use serde_json::{Value, json};

/// The shape of every 4xx/5xx body, for the OpenAPI document (responses are built by [`ApiError`]).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code for programs (`conflict`, `invalid_query`, `unauthorized`…).
    pub code: String,
    /// A sentence for people, saying what is wrong and what to do.
    pub message: String,
    /// Machine-readable particulars (versions of a conflict, failing checks…); an object, possibly empty.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Value,
}

impl ApiError {
    /// Any status with a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: json!({}) }
    }

    /// Adds machine-readable details.
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// 404 for a route or resource that does not exist.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// A 500 whose cause is logged here and never shown to the client.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log")
    }

    /// The status it will be sent with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable code (`wrong_password`, `invalid_input`…), which pages translate.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The sentence for people (shown on HTML pages too).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message, "details": self.details } });
        (self.status, Json(body)).into_response()
    }
}

impl From<AppendError> for ApiError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Conflict { ref stream, expected, actual } => {
                Self::new(StatusCode::CONFLICT, "conflict", e.to_string())
                    .with_details(json!({ "stream": stream, "expected_version": expected, "actual_version": actual }))
            }
            AppendError::Invalid(message) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_command", message),
            AppendError::Store(store) => Self::from(store),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Closed => Self::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", e.to_string()),
            other => Self::internal(&other),
        }
    }
}

impl From<crate::users::UserError> for ApiError {
    fn from(e: crate::users::UserError) -> Self {
        use crate::users::UserError as E;
        use lawha_domain::users::UserRejection as R;
        let message = e.to_string();
        let (status, code) = match e {
            E::Invalid(_) | E::Rejected(R::InvalidToken(_)) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            E::WrongCode => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_code"),
            E::WrongPassword => (StatusCode::FORBIDDEN, "wrong_password"),
            E::LastAdmin => (StatusCode::CONFLICT, "last_admin"),
            E::Rejected(R::NotFound | R::NoSuchToken) => (StatusCode::NOT_FOUND, "not_found"),
            E::Rejected(R::AlreadyExists) => (StatusCode::CONFLICT, "already_exists"),
            E::Rejected(R::SameRole(_) | R::TwoFactorAlreadyOn | R::TwoFactorOff) => (StatusCode::CONFLICT, "conflict"),
            E::Append(append) => return append.into(),
            E::Store(store) => return store.into(),
        };
        Self::new(status, code, message)
    }
}

impl From<crate::jobs::JobError> for ApiError {
    fn from(e: crate::jobs::JobError) -> Self {
        use crate::jobs::JobError as E;
        use lawha_domain::jobs::JobRejection as R;
        let message = e.to_string();
        let (status, code) = match e {
            E::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            E::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            E::UnknownProjection { known, .. } => {
                return Self::new(StatusCode::NOT_FOUND, "not_found", message).with_details(json!({ "known": known }));
            }
            E::Rejected(R::NotRetryable { .. }) => (StatusCode::CONFLICT, "not_retryable"),
            E::Rejected(R::NeverQueued { .. }) => (StatusCode::CONFLICT, "never_queued"),
            E::Rejected(R::Ended { .. } | R::Stale { .. }) => (StatusCode::CONFLICT, "conflict"),
            E::Append(append) => return append.into(),
            E::Store(store) => return store.into(),
        };
        Self::new(status, code, message)
    }
}

/// The code for a status that a layer or extractor produced without our shape.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable_entity",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

/// Middleware: rewrites error responses that layers or extractors produced in another format (an empty 408
/// from the timeout layer, axum's plain-text JSON rejections, a 413 from the body limit) into the one shape,
/// keeping their headers (`Allow`, `Retry-After`) and their text as the message.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    // JSON errors are already in shape, and HTML error pages are meant for people: leave both alone.
    let shaped = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"application/json") || v.starts_with(b"text/html")
    });
    if !(status.is_client_error() || status.is_server_error()) || shaped {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_owned();
    let message = if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let body = json!({ "error": { "code": code_for(status), "message": message, "details": {} } });
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// The fallback for unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_conflict_is_409_with_both_versions() {
        let error = ApiError::from(AppendError::Conflict { stream: "site-1".into(), expected: 3, actual: 5 });
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.code, "conflict");
        assert_eq!(error.details, json!({"stream": "site-1", "expected_version": 3, "actual_version": 5}));
    }

    #[test]
    fn an_invalid_append_is_422_and_a_store_failure_an_opaque_500() {
        assert_eq!(ApiError::from(AppendError::Invalid("x".into())).status(), StatusCode::UNPROCESSABLE_ENTITY);
        let internal = ApiError::from(StoreError::Corrupt { position: 9, reason: "secret detail".into() });
        assert_eq!(internal.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!internal.message.contains("secret detail"), "5xx bodies must not carry the cause");
    }
}
