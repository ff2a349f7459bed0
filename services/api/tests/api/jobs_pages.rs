//! The jobs pages as a browser without JavaScript uses them, against real PostgreSQL: the list with its filters
//! and paging in English and Arabic, one job with its attempts and log, and the Retry form for operators.

use crate::common;

use common::{
    Browser, create_user,
    jobs::{kill, log_line, probe, wait_for_state},
    postgres, spawn_app,
};
use lawha::ui::{Lang, t};
use lawha_domain::users::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "a long enough password";

async fn html(browser: &Browser<'_>, path: &str) -> (StatusCode, String) {
    let response = browser.page(path).await;
    (response.status(), response.text().await.unwrap())
}

/// What the Content-Security-Policy would block: inline scripts, styles and handlers.
fn assert_no_inline_code(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains(" style=") && !lower.contains("<style") && !lower.contains(" onclick="), "{html}");
    assert!(lower.matches("<script").count() == lower.matches("<script src=").count(), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_page_lists_filters_and_pages_jobs_in_english_and_arabic() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    create_user(&app, "vera", Role::Viewer, PASSWORD).await;
    let dead = probe(&app, 1).await;
    kill(&app, &dead).await;
    let queued = probe(&app, 1).await;
    wait_for_state(&app, dead.id, "dead").await;
    wait_for_state(&app, queued.id, "queued").await;
    let mut browser = Browser::open(&app).await;
    browser.sign_in("vera", PASSWORD).await;

    let (status, page) = html(&browser, "/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&page);
    assert!(page.contains(r#"<a href="/jobs" aria-current="page">Jobs</a>"#), "Jobs is in the navigation: {page}");
    assert!(page.contains(&format!(r#"<tr data-job="{}" data-state="dead">"#, dead.id)), "{page}");
    assert!(page.contains(&format!(r#"<tr data-job="{}" data-state="queued">"#, queued.id)), "{page}");
    assert!(page.contains(&format!(r#"href="/jobs/{}""#, dead.id)), "each row links to its job");
    assert!(page.contains(&t(Lang::En, "job-state-dead")) && page.contains("boom 1"), "{page}");
    assert!(page.find(&queued.id.to_string()) < page.find(&dead.id.to_string()), "newest request first");

    let (_, filtered) = html(&browser, "/jobs?state=dead&kind=").await;
    assert!(filtered.contains(&dead.id.to_string()) && !filtered.contains(&queued.id.to_string()), "{filtered}");
    assert!(filtered.contains(r#"<option value="dead" selected>"#), "the form keeps the filter: {filtered}");
    let (_, invalid) = html(&browser, "/jobs?state=exploded").await;
    assert!(invalid.contains("role=\"alert\"") && invalid.contains("unknown state"), "{invalid}");
    let (_, paged) = html(&browser, "/jobs?limit=1").await;
    assert!(paged.contains(&queued.id.to_string()) && !paged.contains(&dead.id.to_string()), "{paged}");
    let next = paged.split("class=\"pagination\"").nth(1).and_then(|p| p.split("href=\"").nth(1)).unwrap();
    let next = next.split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    assert!(next.starts_with("/jobs?limit=1&before="), "{next}");
    let (_, second) = html(&browser, &next).await;
    assert!(second.contains(&dead.id.to_string()) && !second.contains(&queued.id.to_string()), "{second}");

    let csrf = browser.csrf.clone();
    browser.post_form("/settings/language", &[("lang", "ar".into()), ("csrf", csrf)]).await;
    let (_, arabic) = html(&browser, "/jobs").await;
    assert!(arabic.contains(r#"<html lang="ar" dir="rtl">"#), "{arabic}");
    assert!(arabic.contains(&t(Lang::Ar, "jobs-title")) && arabic.contains(&t(Lang::Ar, "job-state-dead")));
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_page_shows_attempts_and_log_and_admins_retry_it_with_a_notice() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    // A probe is an admin's request: an admin retries it, an operator is refused (below).
    create_user(&app, "omar", Role::Admin, PASSWORD).await;
    create_user(&app, "olga", Role::Operator, PASSWORD).await;
    create_user(&app, "vera", Role::Viewer, PASSWORD).await;
    let job = probe(&app, 2).await;
    kill(&app, &job).await;
    let first = log_line(&app, job.id, 1, "connecting <db>").await;
    let last = log_line(&app, job.id, 2, "gave up").await;
    wait_for_state(&app, job.id, "dead").await;
    let mut operator = Browser::open(&app).await;
    operator.sign_in("omar", PASSWORD).await;
    let path = format!("/jobs/{}", job.id);

    let (status, page) = html(&operator, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&page);
    assert!(page.contains(r#"data-state="dead""#) && page.contains("Probe") && page.contains("diagnostics"));
    assert!(page.contains(r#"<tr data-attempt="1">"#) && page.contains(r#"<tr data-attempt="2">"#), "{page}");
    assert!(page.contains("probe-host-1") && page.contains("boom 1") && page.contains("boom 2"), "{page}");
    assert!(page.contains(&format!(r#"<li data-log-id="{first}">"#)), "{page}");
    assert!(page.contains("connecting &#60;db&#62;") || page.contains("connecting &lt;db&gt;"), "escaped: {page}");
    let live = format!(r#"data-live="job-log" data-job="{}" data-log-after="{last}""#, job.id);
    assert!(page.contains(&live), "live lines continue after the last one shown: {page}");
    assert!(page.contains(&format!(r#"action="/jobs/{}/retry""#, job.id)), "admins get Retry: {page}");

    let mut olga = Browser::open(&app).await;
    olga.sign_in("olga", PASSWORD).await;
    let (_, olgas) = html(&olga, &path).await;
    assert!(!olgas.contains("/retry\""), "an operator gets no Retry for an admin's probe: {olgas}");
    let csrf = olga.csrf.clone();
    let refused = olga.post_form(&format!("{path}/retry"), &[("csrf", csrf)]).await;
    assert_eq!(refused.url().query(), Some("refused=forbidden"));
    assert!(refused.text().await.unwrap().contains(&t(Lang::En, "job-refused-forbidden")));

    let csrf = common::csrf_in(&page);
    let retried = operator.post_form(&format!("{path}/retry"), &[("csrf", csrf.clone())]).await;
    assert_eq!(retried.url().path(), path, "back to the job page");
    assert_eq!(retried.url().query(), Some("done=retry"));
    let page = retried.text().await.unwrap();
    assert!(page.contains(&t(Lang::En, "job-done-retry")), "{page}");
    assert!(page.contains(r#"data-state="retrying""#), "the page shows the retry at once: {page}");
    assert!(page.contains(&t(Lang::En, "job-next-run-now")), "a retry by hand is due at once: {page}");
    assert!(!page.contains("/retry\""), "no Retry for a job that is waiting to run: {page}");
    let again = operator.post_form(&format!("{path}/retry"), &[("csrf", csrf)]).await;
    assert_eq!(again.url().query(), Some("refused=not_retryable"));
    assert!(again.text().await.unwrap().contains(&t(Lang::En, "job-refused-not_retryable")));

    let mut viewer = Browser::open(&app).await;
    viewer.sign_in("vera", PASSWORD).await;
    let (status, page) = html(&viewer, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("/retry\""), "viewers get no Retry button");
    let csrf = viewer.csrf.clone();
    assert_eq!(viewer.post_form(&format!("{path}/retry"), &[("csrf", csrf)]).await.status(), StatusCode::FORBIDDEN);
    let (status, page) = html(&viewer, &format!("/jobs/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains(&t(Lang::En, "error-404-title")), "{page}");
    app.stop().await.unwrap();
}
