//! Request bodies as JSON, with one behaviour for every route that takes one: a syntax error or a field of the
//! wrong shape is a 422 `invalid_input` whose message names it.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::error::{ApiError, HttpRefusal};

/// The body as JSON of `T`.
pub fn json_body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| HttpRefusal::InvalidBody(e.to_string()).into())
}

/// The body as JSON of `T`, or `T::default()` for an empty (or blank) body.
pub fn optional_json_body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { json_body(bytes) }
}
