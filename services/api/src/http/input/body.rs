//! JSON request bodies, read the one way every route reads one:
//!
//! 1. a body that is not empty must say `Content-Type: application/json` (or `application/<x>+json`), else 415;
//! 2. a body that is not JSON text is 400 `invalid_json` (the parser's line and column);
//! 3. a text holding the NUL character anywhere is 422 `invalid_input` (no store can keep it); a number with a
//!    zero fraction (`5.0`) is the integer it equals, as JSON Schema counts it;
//! 4. JSON of the wrong shape (not an object, a missing or unknown field, a wrong type) is 422 `invalid_input`,
//!    naming the field's path (`$.source.path`). Body types deny unknown fields, so a misspelt field is never
//!    ignored.
//!
//! A body over `http.body_limit_bytes` is 413 before any of this. [`JsonBody`] needs a body;
//! [`OptionalJsonBody`] takes an empty one, or JSON `null`, as `T::default()`.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{HeaderMap, header},
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::InputRefusal;
use crate::http::error::ApiError;

/// A required JSON body of `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// An optional JSON body of `T`: an empty (or blank) body, or `null`, is `T::default()`.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (json, bytes) = read(request, state).await?;
        if blank(&bytes) {
            return Err(InputRefusal::BodyRequired.into());
        }
        if let Err(got) = json {
            return Err(media_type_refusal(got).into());
        }
        Ok(Self(parse(&bytes)?))
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (json, bytes) = read(request, state).await?;
        if blank(&bytes) {
            return Ok(Self(T::default()));
        }
        if let Err(got) = json {
            return Err(media_type_refusal(got).into());
        }
        if bytes.trim_ascii() == b"null" {
            return Ok(Self(T::default()));
        }
        Ok(Self(parse(&bytes)?))
    }
}

/// Whether the content type is JSON (`Err` carries what it was instead, if anything), and the bytes.
async fn read<S: Send + Sync>(request: Request, state: &S) -> Result<(Result<(), Option<String>>, Bytes), ApiError> {
    let json = is_json(request.headers());
    Ok((json, bytes(request, state).await?))
}

/// The body's bytes; a body over the limit is refused with the body-limit layer's 413.
pub(super) async fn bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state).await.map_err(|e| {
        let status = e.status();
        if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            crate::http::error::HttpRefusal::FormTooLarge.into()
        } else {
            ApiError::from(InputRefusal::JsonSyntax(e.body_text()))
        }
    })
}

/// No body at all. Whitespace alone is not an absent body but JSON that does not parse (400 `invalid_json`),
/// as Schemathesis expects of a body that is sent.
fn blank(bytes: &[u8]) -> bool {
    bytes.is_empty()
}

fn media_type_refusal(got: Option<String>) -> InputRefusal {
    InputRefusal::MediaType(got.unwrap_or_else(|| "no Content-Type".to_owned()))
}

/// `Ok` for `application/json` and `application/<x>+json` (any parameters, any case).
fn is_json(headers: &HeaderMap) -> Result<(), Option<String>> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else { return Err(None) };
    let text = value.to_str().map_err(|_| Some("a Content-Type that is not text".to_owned()))?;
    let essence = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let json =
        essence == "application/json" || essence.strip_prefix("application/").is_some_and(|sub| sub.ends_with("+json"));
    if json { Ok(()) } else { Err(Some(text.to_owned())) }
}

/// `deserialize_with` for a field that holds an object of `T`: serde would also build a struct from an array
/// (`"limits": [5]`), which the schema does not allow; this takes only a JSON object.
pub fn object<'de, D: serde::Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<T, D::Error> {
    let map = <serde_json::Map<String, Value> as serde::Deserialize>::deserialize(deserializer)?;
    serde_json::from_value(Value::Object(map)).map_err(serde::de::Error::custom)
}

/// [`object`] for an optional field (`null` or absent is `None`; give the field `#[serde(default)]`).
pub fn optional_object<'de, D: serde::Deserializer<'de>, T: DeserializeOwned>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    let map = <Option<serde_json::Map<String, Value>> as serde::Deserialize>::deserialize(deserializer)?;
    map.map(|m| serde_json::from_value(Value::Object(m)).map_err(serde::de::Error::custom)).transpose()
}

/// The body as `T`, by the rules of this module (steps 2 to 4).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, InputRefusal> {
    let mut value: Value = serde_json::from_slice(bytes).map_err(|e| InputRefusal::JsonSyntax(e.to_string()))?;
    if !value.is_object() {
        let reason = format!("expected a JSON object, got {}", kind_of(&value));
        return Err(InputRefusal::BodyShape { path: "$".to_owned(), reason });
    }
    integers(&mut value);
    if let Some(path) = nul_in(&value, "$") {
        return Err(InputRefusal::BodyNul(path));
    }
    typed(value)
}

/// `value` as `T`, a refusal naming the field's path (`$.source.path`) when it has the wrong shape.
pub fn typed<T: DeserializeOwned>(value: Value) -> Result<T, InputRefusal> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = match path.as_str() {
            "." => "$".to_owned(),
            p if p.starts_with('[') => format!("${p}"),
            p => format!("$.{p}"),
        };
        InputRefusal::BodyShape { path, reason: e.into_inner().to_string() }
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Rewrites every number with a zero fraction that an integer can hold (`5.0`) as that integer.
fn integers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Within ±2^53 every integer is exact in an f64, so the conversion loses nothing.
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *value = Value::from(whole);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers),
        Value::Object(map) => map.values_mut().for_each(integers),
        _ => {}
    }
}

/// The path of the first text (or key) holding a NUL character.
fn nul_in(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(s) => s.contains('\0').then(|| path.to_owned()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_in(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = format!("{path}.{}", super::shown(k));
            if k.contains('\0') { Some(here) } else { nul_in(v, &here) }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: String,
        #[serde(default, deserialize_with = "optional_object")]
        inner: Option<Inner>,
    }

    #[derive(Debug, Default, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        count: u32,
    }

    fn refusal(bytes: &str) -> (String, &'static str, String) {
        let e = parse::<Body>(bytes.as_bytes()).unwrap_err();
        let code = crate::http::error::Problem::code(&e);
        let path = crate::http::error::Problem::details(&e)["path"].as_str().unwrap_or_default().to_owned();
        (e.to_string(), code, path)
    }

    #[test]
    fn syntax_shape_and_nul_are_told_apart_and_name_the_field() {
        assert_eq!(parse::<Body>(br#"{"name": "a"}"#).unwrap(), Body { name: "a".into(), inner: None });
        assert_eq!(refusal("{").1, "invalid_json");
        assert_eq!(refusal("").1, "invalid_json");
        let (text, code, path) = refusal(r#"{"name": "a", "colour": 1}"#);
        assert_eq!((code, path.as_str()), ("invalid_input", "$.colour"), "{text}");
        assert!(text.contains("unknown field `colour`"), "{text}");
        let (text, _, path) = refusal(r#"{"name": "a", "inner": {"count": "x"}}"#);
        assert_eq!(path, "$.inner", "{text}");
        assert!(text.contains("expected u32"), "{text}");
        let (text, _, path) = refusal(r#"{"name": "a", "inner": [5]}"#);
        assert_eq!(path, "$.inner", "an array is not an object: {text}");
        let (_, code, path) = refusal(r#"{"name": "a\u0000b"}"#);
        assert_eq!((code, path.as_str()), ("invalid_input", "$.name"));
        assert_eq!(refusal(r#"null"#).1, "invalid_input");
        let whole = parse::<Body>(br#"{"name": "a", "inner": {"count": 5.0}}"#).unwrap();
        assert_eq!(whole.inner, Some(Inner { count: 5 }), "5.0 is the integer 5");
        assert_eq!(refusal(r#"{"name": "a", "inner": {"count": 5.5}}"#).1, "invalid_input");
    }

    #[test]
    fn only_json_content_types_are_json() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            is_json(&h)
        };
        assert_eq!(with("application/json"), Ok(()));
        assert_eq!(with("Application/JSON; charset=utf-8"), Ok(()));
        assert_eq!(with("application/merge-patch+json"), Ok(()));
        assert_eq!(with("text/plain"), Err(Some("text/plain".into())));
        assert_eq!(is_json(&HeaderMap::new()), Err(None));
    }
}
