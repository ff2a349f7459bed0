//! The audit log page in a browser: the filter form, the CSV export link, the language switch to Arabic (right
//! to left) and back, and new rows arriving live over Server-Sent Events without a reload.

use std::{collections::BTreeSet, time::Duration};

use lawha::ui::{Lang, t};
use lawha_domain::users::Role;

use crate::{
    browser::harness::{Browser, WAIT},
    browser::panel::{PASSWORD, Panel},
    browser::sign_in::switch_language,
};

/// The positions shown in the audit table, newest first.
const ROWS: &str = ".audit-table tbody tr[data-position]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_page_filters_by_type_exports_what_it_shows_and_reads_right_to_left_in_arabic() {
    let panel = Panel::start().await;
    panel.create_user("amira", Role::Viewer).await;
    let mut archived = BTreeSet::new();
    for i in 0..8 {
        let position = panel.append(if i % 3 == 0 { "NoteArchived" } else { "NoteRecorded" }, "user:seed").await;
        if i % 3 == 0 {
            archived.insert(position);
        }
    }
    let last = panel.append("NoteRecorded", "user:seed").await;
    panel.wait_for_audit_log(last).await;
    let browser = Browser::new(&panel.base_url()).await;
    browser.sign_in("amira", PASSWORD).await;

    browser.goto("/audit").await;
    browser.wait_for(ROWS, WAIT).await;
    let all_types = browser.texts(&format!("{ROWS} td:nth-child(4)")).await;
    assert!(all_types.iter().any(|t| t == "NoteRecorded") && all_types.iter().any(|t| t == "NoteArchived"));
    browser.screenshot("audit-01-unfiltered").await;

    browser.fill("#f-type", "NoteArchived").await;
    browser.click("form.filters button[type=submit]").await;
    browser.wait_until("the filtered page", WAIT, async |b| b.path().await.contains("event_type=NoteArchived")).await;
    browser.wait_for(ROWS, WAIT).await;
    let types = browser.texts(&format!("{ROWS} td:nth-child(4)")).await;
    assert!(types.iter().all(|t| t == "NoteArchived"), "every row shown has the filtered type: {types:?}");
    let shown = positions(&browser.attrs(ROWS, "data-position").await);
    assert_eq!(shown, archived, "the page shows exactly the seeded NoteArchived events");
    let typed = browser.wait_for("#f-type", WAIT).await.prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some("NoteArchived"), "the form keeps the filter");
    let cookie = browser.cookie("lawha_session").await;
    let api = panel.api(&cookie, "/api/v1/audit?event_type=NoteArchived&limit=500").await;
    let from_api: BTreeSet<i64> =
        api["items"].as_array().expect("items").iter().map(|i| i["position"].as_i64().unwrap()).collect();
    assert_eq!(shown, from_api, "the page and the API agree");
    browser.screenshot("audit-02-filtered").await;

    browser.click(".exports a[href*='format=csv']").await;
    let file = browser.wait_for_download("csv", WAIT).await;
    let records = parse_csv(&std::fs::read_to_string(&file).expect("reading the export"));
    assert_eq!(records[0][..5], ["position", "recorded_at", "actor", "ip", "event_type"], "the CSV header");
    let exported: BTreeSet<i64> = records[1..].iter().map(|r| r[0].parse().expect("a position")).collect();
    assert_eq!(records.len() - 1, shown.len(), "one CSV row per filtered event");
    assert_eq!(exported, shown, "the export holds the filtered set");
    assert!(records[1..].iter().all(|r| r[4] == "NoteArchived"));

    switch_language(&browser, "ar").await;
    assert!(browser.path().await.contains("event_type=NoteArchived"), "the switch returns to the same page");
    let html = browser.wait_for("html", WAIT).await;
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("ar"));
    assert_eq!(html.attr("dir").await.unwrap().as_deref(), Some("rtl"));
    assert_eq!(browser.text("h1").await, t(Lang::Ar, "audit-title"));
    let table = browser.wait_for(".audit-table", WAIT).await;
    assert_eq!(table.css_value("direction").await.unwrap(), "rtl");
    // Mirrored: the brand starts the header on the right, the sign-out form ends it on the left.
    let brand = browser.wait_for(".brand", WAIT).await.rectangle().await.unwrap();
    let sign_out = browser.wait_for("form.sign-out", WAIT).await.rectangle().await.unwrap();
    assert!(brand.0 > sign_out.0, "in Arabic the brand is right of the sign-out form: {brand:?} {sign_out:?}");
    assert_eq!(positions(&browser.attrs(ROWS, "data-position").await), shown);
    browser.screenshot("audit-03-filtered-arabic").await;
    switch_language(&browser, "en").await;
    assert_eq!(browser.text("h1").await, t(Lang::En, "audit-title"));

    browser.close().await;
    panel.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_event_appears_on_the_open_audit_page_without_a_reload() {
    let panel = Panel::start().await;
    panel.create_user("amira", Role::Viewer).await;
    let browser = Browser::new(&panel.base_url()).await;
    browser.sign_in("amira", PASSWORD).await;

    browser.goto("/audit").await;
    browser.wait_for("table[data-live=audit]", WAIT).await;
    // A reload would lose this property of the window.
    browser.execute("window.lawhaTestNoReload = true; return true;").await;
    // The page's stream starts at the log's head when its EventSource connects, which the test cannot see: an
    // event appended before that is not pushed. So append a probe a second until one arrives; then it is open.
    let mut probes: Vec<String> = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let probe = panel.append("ProbeRecorded", "user:probe").await;
        probes.push(format!("{ROWS}[data-position='{probe}']"));
        if browser.appears(&probes.join(", "), Duration::from_secs(1)).await {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no probe event arrived over the stream: {probes:?}");
    }

    let position = panel.append("NoteRecorded", "user:live").await;
    let row = format!("{ROWS}[data-position='{position}']");
    browser.wait_for(&row, Duration::from_secs(10)).await;
    assert_eq!(browser.text(&format!("{row} td:nth-child(4)")).await, "NoteRecorded");
    assert_eq!(browser.text(&format!("{row} td:nth-child(2)")).await, "user:live");
    let first = browser.attrs(ROWS, "data-position").await.into_iter().next().flatten();
    assert_eq!(first, Some(position.to_string()), "the new row is on top");
    assert_eq!(browser.attrs(&row, "class").await, [Some("is-new".to_owned())], "the script inserted it");
    assert_eq!(browser.execute("return window.lawhaTestNoReload === true;").await, true, "no reload happened");
    browser.screenshot("audit-04-live-row").await;

    browser.close().await;
    panel.stop().await;
}

fn positions(values: &[Option<String>]) -> BTreeSet<i64> {
    values.iter().map(|v| v.as_deref().expect("data-position").parse().expect("a number")).collect()
}

/// RFC 4180 records (quoted fields may hold commas, quotes and line breaks); no CSV crate is in the workspace.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted && field.is_empty() && record.is_empty(), "the CSV ends with a complete record");
    records
}
