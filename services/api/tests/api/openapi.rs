//! The OpenAPI document covers every `/api/v1` route of the route table, with its security requirement and the
//! error shape, and names no route that does not exist.

use crate::common;

use common::{postgres, spawn_app};
use lawha::http::{auth::Need, routes};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_covers_every_api_route() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());

    let table = routes::table();
    for (spec, _) in table.iter().filter(|(s, _)| s.path.starts_with("/api/v1")) {
        let method = spec.method.as_str().to_lowercase();
        let operation = &doc["paths"][spec.path][&method];
        assert!(operation.is_object(), "{} {} is missing from /api/openapi.json", spec.method, spec.path);
        let secured = operation["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
        assert_eq!(secured, matches!(spec.need, Need::AtLeast(_)), "security of {} {}", spec.method, spec.path);
        let responses = operation["responses"].as_object().unwrap();
        let is_error = |code: &str| code.starts_with('4') || code.starts_with('5');
        let error_shape = responses
            .iter()
            .filter(|(code, _)| is_error(code))
            .all(|(_, r)| r["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorBody");
        let documented = responses.keys().any(|c| is_error(c));
        assert!(error_shape && documented, "error responses of {} {}", spec.method, spec.path);
    }
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            assert!(
                table.iter().any(|(s, _)| s.path == path && s.method.as_str().eq_ignore_ascii_case(method)),
                "the document names {method} {path}, which no route serves"
            );
        }
    }
    app.stop().await.unwrap();
}
