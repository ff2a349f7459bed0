//! Signing in through the sign-in page: a wrong password is refused in the page's language and the browser stays
//! on the sign-in page; the right one lands on a signed-in page whose header names the user.

use std::time::Duration;

use lawha::ui::{Lang, t};
use lawha_domain::users::Role;

use crate::{
    browser::harness::{Browser, WAIT},
    browser::panel::{PASSWORD, Panel},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_in_the_pages_language_and_the_right_one_signs_in() {
    let panel = Panel::start().await;
    panel.create_user("amira", Role::Viewer).await;
    let browser = Browser::new(&panel.base_url()).await;

    browser.goto("/login").await;
    browser.wait_for("#username", WAIT).await;
    browser.screenshot("sign-in-01-login").await;

    wrong_password(&browser).await;
    assert_eq!(browser.text("[role=alert]").await, t(Lang::En, "sign-in-error-invalid"));
    assert_eq!(browser.path().await, "/login", "a refused sign-in stays on the sign-in page");
    let typed = browser.wait_for("#username", WAIT).await.prop("value").await.unwrap();
    assert_eq!(typed.as_deref(), Some("amira"), "the user name is kept for the next try");
    browser.screenshot("sign-in-02-wrong-password").await;

    switch_language(&browser, "ar").await;
    wrong_password(&browser).await;
    assert_eq!(browser.text("[role=alert]").await, t(Lang::Ar, "sign-in-error-invalid"));
    assert_eq!(browser.path().await, "/login");
    browser.screenshot("sign-in-03-wrong-password-arabic").await;
    switch_language(&browser, "en").await;

    browser.sign_in("amira", PASSWORD).await;
    let header = browser.text(".sign-out__user").await;
    assert!(header.contains("amira"), "the header names the signed-in user: {header:?}");
    assert_eq!(browser.text("form.sign-out button[type=submit]").await, t(Lang::En, "nav-sign-out"));
    browser.screenshot("sign-in-04-signed-in").await;

    // Both refusals and the sign-in are in the audit log the user can now read.
    browser.goto("/audit").await;
    browser.wait_for(".audit-table tbody tr[data-position]", WAIT).await;
    let types = browser.texts(".audit-table tbody tr[data-position] td:nth-child(4)").await;
    assert_eq!(types.iter().filter(|t| *t == "SignInFailed").count(), 2, "{types:?}");
    assert!(types.iter().any(|t| t == "SignedIn"), "{types:?}");

    browser.close().await;
    panel.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_returns_to_the_sign_in_page_and_ends_the_session() {
    let panel = Panel::start().await;
    panel.create_user("amira", Role::Viewer).await;
    let browser = Browser::new(&panel.base_url()).await;
    browser.sign_in("amira", PASSWORD).await;

    browser.sign_out().await;
    browser.screenshot("sign-in-05-signed-out").await;
    assert!(!browser.appears("form.sign-out", Duration::ZERO).await, "no signed-in header after signing out");
    browser.goto("/audit").await;
    browser.wait_until("the redirect to sign in", WAIT, async |b| b.path().await == "/login").await;

    browser.close().await;
    panel.stop().await;
}

/// Types amira's name and a wrong password on the sign-in page and waits for the refusal.
async fn wrong_password(browser: &Browser) {
    browser.fill("#username", "amira").await;
    browser.fill("#password", "not the password at all").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for("[role=alert]", WAIT).await;
}

/// Presses the footer's button for `lang` and waits for the page to come back in it.
pub async fn switch_language(browser: &Browser, lang: &str) {
    browser.click(&format!(".language-switch button[name=lang][value={lang}]")).await;
    let dir = if lang == "ar" { "rtl" } else { "ltr" };
    browser.wait_for(&format!("html[lang={lang}][dir={dir}]"), WAIT).await;
}
