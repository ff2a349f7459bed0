//! The first-start setup link: a development server without users prints a one-time link; the link shows a
//! form while it is valid and nobody has an account, creates the first admin once and signs them in; a wrong,
//! expired or used token is 404, bad input changes nothing, and other profiles never create a token.

use crate::common;

use std::{
    io::{BufRead as _, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use chrono::Utc;
use common::{TestApp, cookie_of, csrf_in, no_redirects, postgres, spawn_app, spawn_with, wait_for_users};
use lawha::{
    setup::token as setup,
    users::{self, credentials},
};
use lawha_config::Profile;
use lawha_domain::{Metadata, users::Role};
use lawha_store::EventFilter;
use reqwest::{StatusCode, header};

const PASSWORD: &str = "a long enough password";

async fn stored_setup(app: &TestApp) -> Option<String> {
    credentials::load(&app.state.db.read_models, setup::SUBJECT).await.unwrap()
}

/// Opens the setup page like a browser: its cookie and the form's CSRF token.
async fn open_form(app: &TestApp, token: &str) -> (String, String) {
    let page = app.client.get(app.url(&format!("/setup/{token}"))).header(header::ACCEPT, "text/html").send().await;
    let page = page.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let cookie = cookie_of(&page).expect("the setup page starts a session");
    (cookie, csrf_in(&page.text().await.unwrap()))
}

async fn post_form(app: &TestApp, token: &str, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    no_redirects()
        .post(app.url(&format!("/setup/{token}")))
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn user_streams(app: &TestApp) -> usize {
    let events = app.state.db.events.read_all(0, 1000, &EventFilter::all()).await.unwrap();
    events.iter().filter(|e| e.stream.as_str().starts_with("user-")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_link_creates_the_first_admin_once_and_signs_them_in() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    assert_eq!(stored_setup(&app).await, None, "the test profile creates no token at start");
    let token = setup::issue(&app.state.db.read_models, Utc::now()).await.unwrap();
    let stored = stored_setup(&app).await.unwrap();
    assert!(!stored.contains(&token), "only the token's hash is stored");

    let flipped = format!("{}{}", &token[..63], if token.ends_with('0') { '1' } else { '0' });
    for wrong in ["0".repeat(64), "not-a-token".to_owned(), flipped] {
        assert_eq!(app.get(&format!("/setup/{wrong}")).await.status(), StatusCode::NOT_FOUND, "{wrong}");
    }
    let (cookie, csrf) = open_form(&app, &token).await;

    let mismatched = [("name", "root"), ("password", PASSWORD), ("confirm", "another long password"), ("csrf", &csrf)];
    let response = post_form(&app, &token, &cookie, &mismatched).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("The two passwords are not the same.") && page.contains(r#"value="root""#), "{page}");
    let bad = [("name", "Root!"), ("password", "short"), ("confirm", "short"), ("csrf", &csrf)];
    let page = post_form(&app, &token, &cookie, &bad).await.text().await.unwrap().replace(['\u{2068}', '\u{2069}'], "");
    assert!(page.contains("The user name must be 1 to 64 characters long"), "{page}");
    assert!(page.contains("The password must have at least 12 characters."), "{page}");
    let no_csrf = [("name", "root"), ("password", PASSWORD), ("confirm", PASSWORD)];
    assert_eq!(post_form(&app, &token, &cookie, &no_csrf).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(user_streams(&app).await, 0, "refused forms create nothing");
    assert!(setup::is_valid(&app.state.db.read_models, &token, Utc::now()).await.unwrap(), "nor use the token");

    let good = [("name", "root"), ("password", PASSWORD), ("confirm", PASSWORD), ("csrf", &csrf)];
    let created = post_form(&app, &token, &cookie, &good).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(created.headers()[header::LOCATION], "/");
    let session = cookie_of(&created).expect("a new session id for the admin");
    assert_eq!(stored_setup(&app).await, None, "the token is used up");
    let me = app.client.get(app.url("/api/v1/session")).header(header::COOKIE, &session).send().await.unwrap();
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["user"], "root");
    let audit = app.client.get(app.url("/api/v1/audit")).header(header::COOKIE, &session).send().await.unwrap();
    assert_eq!(audit.status(), StatusCode::OK, "the admin is signed in and known to the read model");
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE name = 'root'")
        .fetch_one(&app.state.db.read_models)
        .await
        .unwrap();
    assert_eq!(role, "admin");

    let csrf = me["csrf"].as_str().unwrap();
    let again = [("name", "root2"), ("password", PASSWORD), ("confirm", PASSWORD), ("csrf", csrf)];
    assert_eq!(post_form(&app, &token, &session, &again).await.status(), StatusCode::NOT_FOUND, "single use");
    assert_eq!(app.get(&format!("/setup/{token}")).await.status(), StatusCode::NOT_FOUND);
    let events = app.state.db.events.read_all(0, 1000, &EventFilter::all()).await.unwrap();
    let created: Vec<_> = events.iter().filter(|e| e.event_type == "UserCreated").collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].metadata.actor.as_deref(), Some("setup"));
    for event in &events {
        let text = format!("{} {:?}", event.data, event.metadata);
        assert!(!text.contains(&token), "the token appears in {}", event.event_type);
    }
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_or_an_existing_user_closes_the_link() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let pool = &app.state.db.read_models;
    // Of two uses of one token only the first gets it; a failed use can put it back.
    let token = setup::issue(pool, Utc::now()).await.unwrap();
    let claim = setup::claim(pool, &token, Utc::now()).await.unwrap().expect("the first use takes the token");
    assert!(setup::claim(pool, &token, Utc::now()).await.unwrap().is_none(), "the second finds nothing");
    setup::restore(pool, claim).await.unwrap();
    let (cookie, csrf) = open_form(&app, &token).await;

    // The stored expiry moved into the past: the link is dead, for showing and for posting.
    let stored = stored_setup(&app).await.unwrap();
    let (_, hash) = stored.split_once(':').unwrap();
    let expired = format!("{}:{hash}", Utc::now().timestamp() - 1);
    sqlx::query("UPDATE credentials SET hash = $1 WHERE subject = $2")
        .bind(expired)
        .bind(setup::SUBJECT)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(app.get(&format!("/setup/{token}")).await.status(), StatusCode::NOT_FOUND);
    let good = [("name", "root"), ("password", PASSWORD), ("confirm", PASSWORD), ("csrf", &csrf)];
    assert_eq!(post_form(&app, &token, &cookie, &good).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(user_streams(&app).await, 0);

    // A fresh token, but someone already has an account.
    let token = setup::issue(pool, Utc::now()).await.unwrap();
    assert_eq!(app.get(&format!("/setup/{token}")).await.status(), StatusCode::OK);
    users::create_user(&app.state.db, "amira", Role::Viewer, PASSWORD, &Metadata::default()).await.unwrap();
    wait_for_users(&app, 1).await;
    assert_eq!(app.get(&format!("/setup/{token}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post_form(&app, &token, &cookie, &good).await.status(), StatusCode::NOT_FOUND);
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_development_server_without_users_creates_a_token_at_start() {
    let db = postgres().await;
    for (profile, expected) in [(Profile::Production, false), (Profile::Test, false), (Profile::Development, true)] {
        let (mut config, dir) = common::config(&db.url);
        config.profile = profile;
        let app = spawn_with(config, dir, axum::Router::new()).await;
        // The token is made before the server accepts its first request.
        let health = app.get("/health/live").await;
        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(stored_setup(&app).await.is_some(), expected, "{profile}");
        app.stop().await.unwrap();
    }
    // With a user, not even development offers the link.
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    users::create_user(&app.state.db, "amira", Role::Viewer, PASSWORD, &Metadata::default()).await.unwrap();
    wait_for_users(&app, 1).await;
    app.stop().await.unwrap();
    let (mut config, dir) = common::config(&db.url);
    config.profile = Profile::Development;
    let app = spawn_with(config, dir, axum::Router::new()).await;
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    assert_eq!(stored_setup(&app).await, None);
    app.stop().await.unwrap();
}

/// `lawha serve` in development, as a developer starts it: one line on stderr with a link that works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lawha_serve_in_development_prints_a_working_setup_link() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lawha"))
        .arg("serve")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LAWHA_ENV", "development")
        .env("LAWHA_DATA_DIR", dir.path())
        .env("LAWHA_LISTEN", format!("127.0.0.1:{port}"))
        .env("LAWHA_UI__ENTRANCE", "/k8Jd02xQ")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting lawha serve");
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let link = loop {
        let Ok(line) = received.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("no setup link within 60 s; stderr so far:\n{}", seen.join("\n"));
        };
        if line.starts_with("first start:") {
            break line;
        }
        seen.push(line);
    };
    let prefix = format!("first start: create the first admin at http://127.0.0.1:{port}/k8Jd02xQ/setup/");
    let token = link
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(" (valid 1 hour, single use)"))
        .unwrap_or_else(|| panic!("unexpected line: {link}"));
    assert!(setup::well_formed(token), "{link}");
    let url = link.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let page = reqwest::Client::new().get(&url).header(header::ACCEPT, "text/html").send().await.unwrap();
    let status = page.status();
    let html = page.text().await.unwrap();
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(&format!(r#"action="/k8Jd02xQ/setup/{token}""#)), "{html}");
    assert!(html.contains("Create the first administrator"), "{html}");
    // Later lines (the request log) never repeat the token.
    while let Ok(line) = received.recv_timeout(Duration::from_millis(500)) {
        assert!(!line.contains(token), "the token reached the log: {line}");
    }
}
