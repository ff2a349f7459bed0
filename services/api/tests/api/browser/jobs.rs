//! The jobs pages in a browser: the list shows a dead job, its page shows the attempts, a new log line arrives
//! live over Server-Sent Events, and an operator presses Retry (confirming the question) and sees the notice.

use std::time::Duration;

use lawha::ui::{Lang, t};
use lawha_domain::users::Role;

use crate::{
    browser::harness::{Browser, WAIT},
    browser::panel::{PASSWORD, Panel},
    common::jobs::{kill, log_line, probe, wait_for_state},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_finds_a_dead_job_follows_its_log_and_retries_it() {
    let panel = Panel::start().await;
    // A probe is an admin's request, so retrying it needs an admin.
    panel.create_user("omar", Role::Admin).await;
    let job = probe(&panel.app, 2).await;
    kill(&panel.app, &job).await;
    log_line(&panel.app, job.id, 2, "gave up after two attempts").await;
    wait_for_state(&panel.app, job.id, "dead").await;
    let browser = Browser::new(&panel.base_url()).await;
    browser.sign_in("omar", PASSWORD).await;

    browser.click(".site-nav a[href='/jobs']").await;
    let row = format!("tr[data-job='{}'][data-state='dead']", job.id);
    browser.wait_for(&row, WAIT).await;
    browser.screenshot("jobs-01-list").await;
    browser.click(&format!("{row} a")).await;
    browser.wait_until("the job page", WAIT, async |b| b.path().await == format!("/jobs/{}", job.id)).await;
    assert_eq!(browser.text("dd[data-state]").await, t(Lang::En, "job-state-dead"));
    assert_eq!(browser.attrs(".attempts-table tr[data-attempt]", "data-attempt").await.len(), 2);
    assert!(browser.text(".job-log").await.contains("gave up after two attempts"));

    let live = log_line(&panel.app, job.id, 2, "a line written while the page is open").await;
    browser.wait_for(&format!(".job-log li[data-log-id='{live}']"), Duration::from_secs(10)).await;
    assert!(browser.text(&format!(".job-log li[data-log-id='{live}']")).await.contains("while the page is open"));
    browser.screenshot("jobs-02-dead-job").await;

    browser.click("form.job-retry button[type=submit]").await;
    let mut question = None;
    browser
        .wait_until("the confirmation", WAIT, async |b| {
            question = b.client().get_alert_text().await.ok();
            question.is_some()
        })
        .await;
    assert_eq!(question.as_deref(), Some(t(Lang::En, "job-retry-confirm").as_str()));
    browser.client().accept_alert().await.expect("accepting the confirmation");
    browser.wait_for(".alert--ok[role=status]", WAIT).await;
    assert_eq!(browser.text(".alert--ok[role=status]").await, t(Lang::En, "job-done-retry"));
    assert_eq!(browser.text("dd[data-state]").await, t(Lang::En, "job-state-retrying"));
    assert!(browser.texts("form.job-retry").await.is_empty(), "no Retry while it waits to run");
    browser.screenshot("jobs-03-retried").await;

    browser.close().await;
    panel.stop().await;
}
