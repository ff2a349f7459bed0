//! The streamed exports: CSV quoted per RFC 4180 with spreadsheet formulas defused, and JSON Lines with the list's
//! keys, each holding every filtered row, oldest first.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use super::fixture::{FORMULA_ACTOR, Fixture, ITEM_KEYS, MULTILINE_NOTE};
use crate::common::postgres;

/// A small RFC 4180 reader: records of fields, quoted fields may hold commas, quotes (doubled) and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (vec![], vec![], String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted && field.is_empty() && record.is_empty(), "the export ends with a complete record");
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_export_streams_every_filtered_row_quoted_and_with_formulas_defused() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 1500).await;
    let response = f.get("/api/v1/audit/export", &[("format", "csv"), ("stream", "site-blog")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"lawha-audit-") && disposition.ends_with("Z.csv\""),
        "{disposition}"
    );
    let records = parse_csv(&response.text().await.unwrap());
    assert_eq!(records[0], ["position", "recorded_at", "actor", "ip", "event_type", "stream", "summary", "request_id"]);
    let positions: Vec<i64> = records[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    let mut expected = f.expected(|e| e.stream == "site-blog");
    expected.reverse();
    assert_eq!(positions, expected, "every filtered row once, oldest first");
    assert!(records.iter().all(|r| r.len() == 8));
    let formula = records.last().unwrap();
    assert_eq!(formula[2], format!("'{FORMULA_ACTOR}"), "a formula-like field starts with '");
    assert!(formula[6].ends_with(&format!("(note={MULTILINE_NOTE})")), "{formula:?}");

    let everything = f.get("/api/v1/audit/export", &[("format", "csv")]).await.text().await.unwrap();
    assert_eq!(parse_csv(&everything).len() - 1, f.events.len(), "more rows than one page of 1000");
    f.app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_lines_export_has_one_object_per_filtered_row() {
    let db = postgres().await;
    let f = Fixture::seed(&db.url, 1500).await;
    let between = f.between.to_rfc3339();
    let params = [("format", "jsonl"), ("event_type", "BackupFailed"), ("since", between.as_str())];
    let response = f.get("/api/v1/audit/export", &params).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    assert!(response.headers()["content-disposition"].to_str().unwrap().ends_with(".jsonl\""));
    let text = response.text().await.unwrap();
    assert!(text.ends_with('\n'));
    let rows: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let mut expected = f.expected(|e| e.event_type == "BackupFailed" && e.phase == 2);
    expected.reverse();
    assert_eq!(rows.iter().map(|r| r["position"].as_i64().unwrap()).collect::<Vec<_>>(), expected);
    let keys: BTreeSet<&str> = rows[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(ITEM_KEYS), "the same keys as the list items");
    f.app.stop().await.unwrap();
}
