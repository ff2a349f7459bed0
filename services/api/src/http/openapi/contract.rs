//! The answers every operation can give whatever its handler does, added to the document from the route table
//! and the operation's own inputs, so the document says exactly what the server does without each handler
//! repeating it: 401 and 403 from the route's need (and the address allow-list), 400 for a query string or a
//! body that does not parse, 404 for a path segment that names nothing, 413, 415 and 422 for bodies, 408, 414
//! and 503 for everyone. A handler documents only what is its own (its 2xx, its 404 and 409, its 422 details).
//! Each operation also says who may call it in `x-lawha-need`: `public`, `token` (a token or a session of the
//! level its 403 names) or `session` (a person signed in; tokens never), so tools can pick the credential.

use serde_json::{Map, Value, json};

use crate::http::{auth::Need, routes::RouteSpec};

/// Adds the common answers to every operation of `doc` (an OpenAPI 3.1 document as JSON).
pub fn add_common_answers(doc: &mut Value, table: &[RouteSpec]) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            let need = table.iter().find(|s| s.path == path && s.method.as_str().eq_ignore_ascii_case(method));
            let Some(need) = need.map(|s| s.need) else { continue };
            add(operation, need);
        }
    }
}

fn add(operation: &mut Value, need: Need) {
    let who = match need {
        Need::Public => "public",
        Need::AtLeast(_) => "token",
        Need::Session(_) => "session",
    };
    if let Some(o) = operation.as_object_mut() {
        o.insert("x-lawha-need".to_owned(), Value::from(who));
    }
    let takes = |place: &str| operation["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["in"] == place));
    let (query, path, body) = (takes("query"), takes("path"), operation.get("requestBody").is_some());
    let mut answers: Vec<(&str, String)> = Vec::new();
    let mut bad = Vec::new();
    if query {
        bad.push("a query parameter is unknown, blank, malformed or holds a NUL character (`invalid_query`)");
    }
    if body {
        bad.push("the body is missing or not JSON text (`invalid_json`)");
    }
    if !bad.is_empty() {
        answers.push(("400", capitalised(&bad.join("; "))));
    }
    if need != Need::Public {
        answers.push((
            "401",
            "No valid credential: no token or session, or a malformed, unknown or revoked token (`unauthorized`)"
                .into(),
        ));
    }
    answers.push((
        "403",
        match need {
            Need::Public => "The client address is not in `ui.allow_ips` (`ip_not_allowed`)".into(),
            Need::AtLeast(level) => format!(
                "Below the {level} level (`forbidden`), an address outside `ui.allow_ips` (`ip_not_allowed`), or a \
             signed-in browser's request without its CSRF token (`csrf_failed`)"
            ),
            Need::Session(level) => format!(
                "An API token, where only a person signed in may act (`session_required`), below the {level} level \
             (`forbidden`), an address outside `ui.allow_ips` (`ip_not_allowed`), or no CSRF token (`csrf_failed`)"
            ),
        },
    ));
    if path {
        answers.push(("404", "Nothing has this id or name (`not_found`)".into()));
    }
    answers.push(("408", "The request took longer than `http.request_timeout_secs` (`request_timeout`)".into()));
    if body {
        answers.push(("413", "The body is larger than `http.body_limit_bytes` (`payload_too_large`)".into()));
    }
    answers.push(("414", "The request target is longer than 8 KiB (`uri_too_long`)".into()));
    if body {
        answers.push(("415", "A body sent as anything but `application/json` (`unsupported_media_type`)".into()));
        answers.push((
            "422",
            "The body is JSON of the wrong shape: a missing, unknown or mistyped field, or a text holding a NUL \
             character (`invalid_input`); `details.path` names the field"
                .into(),
        ));
    }
    answers.push(("503", "The database cannot be reached or the panel is stopping; retry after `Retry-After`".into()));
    let responses = operation
        .as_object_mut()
        .map(|o| o.entry("responses").or_insert_with(|| Value::Object(Map::new())))
        .and_then(Value::as_object_mut);
    let Some(responses) = responses else { return };
    for (status, description) in answers {
        responses.entry(status).or_insert_with(|| error_answer(&description));
    }
}

fn error_answer(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } },
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lawha_domain::users::Role;

    #[test]
    fn answers_follow_the_routes_need_and_inputs_and_keep_the_handlers_own() {
        let mut op = json!({
            "parameters": [{"in": "path", "name": "id"}],
            "requestBody": {},
            "responses": {"404": {"description": "No such plan"}},
        });
        add(&mut op, Need::Session(Role::Admin));
        let r = op["responses"].as_object().unwrap();
        let codes: Vec<&str> = r.keys().map(String::as_str).collect();
        assert_eq!(codes, ["400", "401", "403", "404", "408", "413", "414", "415", "422", "503"]);
        assert_eq!(r["404"]["description"], "No such plan", "the handler's own words stay");
        assert!(r["403"]["description"].as_str().unwrap().contains("session_required"));
        assert_eq!(op["x-lawha-need"], "session");
        let mut public = json!({"responses": {}});
        add(&mut public, Need::Public);
        let codes: Vec<&str> = public["responses"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(codes, ["403", "408", "414", "503"]);
    }
}
