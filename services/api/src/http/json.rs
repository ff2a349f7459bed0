//! Request bodies already read as bytes, parsed by the rules of [`super::input::body`] (JSON syntax 400, NUL
//! characters and wrong shapes 422 naming the field). Routes that take a body use the extractors
//! [`super::input::JsonBody`] and [`super::input::OptionalJsonBody`], which check the content type too.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::{error::ApiError, input::body::parse};

/// The body as JSON of `T`.
pub fn json_body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    parse(bytes).map_err(ApiError::from)
}

/// The body as JSON of `T`, or `T::default()` for an empty (or blank) body.
pub fn optional_json_body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) { Ok(T::default()) } else { json_body(bytes) }
}
