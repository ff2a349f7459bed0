//! The dashboard at `/` and `GET /api/v1/system`, through the real app: sign-in leads there, the page shows the
//! host's cards with sparklines and the newest audit events, in English and Arabic, and the JSON has the same
//! figures.

use crate::common;

use std::time::Duration;

use common::{TestApp, eventually, postgres, spawn_app};
use lawha::users;
use lawha_domain::{
    Metadata,
    users::{Role, Scope},
};
use reqwest::{StatusCode, header};
use serde_json::Value;

const PASSWORD: &str = "a long enough password";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn cookie_of(response: &reqwest::Response) -> String {
    let value = response.headers().get(header::SET_COOKIE).expect("a session cookie").to_str().unwrap();
    value.split(';').next().unwrap().to_owned()
}

/// Creates a viewer, waits for the users projection, signs in through the form and returns the session cookie.
async fn signed_in_viewer(app: &TestApp) -> String {
    users::create_user(&app.state.db, "amira", Role::Viewer, PASSWORD, &Metadata::default()).await.unwrap();
    eventually(Duration::from_secs(15), "the users projection", || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(&app.state.db.read_models).await.unwrap()
            == 1
    })
    .await;
    let session = app.get("/api/v1/session").await;
    let cookie = cookie_of(&session);
    let csrf = session.json::<Value>().await.unwrap()["csrf"].as_str().unwrap().to_owned();
    let signed_in = no_redirects()
        .post(app.url("/login"))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &cookie)
        .form(&[("username", "amira"), ("password", PASSWORD), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[header::LOCATION], "/", "sign-in leads to the dashboard");
    cookie_of(&signed_in)
}

async fn dashboard(app: &TestApp, cookie: &str, language: &str) -> reqwest::Response {
    app.client
        .get(app.url("/"))
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, language)
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_browsers_are_sent_to_sign_in() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let anonymous = no_redirects().get(app.url("/")).header(header::ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()[header::LOCATION], "/login");
    let script = app.get("/").await;
    assert_eq!(script.status(), StatusCode::UNAUTHORIZED, "a client that does not want HTML gets the JSON error");
    assert_eq!(app.get("/api/v1/system").await.status(), StatusCode::UNAUTHORIZED);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_viewer_sees_the_host_and_the_recent_activity() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let cookie = signed_in_viewer(&app).await;
    // The sign-in is an audit event; the audit_log projection lists it once it has caught up.
    eventually(Duration::from_secs(15), "the sign-in in the recent activity", || async {
        dashboard(&app, &cookie, "en").await.text().await.unwrap().contains("<td class=\"action\">SignedIn</td>")
    })
    .await;

    let response = dashboard(&app, &cookie, "en").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("style-src 'self'"));
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<html lang="en" dir="ltr">"#), "{page}");
    for metric in ["cpu", "memory", "disk", "load", "uptime"] {
        assert!(page.contains(&format!(r#"<li class="card" data-metric="{metric}">"#)), "no {metric} card: {page}");
    }
    for title in ["CPU", "Memory", "Disk", "Load average", "Uptime", "Recent activity"] {
        assert!(page.contains(&format!(">{title}</h")), "no {title} heading: {page}");
    }
    assert_eq!(page.matches("<svg class=\"sparkline\"").count(), 4, "CPU, memory, disk and load: {page}");
    assert!(page.contains(r#"role="img" aria-label="CPU over the last hour: min "#), "{page}");
    assert!(page.contains("<polyline points=\"0,"), "one sample so far: a level line from the left edge: {page}");
    assert!(page.contains(" GiB") || page.contains(" MiB"), "bytes are written in binary units: {page}");
    assert!(page.contains(r#"<a href="/" aria-current="page">Dashboard</a>"#), "{page}");
    assert!(page.contains(r#"<a href="/audit">Audit log</a>"#), "{page}");
    assert!(page.contains(r#"<a href="/audit">Open the audit log</a>"#), "{page}");
    assert!(page.contains(r#"data-live="system""#), "{page}");
    assert!(!page.contains(" style=") && !page.contains("<style"), "no inline style under the CSP: {page}");

    // Signed in, the sign-in page sends the browser to the dashboard.
    let login = no_redirects()
        .get(app.url("/login"))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(login.headers()[header::LOCATION], "/");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_arabic_dashboard_is_right_to_left_with_arabic_digits() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let cookie = signed_in_viewer(&app).await;
    let response = dashboard(&app, &cookie, "ar").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<html lang="ar" dir="rtl">"#), "{page}");
    assert!(page.contains("<h1>لوحة المعلومات</h1>"), "{page}");
    let cpu_start = page.find(r#"data-metric="cpu""#).expect("a CPU card");
    let cpu = &page[cpu_start..cpu_start + page[cpu_start..].find("</li>").unwrap()];
    let value = cpu.split("<p class=\"card__value\">").nth(1).unwrap().split("</p>").next().unwrap();
    assert!(value.ends_with('٪'), "{value}");
    assert!(value.chars().any(|c| ('٠'..='٩').contains(&c)), "Arabic-Indic digits: {value}");
    assert!(!value.chars().any(|c| c.is_ascii_digit()), "no Western digits: {value}");
    assert!(cpu.contains("المعالج خلال الساعة الأخيرة"), "{cpu}");
    assert!(page.contains("غيغابايت") || page.contains("ميغابايت"), "translated byte units: {page}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_api_reports_the_current_sample_and_the_last_hour() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let meta = Metadata::default();
    users::create_user(&app.state.db, "ops", Role::Viewer, PASSWORD, &meta).await.unwrap();
    let token = users::create_token(&app.state.db, "ops", "monitor", vec![Scope::Read], &meta).await.unwrap().token;
    eventually(Duration::from_secs(15), "the users projection to know the token", || async {
        app.client.get(app.url("/health/live")).bearer_auth(&token).send().await.unwrap().status() == StatusCode::OK
    })
    .await;

    let response = app.client.get(app.url("/api/v1/system")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sample_interval_secs"], 10);
    let history = body["history"].as_array().expect("a history array");
    assert!(!history.is_empty(), "a sample is taken at start: {body}");
    assert_eq!(history.last(), Some(&body["current"]), "current is the newest sample");
    for sample in history {
        let number = |key: &str| sample[key].as_f64().unwrap_or_else(|| panic!("{key} is a number: {sample}"));
        assert!((0.0..=100.0).contains(&number("cpu_percent")), "{sample}");
        assert!(number("memory_total_bytes") > 0.0, "{sample}");
        assert!(number("memory_used_bytes") <= number("memory_total_bytes"), "{sample}");
        assert!(number("swap_used_bytes") <= number("swap_total_bytes"), "{sample}");
        assert!(
            number("disk_total_bytes") > 0.0 && number("disk_used_bytes") <= number("disk_total_bytes"),
            "{sample}"
        );
        assert!(number("cpu_count") >= 1.0 && number("uptime_secs") > 0.0, "{sample}");
        for load in ["load_one", "load_five", "load_fifteen"] {
            assert!(number(load) >= 0.0, "{sample}");
        }
        let at = sample["at"].as_str().expect("at is a string");
        assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    }
    assert!(body["disk_mount"].as_str().is_some_and(|m| m.starts_with('/')), "{body}");
    app.stop().await.unwrap();
}
