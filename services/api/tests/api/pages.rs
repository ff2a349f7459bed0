//! The server-rendered pages as a browser without JavaScript uses them: sign-in, the audit log with filters,
//! the language switch to Arabic (right to left), assets, and the redirect to sign-in.

use crate::common;

use common::{postgres, spawn_app};
use lawha::users;
use lawha_domain::{Metadata, users::Role};
use reqwest::{StatusCode, header};

fn cookie_of(response: &reqwest::Response) -> Option<String> {
    response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
}

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_signs_in_reads_the_audit_log_and_switches_to_arabic() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    users::create_user(&app.state.db, "amira", Role::Viewer, "a long enough password", &Metadata::default())
        .await
        .unwrap();
    common::eventually(std::time::Duration::from_secs(15), "the users projection", || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(&app.state.db.read_models).await.unwrap()
            == 1
    })
    .await;
    let html = |path: &str| app.client.get(app.url(path)).header(header::ACCEPT, "text/html");
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let anonymous = no_redirects.get(app.url("/audit")).header(header::ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()[header::LOCATION], "/login");

    let login = html("/login").send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(login.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    let mut cookie = cookie_of(&login).unwrap();
    let page = login.text().await.unwrap();
    assert!(page.contains(r#"<html lang="en" dir="ltr">"#), "{page}");
    assert!(page.contains(r#"<label for="password">"#));
    let csrf = csrf_in(&page);

    let form = [("username", "amira"), ("password", "wrong password!"), ("csrf", csrf.as_str())];
    let failed = no_redirects
        .post(app.url("/login"))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED);
    assert!(failed.text().await.unwrap().contains("role=\"alert\""), "the page says what went wrong");

    let form = [("username", "amira"), ("password", "a long enough password"), ("csrf", csrf.as_str())];
    let signed_in = no_redirects
        .post(app.url("/login"))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[header::LOCATION], "/", "sign-in leads to the dashboard");
    cookie = cookie_of(&signed_in).unwrap();

    // The audit log is a projection: the sign-in shows up there a moment after it happened.
    common::eventually(std::time::Duration::from_secs(10), "the sign-in on the audit page", || async {
        let audit = html("/audit").header(header::COOKIE, &cookie).send().await.unwrap();
        audit.status() == StatusCode::OK && audit.text().await.unwrap().contains("SignedIn")
    })
    .await;
    let page = html("/audit").header(header::COOKIE, &cookie).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("SignedIn") && page.contains("data-live=\"audit\""), "{page}");
    let filtered = html("/audit?event_type=SignInFailed")
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        filtered.contains("SignInFailed") && !filtered.contains(r#"<td class="action">SignedIn</td>"#),
        "{filtered}"
    );
    assert!(!filtered.contains("data-live"), "only the unfiltered page is live");
    let invalid =
        html("/audit?since=yesterday").header(header::COOKIE, &cookie).send().await.unwrap().text().await.unwrap();
    assert!(invalid.contains("role=\"alert\"") && invalid.contains("since"), "{invalid}");

    let csrf = csrf_in(&page);
    let switched = no_redirects
        .post(app.url("/settings/language"))
        .header(header::COOKIE, &cookie)
        .header(header::REFERER, app.url("/audit"))
        .form(&[("lang", "ar"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(switched.headers()[header::LOCATION], "/audit");
    let arabic = html("/audit").header(header::COOKIE, &cookie).send().await.unwrap().text().await.unwrap();
    assert!(arabic.contains(r#"<html lang="ar" dir="rtl">"#), "{arabic}");
    let signed_in = lawha::ui::t(lawha::ui::Lang::Ar, "event-SignedIn");
    assert!(arabic.contains(&format!("{signed_in} (")), "the summaries are in Arabic too: {arabic}");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_served_with_a_long_cache_and_revalidate_by_etag() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let css = app.get("/assets/app.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    let etag = css.headers()[header::ETAG].to_str().unwrap().to_owned();
    let again = app.client.get(app.url("/assets/app.css")).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(app.get("/assets/nope.js").await.status(), StatusCode::NOT_FOUND);
    app.stop().await.unwrap();
}
