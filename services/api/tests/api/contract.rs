//! One contract for every endpoint, read from the OpenAPI document itself so a new route is covered the day it
//! is added: every route that takes a JSON body refuses another content type (415), JSON that does not parse
//! (400 `invalid_json`), an unknown field (422 `invalid_input`, path `$`) and a NUL character (422, naming the
//! field) alike, and appends nothing; every route with query parameters refuses a blank, unknown or NUL
//! parameter with 400 `invalid_query`; an id that names nothing is a 404 that does not repeat a long id whole; a
//! request target over 8 KiB is 414 in the error shape; the bearer scheme is case-insensitive; the sign-in forms
//! follow the same rules for URL-encoded bodies.

use crate::common;

use common::{Browser, postgres, spawn_app, token};
use lawha::http::{auth::Need, routes};
use lawha_domain::users::{Role, Scope};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The stream endpoint never ends; its query contract is tested with the stream (tests/api/events.rs).
const NOT_HERE: [&str; 1] = ["/api/v1/events/stream"];

struct Caller<'a> {
    token: String,
    browser: Browser<'a>,
}

impl Caller<'_> {
    /// A request as the route's need wants it: a signed-in browser (cookie and CSRF header) for session
    /// routes, the admin token otherwise.
    fn request(&self, method: &Method, path: &str, need: Need) -> reqwest::RequestBuilder {
        let app = self.browser.app;
        let request = app.client.request(method.clone(), app.url(path));
        match need {
            Need::Session(_) => {
                request.header("cookie", &self.browser.cookie).header("x-csrf-token", &self.browser.csrf)
            }
            _ => request.bearer_auth(&self.token),
        }
    }
}

async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

/// (method, example path, need, operation) of every documented operation of the route table.
fn operations(doc: &Value) -> Vec<(Method, &'static str, Need, Value)> {
    routes::table()
        .into_iter()
        .filter(|(spec, _)| spec.path.starts_with("/api/v1") && !NOT_HERE.contains(&spec.path))
        .filter_map(|(spec, _)| {
            let operation = doc["paths"][spec.path][spec.method.as_str().to_lowercase()].clone();
            operation.is_object().then_some((spec.method, spec.example, spec.need, operation))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_route_refuses_other_types_bad_json_unknown_fields_and_nul_alike_and_appends_nothing() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let token = token(&app, "amira", Role::Admin, Scope::Admin).await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", "a long enough password").await;
    let caller = Caller { token, browser };
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let head = app.state.db.events.head().await.unwrap();

    let mut checked = 0;
    for (method, path, need, _) in operations(&doc).into_iter().filter(|(.., o)| o["requestBody"].is_object()) {
        let cases: [(&str, &str, StatusCode, &str); 4] = [
            ("text/plain", "{}", StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ("application/json", "{not json", StatusCode::BAD_REQUEST, "invalid_json"),
            ("application/json", r#"{"zz_unknown": 1}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            ("application/json", r#"{"zz": "a\u0000b"}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ];
        for (content_type, body, status, code) in cases {
            let request = caller.request(&method, path, need).header("content-type", content_type).body(body);
            let (got, answer) = answer(request).await;
            assert_eq!(
                (got, answer["error"]["code"].as_str()),
                (status, Some(code)),
                "{method} {path} {body}: {answer}"
            );
        }
        let request =
            caller.request(&method, path, need).header("content-type", "application/json").body(r#"{"zz": 1}"#);
        let (_, answer) = answer(request).await;
        assert!(
            answer["error"]["message"].as_str().unwrap().contains("zz"),
            "{method} {path} names the field: {answer}"
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} routes with a body were found in the document");
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "nothing refused was appended");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_route_refuses_blank_unknown_and_nul_parameters_with_400() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let token = token(&app, "amira", Role::Admin, Scope::Admin).await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();

    let mut checked = 0;
    for (method, path, _, operation) in operations(&doc) {
        let params = operation["parameters"].as_array().cloned().unwrap_or_default();
        let Some(first) = params.iter().find(|p| p["in"] == "query").and_then(|p| p["name"].as_str()) else {
            continue;
        };
        let base = path.split('?').next().unwrap();
        for query in [format!("{first}="), "zz_unknown=1".to_owned(), format!("{first}=%00")] {
            let url = app.url(&format!("{base}?{query}"));
            let (status, answer) = answer(app.client.request(method.clone(), url).bearer_auth(&token)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {base}?{query}: {answer}");
            assert_eq!(answer["error"]["code"], "invalid_query", "{method} {base}?{query}: {answer}");
        }
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} routes with query parameters were found in the document");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_ids_are_not_repeated_whole_long_targets_are_414_and_the_bearer_scheme_ignores_case() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let token = token(&app, "amira", Role::Admin, Scope::Admin).await;
    let long = "x".repeat(4000);
    for path in ["/api/v1/jobs/{}", "/api/v1/audit/{}", "/api/v1/backup-plans/{}", "/api/v1/backup-runs/{}"] {
        let path = path.replace("{}", &long);
        let (status, answer) = answer(app.client.get(app.url(&path)).bearer_auth(&token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.len() < 300, "the id is clipped: {message}");
    }

    let (status, answer) = answer(app.client.get(app.url(&format!("/api/v1/jobs/{}", "x".repeat(9000))))).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::URI_TOO_LONG, Some("uri_too_long")));

    for scheme in ["Bearer", "bearer", "BEARER"] {
        let request = app.client.get(app.url("/api/v1/jobs")).header("authorization", format!("{scheme} {token}"));
        assert_eq!(request.send().await.unwrap().status(), StatusCode::OK, "{scheme}");
    }
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_forms_refuse_other_types_missing_repeated_and_nul_fields_alike_and_append_nothing() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let browser = Browser::open(&app).await;
    let head = app.state.db.events.head().await.unwrap();
    for path in ["/login", "/login/second-factor"] {
        let field = if path == "/login" { "username" } else { "code" };
        let cases = [
            (
                "application/json",
                r#"{"username":"a"}"#.to_owned(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                None,
            ),
            (
                "application/x-www-form-urlencoded",
                "zz=1".to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                Some(field),
            ),
            (
                "application/x-www-form-urlencoded",
                format!("{field}=a%00"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                Some(field),
            ),
            (
                "application/x-www-form-urlencoded",
                format!("{field}=a&{field}=b&password=x"),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
                Some(field),
            ),
        ];
        for (content_type, body, status, code, named) in cases {
            let request = app
                .client
                .post(app.url(path))
                .header("cookie", &browser.cookie)
                .header("x-csrf-token", &browser.csrf)
                .header("content-type", content_type)
                .body(body.clone());
            let (got, answer) = answer(request).await;
            assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{path} {body}: {answer}");
            if let Some(named) = named {
                assert!(answer["error"]["message"].as_str().unwrap().contains(named), "{path} {body}: {answer}");
            }
        }
    }
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "nothing refused was appended");
    app.stop().await.unwrap();
}
