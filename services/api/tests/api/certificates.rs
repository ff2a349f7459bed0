//! Certificates through the API and the pages on PostgreSQL: a valid certificate is asked for by a signed-in
//! admin and its first order queued on `certificates.<host>` at once; every problem of a bad one (a wildcard with
//! http-01, an IP address, a name over 253 characters, a name twice, an unknown host, a hook without dns-01) is
//! named under its field with nothing recorded; renew now while an order is under way is refused (409) unless
//! forced; a deleted certificate is gone; the panel serves the HTTP-01 answers the cert worker wrote, and nothing
//! else; the pages list it with its status, and the form shows every problem, in English and Arabic.

use crate::common;

use lawha::ui::{Lang, t};
use lawha_domain::users::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backups::{call, signed_in_admin};
use crate::sites_pages::{assert_clean, html, signed_in, visible};

fn certificate(names: &[&str]) -> Value {
    json!({ "names": names, "email": "ops@example.com" })
}

async fn certificate_events(app: &common::TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE stream_id LIKE 'certificate-%'")
        .fetch_one(&app.state.db.read_models)
        .await
        .unwrap()
}

fn problem_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["problems"]
        .as_array()
        .map(|ps| ps.iter().map(|p| p["field"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_is_asked_for_renewed_and_deleted_and_bad_ones_record_nothing() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let admin = signed_in_admin(&app).await;

    let long = format!("{}.example.com", vec!["a".repeat(60); 4].join("."));
    let bad = json!({ "names": ["*.example.com", "10.0.0.1", long, "shop.example.com", "shop.example.com"],
                      "dns_hook": "/usr/local/bin/hook" });
    let (status, body) = call(&app, &admin, Method::POST, "/api/v1/certificates", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = problem_fields(&body);
    for field in ["names[0]", "names[1]", "names[2]", "names[4]", "dns_hook"] {
        assert!(fields.iter().any(|f| f == field), "{field} is named: {body}");
    }
    let (status, body) = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/certificates",
        Some(json!({"names": ["a.example.com"], "host": "web-9"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problem_fields(&body), ["host"], "{body}");
    let (status, body) = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/certificates",
        Some(json!({"names": ["a.example.com"], "challenge": "tls-alpn-01"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown challenge is refused: {body}");
    assert_eq!(certificate_events(&app).await, 0, "nothing was recorded");

    let (status, created) = call(
        &app,
        &admin,
        Method::POST,
        "/api/v1/certificates",
        Some(certificate(&["Shop.Example.com", "www.example.com"])),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let job = created["job_id"].as_str().unwrap().to_owned();
    let (status, shown) = call(&app, &admin, Method::GET, &format!("/api/v1/certificates/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["names"], json!(["shop.example.com", "www.example.com"]), "names are lowercased");
    assert_eq!((shown["status"].as_str(), shown["host"].as_str()), (Some("ordering"), Some("local")));
    assert_eq!(shown["directory"], "https://acme-v02.api.letsencrypt.org/directory");
    assert_eq!((shown["key_type"].as_str(), shown["challenge"].as_str()), (Some("ecdsa-p256"), Some("http-01")));

    // The first order is a job on the queue of the certificate's host.
    common::eventually(std::time::Duration::from_secs(15), "the order's job to be dispatched", || async {
        let queue: Option<String> = sqlx::query_scalar("SELECT queue FROM jobs WHERE job_id = $1")
            .bind(job.clone())
            .fetch_optional(&app.state.db.read_models)
            .await
            .unwrap();
        queue.as_deref() == Some("certificates.local")
    })
    .await;

    let renew = format!("/api/v1/certificates/{id}/renew");
    let (status, body) = call(&app, &admin, Method::POST, &renew, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "an order is under way: {body}");
    let (status, body) = call(&app, &admin, Method::POST, &renew, Some(json!({"force": true}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = call(&app, &admin, Method::POST, &renew, Some(json!({"force": "yes"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, list) = call(&app, &admin, Method::GET, "/api/v1/certificates", None).await;
    assert_eq!((status, list["certificates"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{list}");

    let (status, _) = call(&app, &admin, Method::DELETE, &format!("/api/v1/certificates/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(&app, &admin, Method::GET, &format!("/api/v1/certificates/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = call(&app, &admin, Method::POST, &renew, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a deleted certificate is not renewed: {body}");
    let (_, list) = call(&app, &admin, Method::GET, "/api/v1/certificates", None).await;
    assert_eq!(list["certificates"], json!([]), "{list}");
    let (status, _) = call(&app, &admin, Method::GET, "/api/v1/certificates/not-an-id", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_serves_the_challenge_answers_the_worker_wrote_and_nothing_else() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let folder = app.state.config.certificates.webroot.join(".well-known/acme-challenge");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("tok_EN-1"), "tok_EN-1.thumbprint").unwrap();
    std::fs::write(folder.parent().unwrap().join("secret"), "not for the CA").unwrap();

    let response = app.get("/.well-known/acme-challenge/tok_EN-1").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "tok_EN-1.thumbprint");
    for path in ["missing", "..%2Fsecret", "tok.EN", "%2E%2E%2Fsecret"] {
        let response = app.get(&format!("/.well-known/acme-challenge/{path}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_certificate_pages_show_every_problem_and_the_certificate_in_both_languages() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let mut browser = signed_in(&app, "amira", Role::Admin).await;

    let (status, page) = html(&browser, "/certificates/new").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_clean(&page);
    let csrf = browser.csrf.clone();
    let form = |names: &str, challenge: &str| {
        vec![
            ("names", names.to_owned()),
            ("challenge", challenge.to_owned()),
            ("dns_hook", String::new()),
            ("directory", "letsencrypt-staging".to_owned()),
            ("trusted_root", String::new()),
            ("email", String::new()),
            ("key_type", "ecdsa-p256".to_owned()),
            ("profile", String::new()),
            ("host", "local".to_owned()),
            ("csrf", csrf.clone()),
        ]
    };
    let refused = browser.post_form("/certificates", &form("*.example.com\r\n10.0.0.1", "http-01")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = visible(&refused.text().await.unwrap());
    assert!(page.contains(r#"data-problem="names""#), "{page}");
    assert_eq!(certificate_events(&app).await, 0, "nothing was recorded");

    let created = browser.post_form("/certificates", &form("shop.example.com\r\nwww.example.com", "http-01")).await;
    assert_eq!(created.status(), StatusCode::OK, "redirected to the certificate's page");
    let page = visible(&created.text().await.unwrap());
    assert!(page.contains(&t(Lang::En, "certificate-done-requested")), "{page}");
    assert!(page.contains(&t(Lang::En, "certificate-status-ordering")), "{page}");
    assert_clean(&page);
    let (status, list) = html(&browser, "/certificates").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("shop.example.com") && list.contains(r#"data-status="ordering""#), "{list}");

    browser.post_form("/settings/language", &[("lang", "ar".into()), ("csrf", browser.csrf.clone())]).await;
    for (path, words) in [
        ("/certificates", "certificates-title"),
        ("/certificates/new", "certificate-new-title"),
        ("/", "dashboard-certificate-nearest"),
    ] {
        let (status, page) = html(&browser, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page.contains(r#"<html lang="ar" dir="rtl">"#) && page.contains(&t(Lang::Ar, words)), "{path}: {page}");
        assert!(page.contains(&t(Lang::Ar, "nav-certificates")), "{path}");
        assert_clean(&page);
    }
}
