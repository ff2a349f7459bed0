//! The Web UI in a real browser: headless Chromium, driven through chromedriver (WebDriver), against the real
//! panel on PostgreSQL. Each scenario leaves screenshots under `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (or `LAWHA_TEST_CHROMIUM` / `LAWHA_TEST_CHROMEDRIVER`);
//! without them the tests fail and say so.

mod harness;
mod panel;

mod audit;
mod backups;
mod jobs;
mod sign_in;
mod two_factor;
