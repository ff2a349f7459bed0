//! The refusals of what every request passes through (the route table, authentication, CSRF, the address
//! allow-list, readiness, the language switch, a body that is not JSON), and the messages of this module.

use lawha_domain::Message;
use serde_json::{Value, json};

use super::{Kind, Problem};

/// The messages of the HTTP layer.
pub mod messages {
    lawha_domain::messages! {
        /// A route or resource that does not exist.
        not_found = "http.not_found";
        /// No credential.
        unauthorized = "http.unauthorized";
        /// An Authorization header that is not `Bearer <token>`.
        authorization_malformed = "http.authorization_malformed";
        /// A token that is unknown, revoked or malformed.
        token_invalid = "http.token_invalid";
        /// A token where only a signed-in session may act.
        session_required = "http.session_required";
        /// A principal below the route's level.
        forbidden = "http.forbidden"(level, actor, has);
        /// A form without its CSRF token, or a wrong one.
        csrf_failed = "http.csrf_failed";
        /// A state-changing request without a session.
        csrf_no_session = "http.csrf_no_session";
        /// A session without a CSRF token yet.
        csrf_no_token = "http.csrf_no_token";
        /// A form over the body limit.
        form_too_large = "http.form_too_large";
        /// A client outside `ui.allow_ips`.
        ip_not_allowed = "http.ip_not_allowed"(ip);
        /// A readiness check that fails.
        not_ready = "http.not_ready"(failing);
        /// A language the UI does not speak.
        invalid_language = "http.invalid_language"(value);
        /// A body that is not the JSON the route takes; `reason` is the parser's.
        invalid_body = "http.invalid_body"(reason);
        /// A fault of ours; the log has the cause.
        internal = "http.internal";
        /// The process is stopping.
        shutting_down = "http.shutting_down";
        /// The database does not answer; the client should try again after `retry_after` seconds.
        database_unavailable = "http.database_unavailable"(retry_after);
        /// A stream changed since it was read.
        conflict = "http.conflict"(stream, expected, actual);
        /// An append the store refused as malformed.
        invalid_command = "http.invalid_command"(reason);
    }
}

/// A refusal of the HTTP layer.
#[derive(Debug, thiserror::Error)]
pub enum HttpRefusal {
    /// Nothing at this path, or no such resource.
    #[error("no such resource")]
    NotFound,
    /// No valid bearer token or session.
    #[error("not signed in: {0:?}")]
    Unauthorized(Credential),
    /// The route needs a signed-in session; API tokens never reach it.
    #[error("a signed-in session is required")]
    SessionRequired,
    /// The principal's level is below the route's.
    #[error("{actor} has {has}, the route needs {needed}")]
    Forbidden {
        /// The level the route needs.
        needed: String,
        /// Who asked.
        actor: String,
        /// The level they have.
        has: String,
    },
    /// A form's CSRF token is missing or wrong.
    #[error("the CSRF check failed: {0:?}")]
    CsrfFailed(Csrf),
    /// A form over the body limit.
    #[error("the form is larger than the body limit")]
    FormTooLarge,
    /// The client's address is not allowed.
    #[error("the client address {ip} is not allowed")]
    IpNotAllowed {
        /// The address as seen.
        ip: String,
    },
    /// A readiness check failed.
    #[error("failing checks: {}", failing.join(", "))]
    NotReady {
        /// The failing checks' names.
        failing: Vec<&'static str>,
        /// Every check with its state, for the details.
        checks: Value,
    },
    /// A language the UI does not speak.
    #[error("unknown language {0:?}")]
    InvalidLanguage(String),
    /// A body that is not the JSON the route takes.
    #[error("the request body is not valid: {0}")]
    InvalidBody(String),
    /// The database cannot be reached (or did not answer within `database.unavailable_wait_ms`).
    #[error("the database is unavailable")]
    DatabaseUnavailable {
        /// Seconds after which the client may try again.
        retry_after: u64,
    },
}

/// What was wrong with the credential of a refused request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// Neither a bearer token nor a signed-in session.
    Missing,
    /// An `Authorization` header that is not `Bearer <token>`.
    MalformedHeader,
    /// A bearer token that is unknown, revoked or malformed.
    InvalidToken,
}

/// Why a CSRF check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Csrf {
    /// The request has no session at all.
    NoSession,
    /// The session has no token yet.
    NoToken,
    /// The token is missing from the request, or wrong.
    Mismatch,
}

impl Problem for HttpRefusal {
    fn kind(&self) -> Kind {
        match self {
            Self::NotFound => Kind::NotFound,
            Self::Unauthorized(_) => Kind::Unauthorized,
            Self::SessionRequired | Self::Forbidden { .. } | Self::CsrfFailed(_) | Self::IpNotAllowed { .. } => {
                Kind::Forbidden
            }
            Self::FormTooLarge => Kind::TooLarge,
            Self::NotReady { .. } | Self::DatabaseUnavailable { .. } => Kind::Unavailable,
            Self::InvalidLanguage(_) => Kind::BadRequest,
            Self::InvalidBody(_) => Kind::Invalid,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Unauthorized(_) => "unauthorized",
            Self::SessionRequired => "session_required",
            Self::Forbidden { .. } => "forbidden",
            Self::CsrfFailed(_) => "csrf_failed",
            Self::FormTooLarge => "payload_too_large",
            Self::IpNotAllowed { .. } => "ip_not_allowed",
            Self::NotReady { .. } => "not_ready",
            Self::DatabaseUnavailable { .. } => "database_unavailable",
            Self::InvalidLanguage(_) => "invalid_language",
            Self::InvalidBody(_) => "invalid_input",
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::NotFound => messages::not_found(),
            Self::Unauthorized(Credential::Missing) => messages::unauthorized(),
            Self::Unauthorized(Credential::MalformedHeader) => messages::authorization_malformed(),
            Self::Unauthorized(Credential::InvalidToken) => messages::token_invalid(),
            Self::SessionRequired => messages::session_required(),
            Self::Forbidden { needed, actor, has } => messages::forbidden(needed, actor, has),
            Self::CsrfFailed(Csrf::NoSession) => messages::csrf_no_session(),
            Self::CsrfFailed(Csrf::NoToken) => messages::csrf_no_token(),
            Self::CsrfFailed(Csrf::Mismatch) => messages::csrf_failed(),
            Self::FormTooLarge => messages::form_too_large(),
            Self::IpNotAllowed { ip } => messages::ip_not_allowed(ip),
            Self::NotReady { failing, .. } => messages::not_ready(failing.join(", ")),
            Self::DatabaseUnavailable { retry_after } => messages::database_unavailable(*retry_after),
            Self::InvalidLanguage(value) => messages::invalid_language(value),
            Self::InvalidBody(reason) => messages::invalid_body(reason),
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::IpNotAllowed { ip } => json!({ "ip": ip }),
            Self::NotReady { checks, .. } => json!({ "checks": checks }),
            Self::DatabaseUnavailable { retry_after } => json!({ "retry_after_secs": retry_after }),
            _ => json!({}),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::DatabaseUnavailable { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}
