//! The security entrance (`ui.entrance`): with it set, the UI, sign-in and API answer only under the secret
//! prefix, every link and redirect carries it, the session cookie is scoped to it, and every other path gives
//! exactly the answer of an unknown path; health checks stay at the root and are not served under it.

use crate::common;

use common::{TestApp, cookie_of, csrf_in, no_redirects, postgres, spawn_with, wait_for_users};
use lawha::users;
use lawha_domain::{
    Metadata,
    users::{Role, Scope},
};
use reqwest::{StatusCode, header};

const ENTRANCE: &str = "/k8Jd02xQ";
const PASSWORD: &str = "a long enough password";

async fn spawn_with_entrance(url: &str) -> TestApp {
    let (mut config, dir) = common::config(url);
    config.ui.entrance = Some(ENTRANCE.to_owned());
    spawn_with(config, dir, axum::Router::new()).await
}

/// Status, body and the names of the headers (less the ones that differ on every response).
async fn answer(response: reqwest::Response) -> (StatusCode, Vec<String>, String) {
    let status = response.status();
    let mut names: Vec<String> = response
        .headers()
        .keys()
        .map(ToString::to_string)
        .filter(|name| name != "date" && name != "x-request-id")
        .collect();
    names.sort();
    (status, names, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_entrance_every_path_answers_like_an_unknown_one() {
    let db = postgres().await;
    let app = spawn_with_entrance(&db.url).await;
    users::create_user(&app.state.db, "amira", Role::Viewer, PASSWORD, &Metadata::default()).await.unwrap();
    let token =
        users::create_token(&app.state.db, "amira", "ci", vec![Scope::Read], &Metadata::default()).await.unwrap().token;
    let client = no_redirects();
    common::eventually(std::time::Duration::from_secs(15), "the token to work under the entrance", || async {
        let api = client.get(app.url("/k8Jd02xQ/api/v1/audit")).bearer_auth(&token).send().await.unwrap();
        api.status() == StatusCode::OK
    })
    .await;

    let unknown = answer(client.get(app.url("/no-such-page")).send().await.unwrap()).await;
    assert_eq!(unknown.0, StatusCode::NOT_FOUND);
    assert!(unknown.2.contains("\"not_found\""), "{}", unknown.2);
    assert!(unknown.1.contains(&"content-security-policy".to_owned()), "{:?}", unknown.1);
    for path in [
        "/",
        "/login",
        "/audit",
        "/api/v1/audit",
        "/api/v1/session",
        "/api/openapi.json",
        "/assets/app.css",
        "/setup/0",
        "/k8Jd02xQ/health/live",
        "/k8Jd02xQ/webhooks/github",
        "/k8Jd02xQx/login",
        "/k8jd02xq/login",
    ] {
        let plain = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(answer(plain).await, unknown, "GET {path}");
        let browser = client.get(app.url(path)).header(header::ACCEPT, "text/html").send().await.unwrap();
        assert_eq!(answer(browser).await, unknown, "GET {path} from a browser");
        let with_token = client.get(app.url(path)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(answer(with_token).await, unknown, "GET {path} with a token");
    }
    // Sign-in outside the entrance is not sign-in: no CSRF refusal, no cookie, just the unknown path.
    let post = client.post(app.url("/login")).form(&[("username", "amira"), ("password", PASSWORD)]).send().await;
    let post = answer(post.unwrap()).await;
    let unknown_post = answer(client.post(app.url("/no-such-page")).send().await.unwrap()).await;
    assert_eq!(post, unknown_post);
    assert_eq!(post.0, StatusCode::NOT_FOUND);

    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK, "health stays at the root");
    assert_eq!(app.get("/health/ready").await.status(), StatusCode::OK);
    let openapi = client.get(app.url("/k8Jd02xQ/api/openapi.json")).send().await.unwrap();
    assert_eq!(openapi.status(), StatusCode::OK);
    let css = client.get(app.url("/k8Jd02xQ/assets/app.css")).send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_signs_in_under_the_entrance_and_every_link_and_redirect_keeps_it() {
    let db = postgres().await;
    let app = spawn_with_entrance(&db.url).await;
    users::create_user(&app.state.db, "amira", Role::Viewer, PASSWORD, &Metadata::default()).await.unwrap();
    wait_for_users(&app, 1).await;
    let client = no_redirects();
    let html = |path: &str| client.get(app.url(path)).header(header::ACCEPT, "text/html");

    let bare = html(ENTRANCE).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(bare.headers()[header::LOCATION], "/k8Jd02xQ/");
    let home = html("/k8Jd02xQ/").send().await.unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(home.headers()[header::LOCATION], "/k8Jd02xQ/login");
    let anonymous = html("/k8Jd02xQ/audit").send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers()[header::LOCATION], "/k8Jd02xQ/login");

    let login = html("/k8Jd02xQ/login").send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let set_cookie = login.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("Path=/k8Jd02xQ"), "the cookie is scoped to the entrance: {set_cookie}");
    let cookie = cookie_of(&login).unwrap();
    let page = login.text().await.unwrap();
    for link in [
        r#"<body data-prefix="/k8Jd02xQ">"#,
        r#"action="/k8Jd02xQ/login""#,
        r#"action="/k8Jd02xQ/settings/language""#,
        r#"href="/k8Jd02xQ/assets/app.css?v="#,
        r#"src="/k8Jd02xQ/assets/app.js?v="#,
        r#"class="brand" href="/k8Jd02xQ/""#,
    ] {
        assert!(page.contains(link), "{link} is missing from:\n{page}");
    }
    let csrf = csrf_in(&page);
    let form = [("username", "amira"), ("password", PASSWORD), ("csrf", csrf.as_str())];
    let signed_in = client
        .post(app.url("/k8Jd02xQ/login"))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &cookie)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()[header::LOCATION], "/k8Jd02xQ/");
    let cookie = cookie_of(&signed_in).unwrap();

    let audit = html("/k8Jd02xQ/audit?limit=1").header(header::COOKIE, &cookie).send().await.unwrap();
    assert_eq!(audit.status(), StatusCode::OK);
    let page = audit.text().await.unwrap();
    for link in [
        r#"<a href="/k8Jd02xQ/audit" aria-current="page">"#,
        r#"action="/k8Jd02xQ/logout""#,
        r#"action="/k8Jd02xQ/audit""#,
        r#"href="/k8Jd02xQ/api/v1/audit/export?format=csv"#,
        r#"<a href="/k8Jd02xQ/audit?limit=1&#38;before="#,
        r#"href="/k8Jd02xQ/api/v1/audit/"#,
    ] {
        assert!(page.contains(link), "{link} is missing from:\n{page}");
    }
    let again = html("/k8Jd02xQ/login").header(header::COOKIE, &cookie).send().await.unwrap();
    assert_eq!(again.headers()[header::LOCATION], "/k8Jd02xQ/", "signed in, the sign-in page moves on");

    // The language switch goes back to the page it was on, and never out of the entrance.
    let csrf = csrf_in(&page);
    for (referer, back) in [
        (Some(app.url("/k8Jd02xQ/audit?limit=1")), "/k8Jd02xQ/audit?limit=1"),
        (Some(app.url("/somewhere-else")), "/k8Jd02xQ/"),
        (None, "/k8Jd02xQ/"),
    ] {
        let mut request = client
            .post(app.url("/k8Jd02xQ/settings/language"))
            .header(header::COOKIE, &cookie)
            .form(&[("lang", "ar"), ("csrf", csrf.as_str())]);
        if let Some(referer) = &referer {
            request = request.header(header::REFERER, referer);
        }
        let switched = request.send().await.unwrap();
        assert_eq!(switched.status(), StatusCode::SEE_OTHER, "{referer:?}");
        assert_eq!(switched.headers()[header::LOCATION], back, "{referer:?}");
    }
    app.stop().await.unwrap();
}
