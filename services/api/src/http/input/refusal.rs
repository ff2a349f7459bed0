//! Why a request's input was refused before any capability saw it: the body (content type, JSON syntax, shape,
//! NUL characters) and the query string (encoding, blank values, NUL characters). The status of each follows one
//! rule for every endpoint: a request that is malformed as HTTP or JSON is 400, a body in a content type other
//! than JSON is 415, well-formed JSON of the wrong shape is 422.

use lawha_domain::Message;
use serde_json::{Value, json};

use crate::http::error::{Kind, Problem};

/// The messages of input checks.
pub mod messages {
    lawha_domain::messages! {
        /// A body that is not JSON text; `reason` is the parser's, with line and column.
        json_syntax = "input.json_syntax"(reason);
        /// A route that needs a body got none.
        body_required = "input.body_required";
        /// A body in another content type than JSON.
        media_type = "input.media_type"(got);
        /// JSON of the wrong shape at `path` (`$` is the whole body).
        body_shape = "input.body_shape"(path, reason);
        /// A NUL character in a text of the body.
        body_nul = "input.body_nul"(path);
        /// A query string that does not decode.
        query_encoding = "input.query_encoding"(reason);
        /// A query parameter given without a value.
        query_blank = "input.query_blank"(parameter);
        /// A NUL character in a query parameter.
        query_nul = "input.query_nul"(parameter);
        /// A path segment that names nothing (shown clipped).
        path_unknown = "input.path_unknown"(value);
        /// A request target over the limit.
        uri_too_long = "input.uri_too_long"(limit);
        /// A form body in another content type than a URL-encoded form.
        form_media_type = "input.form_media_type"(got);
        /// A form body that does not decode.
        form_encoding = "input.form_encoding"(reason);
        /// A form field given more than once.
        form_repeated = "input.form_repeated"(field);
    }
}

/// The longest piece of client input repeated in a message; longer input is clipped with "…".
pub const SHOWN_CHARS: usize = 80;

/// `text` as a message may repeat it: at most [`SHOWN_CHARS`] characters, NULs and other controls escaped, so a
/// 20 KB id or a NUL never travels back whole.
pub fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(SHOWN_CHARS).flat_map(char::escape_debug).collect();
    if text.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out.replace("\\\"", "\"").replace("\\'", "'")
}

/// A refused body or query string.
#[derive(Debug, thiserror::Error)]
pub enum InputRefusal {
    /// Not JSON text.
    #[error("the body is not valid JSON: {0}")]
    JsonSyntax(String),
    /// No body where one is needed.
    #[error("this request needs a JSON body")]
    BodyRequired,
    /// Another content type.
    #[error("the body must be sent as application/json, not {0:?}")]
    MediaType(String),
    /// JSON of the wrong shape.
    #[error("{path}: {reason}")]
    BodyShape {
        /// Where (`$`, `$.source.path`).
        path: String,
        /// What serde said.
        reason: String,
    },
    /// A NUL character in a text of the body.
    #[error("{0}: text may not contain the NUL character")]
    BodyNul(String),
    /// A query string that does not decode.
    #[error("the query string does not decode: {0}")]
    QueryEncoding(String),
    /// A parameter without a value.
    #[error("`{0}` has no value")]
    QueryBlank(String),
    /// A NUL character in a parameter.
    #[error("`{0}` contains the NUL character")]
    QueryNul(String),
    /// A request target over the limit.
    #[error("the request target is longer than {0} bytes")]
    UriTooLong(usize),
    /// A form body in another content type.
    #[error("the body must be sent as application/x-www-form-urlencoded, not {0:?}")]
    FormMediaType(String),
    /// A form body that does not decode.
    #[error("the form does not decode: {0}")]
    FormEncoding(String),
    /// A form field given twice.
    #[error("`{0}` is given more than once")]
    FormRepeated(String),
}

impl Problem for InputRefusal {
    fn kind(&self) -> Kind {
        match self {
            Self::JsonSyntax(_)
            | Self::BodyRequired
            | Self::QueryEncoding(_)
            | Self::QueryBlank(_)
            | Self::QueryNul(_)
            | Self::FormEncoding(_) => Kind::BadRequest,
            Self::MediaType(_) | Self::FormMediaType(_) => Kind::UnsupportedMediaType,
            Self::BodyShape { .. } | Self::BodyNul(_) | Self::FormRepeated(_) => Kind::Invalid,
            Self::UriTooLong(_) => Kind::UriTooLong,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::JsonSyntax(_) | Self::BodyRequired => "invalid_json",
            Self::MediaType(_) | Self::FormMediaType(_) => "unsupported_media_type",
            Self::BodyShape { .. } | Self::BodyNul(_) | Self::FormRepeated(_) => "invalid_input",
            Self::FormEncoding(_) => "invalid_form",
            Self::QueryEncoding(_) | Self::QueryBlank(_) | Self::QueryNul(_) => "invalid_query",
            Self::UriTooLong(_) => "uri_too_long",
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::JsonSyntax(reason) => messages::json_syntax(reason),
            Self::BodyRequired => messages::body_required(),
            Self::MediaType(got) => messages::media_type(shown(got)),
            Self::BodyShape { path, reason } => messages::body_shape(path, reason),
            Self::BodyNul(path) => messages::body_nul(path),
            Self::QueryEncoding(reason) => messages::query_encoding(reason),
            Self::QueryBlank(parameter) => messages::query_blank(shown(parameter)),
            Self::QueryNul(parameter) => messages::query_nul(shown(parameter)),
            Self::UriTooLong(limit) => messages::uri_too_long(*limit),
            Self::FormMediaType(got) => messages::form_media_type(shown(got)),
            Self::FormEncoding(reason) => messages::form_encoding(reason),
            Self::FormRepeated(field) => messages::form_repeated(shown(field)),
        }
    }

    fn details(&self) -> Value {
        match self {
            Self::BodyShape { path, .. } | Self::BodyNul(path) => json!({ "path": path }),
            Self::QueryBlank(p) | Self::QueryNul(p) => json!({ "parameter": shown(p) }),
            Self::FormRepeated(field) => json!({ "path": format!("$.{}", shown(field)) }),
            _ => json!({}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_or_control_input_is_clipped_and_escaped_before_it_is_repeated() {
        assert_eq!(shown("job-1"), "job-1");
        assert_eq!(shown("a\0b\nc"), "a\\0b\\nc");
        let long = "x".repeat(20_000);
        let clipped = shown(&long);
        assert_eq!(clipped.chars().count(), SHOWN_CHARS + 1);
        assert!(clipped.ends_with('…'));
    }
}
