//! Strict query validation: every bad parameter, on the list and on the export, is a 400 `invalid_query` that
//! names the parameter in our own words.

use reqwest::StatusCode;
use serde_json::Value;

use super::fixture::Fixture;
use crate::common::postgres;

/// A refused request: path, query parameters and the parameter its error message must name.
type BadQuery<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

fn assert_invalid_query(body: &Value, parameter: &str) {
    assert_eq!(body["error"]["code"], "invalid_query", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(parameter), "the message names {parameter}: {body}");
    assert!(!body["error"]["message"].as_str().unwrap().contains("deserialize"), "our message, not axum's: {body}");
    assert!(body["error"]["details"].is_object(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameters_are_400_invalid_query_naming_the_parameter() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 0).await;
    let cases: [BadQuery; 16] = [
        ("/api/v1/audit", &[("sort", "asc")], "sort"),
        ("/api/v1/audit", &[("since", "yesterday")], "`since`"),
        ("/api/v1/audit", &[("until", "2025-13-01T00:00:00Z")], "`until`"),
        ("/api/v1/audit", &[("since", "2025-02-01T00:00:00Z"), ("until", "2025-01-01T00:00:00+01:00")], "`since`"),
        ("/api/v1/audit", &[("limit", "0")], "`limit`"),
        ("/api/v1/audit", &[("limit", "501")], "`limit`"),
        ("/api/v1/audit", &[("limit", "ten")], "`limit`"),
        ("/api/v1/audit", &[("before", "-3")], "`before`"),
        ("/api/v1/audit", &[("stream", "Bad Stream")], "`stream`"),
        ("/api/v1/audit", &[("stream", "site-has space")], "`stream`"),
        ("/api/v1/audit", &[("event_type", "Backup-Completed")], "`event_type`"),
        ("/api/v1/audit", &[("actor", "a"), ("actor", "b")], "`actor`"),
        ("/api/v1/audit/export", &[("format", "xml")], "`format`"),
        ("/api/v1/audit/export", &[], "`format`"),
        ("/api/v1/audit/export", &[("format", "csv"), ("limit", "10")], "limit"),
        ("/api/v1/audit/export", &[("format", "csv"), ("since", "2025-01-01")], "`since`"),
    ];
    for (path, params, parameter) in cases {
        let response = f.get(path, params).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path} {params:?}");
        assert_invalid_query(&response.json().await.unwrap(), parameter);
    }
    f.app.stop().await.unwrap();
}
