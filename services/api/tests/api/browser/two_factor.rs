//! Two-factor sign-in in the browser: enroll on the account page by reading the key shown beside the QR code
//! (playing the authenticator app), confirm, see the recovery codes once, sign out, and sign in again with the
//! password and then a code.

use std::time::{SystemTime, UNIX_EPOCH};

use lawha::users::two_factor::code_for;
use lawha_domain::users::Role;

use crate::{
    browser::harness::{Browser, WAIT},
    browser::panel::{PASSWORD, Panel},
};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("the clock is after 1970").as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolling_two_factor_and_signing_in_again_with_a_code() {
    let panel = Panel::start().await;
    panel.create_user("amira", Role::Operator).await;
    let browser = Browser::new(&panel.base_url()).await;
    browser.sign_in("amira", PASSWORD).await;

    browser.goto("/account").await;
    browser.wait_for("[data-two-factor=off]", WAIT).await;
    browser.screenshot("two-factor-01-account").await;
    browser.click("form[action$='/account/two-factor/enroll'] button[type=submit]").await;
    browser.wait_for("figure.qr svg", WAIT).await;
    let secret = browser.text("[data-totp-secret]").await;
    browser.screenshot("two-factor-02-qr-code").await;

    // The confirmation uses this time step's code; the sign-in below uses the next one (one step of skew is
    // allowed), because a step is accepted only once.
    browser.fill("#confirm-code", &code_for(&secret, now()).expect("a base32 secret")).await;
    browser.click("form[action$='/account/two-factor/confirm'] button[type=submit]").await;
    browser.wait_for("[data-recovery-codes]", WAIT).await;
    let codes = browser.texts("[data-recovery-codes] code").await;
    assert_eq!(codes.len(), 10, "ten recovery codes: {codes:?}");
    browser.wait_for("[data-two-factor=on]", WAIT).await;
    browser.screenshot("two-factor-03-recovery-codes").await;

    browser.sign_out().await;
    browser.submit_sign_in("amira", PASSWORD).await;
    browser.wait_for("#code", WAIT).await;
    browser.screenshot("two-factor-04-code-step").await;
    browser.fill("#code", "000000").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for("[role=alert]", WAIT).await;
    assert_eq!(browser.path().await, "/login/second-factor", "a wrong code keeps the code step");
    browser.fill("#code", &code_for(&secret, now() + 30).expect("a base32 secret")).await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for("form.sign-out button[type=submit]", WAIT).await;
    assert!(browser.text(".sign-out__user").await.contains("amira"));
    browser.screenshot("two-factor-05-signed-in").await;

    browser.close().await;
    panel.stop().await;
}
