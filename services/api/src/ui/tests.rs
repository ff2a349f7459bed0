//! Rendering tests for the layout: direction, language switch, and the Content-Security-Policy rules
//! (no inline script or style may appear, since the policy would block it).

use askama::Template;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::*;

fn page(lang: Lang) -> Page {
    Page::new(lang, "csrf-token-123", t(lang, "audit-title"))
        .with_nav(main_nav(lang, "", Section::Audit, true))
        .with_user("<admin>")
}

fn render_base(page: Page) -> String {
    BasePage { page }.render().expect("base.html renders")
}

/// The problems a Content-Security-Policy of `script-src 'self'; style-src 'self'` would have with `html`.
pub(crate) fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut problems = Vec::new();
    for (at, _) in lower.match_indices("<script") {
        let tag_end = lower[at..].find('>').map_or(lower.len(), |end| at + end);
        if !lower[at..tag_end].contains(" src=") {
            problems.push(format!("inline script at {at}"));
        }
    }
    if lower.contains("<style") {
        problems.push("a <style> element".to_owned());
    }
    if lower.contains(" style=") {
        problems.push("a style= attribute".to_owned());
    }
    for handler in [" onclick=", " onload=", " onsubmit=", " onerror=", "javascript:"] {
        if lower.contains(handler) {
            problems.push(format!("inline handler {handler}"));
        }
    }
    problems
}

#[test]
fn arabic_pages_are_right_to_left_and_english_ones_left_to_right() {
    let ar = render_base(page(Lang::Ar));
    assert!(ar.contains(r#"<html lang="ar" dir="rtl">"#), "{ar}");
    assert!(ar.contains("سجل التدقيق"));
    let en = render_base(page(Lang::En));
    assert!(en.contains(r#"<html lang="en" dir="ltr">"#), "{en}");
}

#[test]
fn the_layout_has_no_inline_script_or_style() {
    for lang in Lang::ALL {
        let html = render_base(page(lang));
        assert_eq!(inline_code(&html), Vec::<String>::new(), "{html}");
        assert!(html.contains(r#"<script src="/assets/app.js?v="#), "{html}");
        assert!(html.contains(r#"<link rel="stylesheet" href="/assets/app.css?v="#), "{html}");
        let error = ErrorPage::new(page(lang), StatusCode::NOT_FOUND).render().expect("error.html renders");
        assert_eq!(inline_code(&error), Vec::<String>::new(), "{error}");
    }
}

#[test]
fn the_inline_code_check_catches_each_form() {
    for bad in
        ["<script>x()</script>", "<SCRIPT type=module>", "<style>a{}</style>", r#"<p style="x">"#, r#"<a onclick="x">"#]
    {
        assert!(!inline_code(bad).is_empty(), "{bad} should be caught");
    }
    assert!(inline_code(r#"<script src="/assets/app.js" defer></script>"#).is_empty());
}

#[test]
fn the_skip_link_is_the_first_focusable_element_and_targets_main() {
    let html = render_base(page(Lang::En));
    let body = &html[html.find("<body").expect("a body")..];
    let first_link = body.find("<a ").expect("a link");
    assert!(body[first_link..].starts_with(r##"<a class="skip-link" href="#content">Skip to content</a>"##));
    for focusable in ["<button", "<input", "<select", "<textarea"] {
        assert!(body.find(focusable).is_none_or(|at| at > first_link), "{focusable} comes before the skip link");
    }
    assert!(html.contains(r#"<main id="content""#));
}

#[test]
fn the_navigation_marks_the_current_page_and_is_absent_when_empty() {
    let html = render_base(page(Lang::En));
    assert!(html.contains(r#"<nav class="site-nav" aria-label="Main navigation">"#), "{html}");
    assert!(html.contains(r#"<a href="/audit" aria-current="page">Audit log</a>"#), "{html}");
    assert_eq!(html.matches("aria-current").count(), 1);

    let signed_out = render_base(Page::new(Lang::En, "csrf-token-123", t(Lang::En, "sign-in-title")));
    assert!(!signed_out.contains("<nav"), "{signed_out}");
    assert!(!signed_out.contains("/logout"), "{signed_out}");
}

#[test]
fn forms_carry_the_csrf_token_and_the_language_switch_posts() {
    let html = render_base(page(Lang::En).with_prefix("/entrance"));
    assert!(html.contains(r#"<form class="language-switch" method="post" action="/entrance/settings/language">"#));
    assert!(html.contains(r#"name="lang" value="ar" lang="ar">العربية</button>"#), "{html}");
    assert!(html.contains(r#"<form class="sign-out" method="post" action="/entrance/logout">"#));
    assert_eq!(html.matches(r#"<input type="hidden" name="csrf" value="csrf-token-123">"#).count(), 2);

    let ar = render_base(page(Lang::Ar));
    assert!(ar.contains(r#"name="lang" value="en" lang="en">English</button>"#), "{ar}");
}

#[test]
fn user_supplied_text_is_escaped() {
    let html = render_base(page(Lang::En));
    assert!(html.contains("&#60;admin&#62;") || html.contains("&lt;admin&gt;"), "{html}");
    assert!(!html.contains("<admin>"));
}

#[test]
fn the_error_page_explains_the_status_in_the_page_language() {
    let html = ErrorPage::new(page(Lang::Ar), StatusCode::FORBIDDEN).render().expect("error.html renders");
    assert!(html.contains("الوصول مرفوض"), "{html}");
    assert!(html.contains("٤٠٣"), "{html}");
    assert!(html.contains(r#"<a href="/">العودة إلى الصفحة الرئيسية</a>"#), "{html}");

    let conflict = ErrorPage::new(page(Lang::En), StatusCode::CONFLICT);
    assert_eq!(conflict.page.title, "Bad request");
    let unavailable = ErrorPage::new(page(Lang::En), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(unavailable.page.title, "Something went wrong");
}

#[test]
fn the_error_page_answers_with_its_status_as_html() {
    let response = ErrorPage::new(page(Lang::En), StatusCode::NOT_FOUND).into_response();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok());
    assert_eq!(content_type, Some("text/html; charset=utf-8"));
    assert_eq!(BasePage { page: page(Lang::En) }.into_response().status(), StatusCode::OK);
}
