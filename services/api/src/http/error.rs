//! The one place where errors become HTTP responses. Every capability's error type says what kind of refusal it
//! is, its stable code and its message through [`Problem`]; this module alone turns a [`Kind`] into a status code
//! and writes the one body shape
//! `{"error": {"code": "snake_case", "message": "…", "message_code": "…", "message_args": {…}, "details": {…}}}`:
//! `message` is the English text, `message_code` and `message_args` the message as data, which the pages render
//! in the reader's language. 5xx bodies are opaque and the cause is logged once, here, with its chain.

mod refusal;
mod shape;

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use lawha_domain::Message;
use lawha_store::{AppendError, StoreError};
use serde_json::{Value, json};

pub use refusal::{Credential, Csrf, HttpRefusal, messages};
pub use shape::{json_errors, not_found};

use crate::ui::i18n;

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
    /// A sentence for people, in English, saying what is wrong and what to do.
    pub message: String,
    /// The sentence as data: its message code (`backups.plan_invalid`), which the pages render in the reader's
    /// language.
    pub message_code: String,
    /// The message's arguments (numbers, texts, nested messages as `{"code", "args"}`).
    #[schema(value_type = Object)]
    pub message_args: Value,
    /// Machine-readable particulars (versions of a conflict, failing checks, every field's problem…); an
    /// object, possibly empty.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// What kind of refusal an error is. Only this module knows which status code each kind is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request itself is malformed (a query parameter, JSON syntax): 400.
    BadRequest,
    /// No valid credential: 401.
    Unauthorized,
    /// A credential that is not enough, or a refused address or CSRF token: 403.
    Forbidden,
    /// Nothing there (or nothing this caller may know of): 404.
    NotFound,
    /// The state forbids it now (a concurrent change, a rule of the aggregate): 409.
    Conflict,
    /// Well-formed but invalid input: 422.
    Invalid,
    /// A body over the limit: 413.
    TooLarge,
    /// A request target over the limit: 414.
    UriTooLong,
    /// A body in a content type the route does not read: 415.
    UnsupportedMediaType,
    /// Too many attempts: 429.
    TooMany,
    /// A dependency is down or the process is stopping: 503.
    Unavailable,
    /// A fault of ours: 500, opaque, the cause logged.
    Internal,
}

impl Kind {
    /// The status code.
    fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The details of a refusal that names problems by field: `fields` maps each field to its English text,
/// `problems` lists them as messages (code and arguments) for clients that show them in another language.
pub fn field_problems<F: AsRef<str>>(problems: &[(F, Message)]) -> Value {
    let fields: serde_json::Map<String, Value> =
        problems.iter().map(|(f, p)| (f.as_ref().to_owned(), Value::String(i18n::english(p)))).collect();
    let listed: Vec<Value> = problems
        .iter()
        .map(|(f, p)| json!({ "field": f.as_ref(), "message_code": p.code, "message_args": p.args }))
        .collect();
    json!({ "fields": fields, "problems": listed })
}

/// An error that can answer a request. Each capability's error type implements it once; handlers return
/// `Result<_, ApiError>` and `?` does the rest.
pub trait Problem: std::error::Error {
    /// What kind of refusal it is.
    fn kind(&self) -> Kind;
    /// The stable code programs match on (`not_found`, `invalid_input`, `not_retryable`…).
    fn code(&self) -> &'static str;
    /// What people read, as data.
    fn message(&self) -> Message;
    /// Machine-readable particulars; an object.
    fn details(&self) -> Value {
        json!({})
    }
    /// Seconds after which the client may try again (sent as `Retry-After`), for refusals that pass.
    fn retry_after(&self) -> Option<u64> {
        None
    }
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    kind: Kind,
    code: &'static str,
    message: Message,
    details: Value,
    retry_after: Option<u64>,
}

impl<E: Problem + 'static> From<E> for ApiError {
    fn from(e: E) -> Self {
        match e.kind() {
            Kind::Internal => Self::internal(&e),
            kind => {
                Self { kind, code: e.code(), message: e.message(), details: e.details(), retry_after: e.retry_after() }
            }
        }
    }
}

impl ApiError {
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
        Self {
            kind: Kind::Internal,
            code: "internal",
            message: messages::internal(),
            details: json!({}),
            retry_after: None,
        }
    }

    /// The status it will be sent with.
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// Whether it is a refusal of the request (4xx) rather than a fault of ours: pages show a refusal beside the
    /// form and let a fault become the error page.
    pub fn is_refusal(&self) -> bool {
        self.status().is_client_error()
    }

    /// The stable code (`wrong_password`, `invalid_input`…), which pages may explain in words of their own.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message, which pages render in their language.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The machine-readable particulars.
    pub fn details(&self) -> &Value {
        &self.details
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": {
            "code": self.code,
            "message": i18n::english(&self.message),
            "message_code": self.message.code,
            "message_args": serde_json::to_value(&self.message.args).unwrap_or_else(|_| json!({})),
            "details": self.details,
        }});
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        response
    }
}

impl Problem for AppendError {
    fn kind(&self) -> Kind {
        match self {
            Self::Conflict { .. } => Kind::Conflict,
            Self::Invalid(_) => Kind::Invalid,
            Self::Store(store) => store.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Conflict { .. } => "conflict",
            Self::Invalid(_) => "invalid_command",
            Self::Store(store) => store.code(),
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::Conflict { stream, expected, actual } => messages::conflict(stream, *expected, *actual),
            Self::Invalid(reason) => messages::invalid_command(reason),
            Self::Store(store) => store.message(),
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::Conflict { stream, expected, actual } => {
                json!({ "stream": stream, "expected_version": expected, "actual_version": actual })
            }
            _ => json!({}),
        }
    }
}

impl Problem for StoreError {
    fn kind(&self) -> Kind {
        if matches!(self, Self::Closed) { Kind::Unavailable } else { Kind::Internal }
    }

    fn code(&self) -> &'static str {
        if matches!(self, Self::Closed) { "shutting_down" } else { "internal" }
    }

    fn message(&self) -> Message {
        if matches!(self, Self::Closed) { messages::shutting_down() } else { messages::internal() }
    }
}

/// A read model's query failed: a fault of ours.
impl Problem for sqlx::Error {
    fn kind(&self) -> Kind {
        Kind::Internal
    }

    fn code(&self) -> &'static str {
        "internal"
    }

    fn message(&self) -> Message {
        messages::internal()
    }
}

/// The session store failed: a fault of ours.
impl Problem for tower_sessions::session::Error {
    fn kind(&self) -> Kind {
        Kind::Internal
    }

    fn code(&self) -> &'static str {
        "internal"
    }

    fn message(&self) -> Message {
        messages::internal()
    }
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
        assert!(!i18n::english(&internal.message).contains("secret detail"), "5xx bodies must not carry the cause");
    }
}
