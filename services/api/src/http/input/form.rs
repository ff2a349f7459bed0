//! URL-encoded form bodies of the routes a browser's form and a script both post to (`/login`,
//! `/login/second-factor`), read by the same rules as JSON bodies: another content type is 415, a body that does
//! not decode is 400 `invalid_form`, a NUL character, a field given twice, a missing field is 422
//! `invalid_input` naming the field (`$.username`). Fields the type does not name (the `csrf` field the CSRF
//! layer reads) are ignored, as the schema's open object says.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{InputRefusal, body};
use crate::http::error::ApiError;

/// A required `application/x-www-form-urlencoded` body of `T` (whose fields are texts).
#[derive(Debug)]
pub struct FormBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for FormBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request.headers().get(axum::http::header::CONTENT_TYPE).map(|v| {
            let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let form = text.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case(FORM);
            (form, text)
        });
        match content_type {
            Some((true, _)) => {}
            Some((false, got)) => return Err(InputRefusal::FormMediaType(got).into()),
            None => return Err(InputRefusal::FormMediaType("no Content-Type".to_owned()).into()),
        }
        let bytes = body::bytes(request, state).await?;
        Ok(Self(parse(&bytes)?))
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// The form in `bytes` as `T`, by the rules of this module.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, InputRefusal> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|e| InputRefusal::FormEncoding(e.to_string()))?;
    let mut fields = Map::new();
    for (key, value) in pairs {
        if key.contains('\0') || value.contains('\0') {
            return Err(InputRefusal::BodyNul(format!("$.{}", super::shown(&key))));
        }
        if fields.contains_key(&key) {
            return Err(InputRefusal::FormRepeated(key));
        }
        fields.insert(key, Value::String(value));
    }
    body::typed(Value::Object(fields))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Login {
        username: String,
    }

    #[test]
    fn a_form_is_read_by_the_json_bodies_rules() {
        let login: Login = parse(b"username=a%20b&csrf=x").unwrap();
        assert_eq!(login.username, "a b");
        let missing = parse::<Login>(b"password=x").unwrap_err();
        assert!(matches!(&missing, InputRefusal::BodyShape { path, .. } if path == "$"), "{missing:?}");
        assert!(missing.to_string().contains("missing field `username`"), "{missing}");
        let nul = parse::<Login>(b"username=a%00").unwrap_err();
        assert!(matches!(&nul, InputRefusal::BodyNul(path) if path == "$.username"), "{nul:?}");
        let twice = parse::<Login>(b"username=a&username=b").unwrap_err();
        assert!(matches!(&twice, InputRefusal::FormRepeated(field) if field == "username"), "{twice:?}");
    }
}
