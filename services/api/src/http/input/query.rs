//! Query strings, read the one way every route reads one: the pairs in order (a key may repeat where a route
//! says so), refused with 400 `invalid_query` when the string does not decode or a key or value holds the NUL
//! character. The JSON API also refuses a parameter without a value (`?limit=`: give it a value or leave it
//! out); pages take a blank form field as absent. What each route accepts is its own (`TryFrom` the pairs),
//! and its refusals are 400 `invalid_query` too, naming the parameter.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::InputRefusal;
use crate::http::error::ApiError;

/// The decoded pairs of a query string.
pub type Pairs = Vec<(String, String)>;

/// The query string of a JSON API request, by the API's rules (blank values refused).
#[derive(Debug, Clone, Default)]
pub struct ApiQuery(pub Pairs);

impl<S: Send + Sync> FromRequestParts<S> for ApiQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let pairs = decode(parts.uri.query())?;
        if let Some((key, _)) = pairs.iter().find(|(_, v)| v.is_empty()) {
            return Err(InputRefusal::QueryBlank(key.clone()).into());
        }
        Ok(Self(pairs))
    }
}

/// The pairs of `query`; a NUL in a key or value is refused (no store keeps it, and it is never meant).
pub fn decode(query: Option<&str>) -> Result<Pairs, InputRefusal> {
    let pairs: Pairs = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|e| InputRefusal::QueryEncoding(e.to_string()))?;
    if let Some((key, _)) = pairs.iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(InputRefusal::QueryNul(key.clone()));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_are_refused_naming_the_parameter() {
        assert_eq!(decode(Some("q=a%20b&q=c")).unwrap(), [("q".into(), "a b".into()), ("q".into(), "c".into())]);
        let refused = decode(Some("actor=%00")).unwrap_err();
        assert!(matches!(&refused, InputRefusal::QueryNul(p) if p == "actor"), "{refused:?}");
        assert!(decode(Some("a%00=1")).is_err());
        assert_eq!(decode(None).unwrap(), Pairs::new());
    }
}
