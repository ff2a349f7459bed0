//! The sites and deployments pages as a browser without JavaScript uses them, on PostgreSQL: the site form with
//! every problem beside its field and nothing recorded; a site created from it, its webhook secret shown once;
//! Deploy now, a deployment that succeeds and one that fails (the worker's facts appended by the test, as the
//! deploy worker records them), their pages with the steps, the error and the live log; the site changed with
//! its environment's values kept, rolled back, given a new secret and deleted; every page in English and in
//! Arabic; CSRF required; what viewers and operators are offered and refused.

use crate::common;

use common::Browser;
use lawha::{
    deployments::{commands, input, read},
    ui::{Lang, t},
};
use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata,
    deployments::{Colour, Deployment, DeploymentEvent as E, Step},
    users::Role,
};
use reqwest::StatusCode;
use uuid::Uuid;

const PASSWORD: &str = "a long enough password";
const C1: &str = "1111111111111111111111111111111111111111";
const C2: &str = "2222222222222222222222222222222222222222";
const DB_URL: &str = "postgres://shop:s3cret-value@db/shop";
const KEY: &str =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nkey-material-that-must-not-leak\n-----END OPENSSH PRIVATE KEY-----";

pub(crate) async fn signed_in<'a>(app: &'a common::TestApp, name: &str, role: Role) -> Browser<'a> {
    common::create_user(app, name, role, PASSWORD).await;
    let mut browser = Browser::open(app).await;
    browser.sign_in(name, PASSWORD).await;
    browser
}

pub(crate) async fn html(browser: &Browser<'_>, path: &str) -> (StatusCode, String) {
    let response = browser.page(path).await;
    (response.status(), visible(&response.text().await.unwrap()))
}

/// The page without Fluent's isolation marks, as a reader sees it.
pub(crate) fn visible(html: &str) -> String {
    html.replace(['\u{2068}', '\u{2069}'], "")
}

/// What the Content-Security-Policy would block, and raw JSON.
pub(crate) fn assert_clean(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains(" style=") && !lower.contains("<style") && !lower.contains(" onclick="), "{html}");
    assert!(lower.matches("<script").count() == lower.matches("<script src=").count(), "{html}");
    assert!(!html.contains("{&quot;") && !html.contains("{\"kind\""), "no raw JSON: {html}");
}

pub(crate) fn site_form(name: &str, csrf: &str, changes: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut form: Vec<(&'static str, String)> = vec![
        ("name", name.to_owned()),
        ("repository", "git@github.com:example/shop.git".into()),
        ("branch", "main".into()),
        ("runtime", "process".into()),
        ("build_command", "make build".into()),
        ("start_command", "./shop --port $PORT".into()),
        ("health_path", "/health".into()),
        ("port_blue", "9301".into()),
        ("port_green", "9302".into()),
        ("domains", "shop.example.com\r\nwww.example.com".into()),
        ("env", format!("DATABASE_URL={DB_URL}\r\nMODE=production\r\n")),
        ("deploy_key", KEY.replace('\n', "\r\n")),
        ("releases_to_keep", "5".into()),
        ("host", "local".into()),
    ];
    for (key, value) in changes {
        form.iter_mut().find(|(k, _)| k == key).expect("a form field").1 = (*value).to_owned();
    }
    form.push(("csrf", csrf.to_owned()));
    form
}

/// Records a worker's facts on a deployment and waits until the read model shows the last one.
pub(crate) async fn record(app: &common::TestApp, deployment: Uuid, facts: &[E]) {
    let stream = Deployment::stream(deployment);
    for fact in facts {
        let event = fact.to_new_event(Metadata::default());
        app.state.db.events.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();
    }
    let version = app.state.db.events.stream_version(&stream).await.unwrap();
    common::eventually(std::time::Duration::from_secs(15), "the deployment's facts in the read model", || async {
        sqlx::query_scalar::<_, i64>("SELECT stream_version FROM deployments WHERE deployment_id = $1")
            .bind(deployment.to_string())
            .fetch_optional(&app.state.db.read_models)
            .await
            .unwrap()
            .is_some_and(|v| v >= version)
    })
    .await;
}

/// Posts Deploy now (or a rollback) and returns the deployment the answer leads to.
async fn ask(browser: &mut Browser<'_>, path: &str, form: &[(&str, String)], done: &str) -> (Uuid, String) {
    let response = browser.post_form(path, form).await;
    assert_eq!(response.url().query(), Some(format!("done={done}").as_str()), "{}", response.url());
    let id = response.url().path().strip_prefix("/deployments/").expect("the deployment's page").to_owned();
    let page = visible(&response.text().await.unwrap());
    assert_clean(&page);
    assert!(page.contains(r#"data-live="refresh""#) && page.contains(r#"data-live="job-log""#), "{page}");
    (Uuid::parse_str(&id).unwrap(), page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_is_created_deployed_rolled_back_and_deleted_from_its_pages_in_both_languages() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let mut admin = signed_in(&app, "amira", Role::Admin).await;

    let (status, list) = html(&admin, "/sites").await;
    assert_eq!(status, StatusCode::OK);
    assert_clean(&list);
    assert!(list.contains(r#"<a href="/sites" aria-current="page">Sites</a>"#), "in the navigation: {list}");
    assert!(list.contains(&t(Lang::En, "sites-empty")) && list.contains(r#"href="/sites/new""#), "{list}");
    let (status, form) = html(&admin, "/sites/new").await;
    assert_eq!(status, StatusCode::OK);
    assert_clean(&form);
    assert!(form.contains(r#"<option value="process" selected>"#) && form.contains(r#"value="/health""#), "{form}");

    // Every problem at once, each beside its field, what was typed kept (never the key), nothing recorded.
    let (head, csrf) = (app.state.db.events.head().await.unwrap(), admin.csrf.clone());
    let bad = site_form(
        "../x",
        &csrf,
        &[
            ("repository", "https://user:pw@github.com/example/shop.git"),
            ("branch", "main..x"),
            ("runtime", "podman"),
            ("start_command", "./shop"),
            ("port_blue", "nine"),
            ("port_green", "70000"),
            ("domains", "Not A Domain"),
            ("env", "PORT=1"),
            ("releases_to_keep", "many"),
            ("host", "elsewhere"),
        ],
    );
    let refused = admin.post_form("/sites", &bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = visible(&refused.text().await.unwrap());
    assert_clean(&page);
    let fields = ["name", "repository", "branch", "runtime", "start_command", "port_blue", "port_green", "domains"];
    for field in fields.iter().chain(&["env", "releases_to_keep", "host"]) {
        assert!(page.contains(&format!(r#"data-problem="{field}""#)), "{field} has its problem: {page}");
        assert!(page.contains(&format!(r##"href="#f-{field}""##)), "the summary links to {field}: {page}");
    }
    assert!(page.contains("&#34;nine&#34; is not a whole number") && page.contains(r#"value="../x""#), "{page}");
    assert_eq!(page.matches(r##"href="#f-port_green""##).count(), 1, "one problem a port: {page}");
    assert!(!page.contains("key-material") && page.contains("data-key-dropped"), "the key is not sent back: {page}");
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "nothing is recorded");

    let created = admin.post_form("/sites", &site_form("shop", &csrf, &[])).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let page = visible(&created.text().await.unwrap());
    assert_clean(&page);
    let secret = page.split("data-webhook-secret>").nth(1).and_then(|s| s.split('<').next()).unwrap().to_owned();
    assert_eq!(secret.len(), 64, "{page}");
    let site_id = page.split("/webhooks/github/").nth(1).map(|s| s[..36].to_owned()).unwrap();
    let site_path = format!("/sites/{site_id}");
    assert!(page.contains(&t(Lang::En, "site-done-created")), "{page}");
    for leak in ["s3cret-value", "key-material", "production"] {
        assert!(!page.contains(leak), "{leak} is shown: {page}");
    }
    let (_, shown) = html(&admin, &site_path).await;
    assert!(!shown.contains(&secret) && shown.contains("DATABASE_URL") && shown.contains("/webhooks/github/"));

    // Deploy now: one deployment succeeds, the next fails at the health check.
    let csrf = common::csrf_in(&shown);
    let (first, page) =
        ask(&mut admin, &format!("{site_path}/deploy"), &[("commit", String::new()), ("csrf", csrf.clone())], "deploy")
            .await;
    assert!(page.contains("Deployment requested") && page.contains("user:amira"), "{page}");
    let (r1, r2) = (Uuid::now_v7(), Uuid::now_v7());
    let done = [
        E::DeploymentFetched { commit: C1.into() },
        E::DeploymentBuilt { release_id: r1 },
        E::DeploymentStarted { colour: Colour::Blue },
        E::DeploymentHealthPassed {},
        E::DeploymentSwitched { colour: Colour::Blue },
        E::DeploymentDrained {},
        E::DeploymentSucceeded {},
    ];
    record(&app, first, &done).await;
    let (second, _) =
        ask(&mut admin, &format!("{site_path}/deploy"), &[("commit", C2.into()), ("csrf", csrf.clone())], "deploy")
            .await;
    let reason = lawha_deploy_worker::messages::unhealthy_status("http://127.0.0.1:9302/health", 3, 30, 502);
    let failed = [
        E::DeploymentFetched { commit: C2.into() },
        E::DeploymentBuilt { release_id: r2 },
        E::DeploymentStarted { colour: Colour::Green },
        E::DeploymentFailed { step: Step::Health, reason, log_tail: "listening on 9302".into() },
    ];
    record(&app, second, &failed).await;
    let job = read::deployment(&app.state.db.read_models, second).await.unwrap().unwrap().job_id.unwrap();
    common::jobs::log_line(&app, Uuid::parse_str(&job).unwrap(), 1, "npm run build: done").await;

    let (_, list) = html(&admin, "/sites").await;
    assert_clean(&list);
    assert!(list.contains(r#"data-state="serving""#) && list.contains("colour--blue"), "{list}");
    assert!(list.contains(&format!(r#"<bdi dir="ltr"><code title="{C1}">{}</code></bdi>"#, &C1[..12])), "{list}");
    assert!(
        list.contains(&format!(r#"href="/deployments/{second}""#)) && list.contains("did not answer 200"),
        "{list}"
    );
    let (_, site) = html(&admin, &site_path).await;
    assert_clean(&site);
    assert!(site.contains(&format!(r#"data-release="{r1}" data-live-release"#)), "{site}");
    assert_eq!(site.matches(r#"name="release_id""#).count(), 1, "Rollback only on the release that does not serve");
    assert!(site.contains(&format!(r#"name="release_id" value="{r2}""#)), "{site}");
    assert!(
        site.contains(&format!(r#"data-deployment="{second}" data-status="failed""#)) && site.contains("health check")
    );
    let (_, failed_page) = html(&admin, &format!("/deployments/{second}")).await;
    assert_clean(&failed_page);
    assert!(
        failed_page.contains("data-deployment-error") && failed_page.contains("did not answer 200"),
        "{failed_page}"
    );
    assert!(
        failed_page.contains("listening on 9302") && failed_page.contains(r#"data-step="failed""#),
        "{failed_page}"
    );
    assert!(failed_page.contains("npm run build: done") && !failed_page.contains(r#"data-live="refresh""#));
    let (_, done_page) = html(&admin, &format!("/deployments/{first}")).await;
    assert!(done_page.contains(r#"data-step="switched""#) && done_page.contains(C1), "{done_page}");

    // Changed: the form shows names, never values or the key; an empty value keeps the stored one.
    let (_, edit) = html(&admin, &format!("{site_path}/edit")).await;
    assert_clean(&edit);
    assert!(edit.contains("DATABASE_URL=\nMODE=\n") && !edit.contains("s3cret") && !edit.contains("key-material"));
    assert!(edit.contains(r#"name="remove_deploy_key""#), "{edit}");
    let changed = site_form("shop", &csrf, &[("env", "DATABASE_URL=\r\nMODE=staging"), ("deploy_key", "")]);
    let saved = admin.post_form(&site_path, &changed).await;
    assert_eq!(saved.url().query(), Some("done=updated"));
    let site_uuid = Uuid::parse_str(&site_id).unwrap();
    let (_, spec) = commands::live_site(&app.state.db, site_uuid).await.unwrap();
    let seal = commands::seal_key(app.state.config.secret_key_bytes());
    let values = input::open(&app.state.db, &seal, spec.env.values_secret.as_ref().unwrap()).await.unwrap();
    let values: serde_json::Value = serde_json::from_slice(&values).unwrap();
    assert_eq!((values["DATABASE_URL"].as_str(), values["MODE"].as_str()), (Some(DB_URL), Some("staging")));
    assert!(spec.deploy_key_secret.is_some(), "an empty key field keeps the key");

    let (rollback, page) = ask(
        &mut admin,
        &format!("{site_path}/rollback"),
        &[("release_id", r2.to_string()), ("csrf", csrf.clone())],
        "rollback",
    )
    .await;
    assert!(page.contains(r#"data-trigger="rollback""#) && page.contains(&r2.to_string()), "{page}");
    assert_ne!(rollback, second);
    let rotated = admin.post_form(&format!("{site_path}/webhook-secret"), &[("csrf", csrf.clone())]).await;
    assert_eq!((rotated.status(), rotated.headers()["cache-control"].to_str().unwrap()), (StatusCode::OK, "no-store"));
    let page = rotated.text().await.unwrap();
    let new_secret = page.split("data-webhook-secret>").nth(1).and_then(|s| s.split('<').next()).unwrap();
    assert!(new_secret.len() == 64 && new_secret != secret, "{page}");

    in_arabic(&mut admin, &site_path, second).await;
    let deleted = admin.post_form(&format!("{site_path}/delete"), &[("csrf", admin.csrf.clone())]).await;
    assert_eq!(deleted.url().query(), Some("done=deleted"));
    assert!(visible(&deleted.text().await.unwrap()).contains(&t(Lang::Ar, "site-done-deleted")));
    assert_eq!(html(&admin, &site_path).await.0, StatusCode::NOT_FOUND);
    app.stop().await.unwrap();
}

/// Switches to Arabic and reads every page: right to left, its own words, the worker's reason in Arabic.
async fn in_arabic(browser: &mut Browser<'_>, site_path: &str, failed: Uuid) {
    let csrf = browser.csrf.clone();
    browser.post_form("/settings/language", &[("lang", "ar".into()), ("csrf", csrf)]).await;
    let pages = [
        ("/sites".to_owned(), "sites-title"),
        ("/sites/new".to_owned(), "site-new-title"),
        (site_path.to_owned(), "site-releases"),
        (format!("{site_path}/edit"), "site-edit-title"),
        (format!("/deployments/{failed}"), "deployment-steps"),
    ];
    for (path, words) in pages {
        let (status, page) = html(browser, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_clean(&page);
        assert!(page.contains(r#"<html lang="ar" dir="rtl">"#) && page.contains(&t(Lang::Ar, words)), "{path}: {page}");
        assert!(page.contains(&t(Lang::Ar, "nav-sites")), "{path}");
    }
    let (_, page) = html(browser, &format!("/deployments/{failed}")).await;
    assert!(page.contains("لم يُجب") && !page.contains("did not answer 200"), "the reason in Arabic: {page}");
    assert!(page.contains(&t(Lang::Ar, "deploy-step-health")), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_is_required_and_viewers_and_operators_get_only_their_actions() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let mut admin = signed_in(&app, "amira", Role::Admin).await;
    let body = serde_json::json!({
        "name": "shop", "repository": "https://github.com/example/shop.git", "branch": "main", "runtime": "process",
        "start_command": "./shop --port $PORT", "health_path": "/health", "ports": {"blue": 9311, "green": 9312},
    });
    let created = admin.send_json(reqwest::Method::POST, "/api/v1/sites", &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let site: serde_json::Value = created.json().await.unwrap();
    let site_path = format!("/sites/{}", site["id"].as_str().unwrap());
    let mut operator = signed_in(&app, "omar", Role::Operator).await;
    let mut viewer = signed_in(&app, "vera", Role::Viewer).await;
    let head = app.state.db.events.head().await.unwrap();

    // Without the session's token nothing is done, whoever asks.
    for (path, form) in [
        (format!("{site_path}/deploy"), vec![("commit", String::new())]),
        (format!("{site_path}/delete"), vec![]),
        (format!("{site_path}/webhook-secret"), vec![]),
        ("/sites".to_owned(), site_form("other", "wrong-token", &[])),
    ] {
        let refused = admin.post_form(&path, &form).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "nothing is recorded without the CSRF token");

    let (_, page) = html(&operator, &site_path).await;
    assert!(page.contains(&format!(r#"action="{site_path}/deploy""#)), "operators may deploy: {page}");
    assert!(!page.contains("/edit\"") && !page.contains("/delete\"") && !page.contains("/webhook-secret\""), "{page}");
    let csrf = operator.csrf.clone();
    for path in [format!("{site_path}/delete"), format!("{site_path}/webhook-secret")] {
        assert_eq!(
            operator.post_form(&path, &[("csrf", csrf.clone())]).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(operator.post_form("/sites", &site_form("x", &csrf, &[])).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(html(&operator, "/sites/new").await.0, StatusCode::FORBIDDEN);
    let bad_commit =
        operator.post_form(&format!("{site_path}/deploy"), &[("commit", "abc".into()), ("csrf", csrf)]).await;
    assert_eq!(bad_commit.status(), StatusCode::UNPROCESSABLE_ENTITY, "a short commit is refused on the page");
    assert!(visible(&bad_commit.text().await.unwrap()).contains(r#"class="alert alert--error""#));
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "nothing refused is recorded");

    let (status, page) = html(&viewer, &site_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("/deploy\"") && !page.contains("/edit\"") && !page.contains("/rollback\""), "{page}");
    let csrf = viewer.csrf.clone();
    let deploy = [("commit", String::new()), ("csrf", csrf.clone())];
    let denied = viewer.post_form(&format!("{site_path}/deploy"), &deploy).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN, "a viewer cannot deploy");
    let rollback = [("release_id", Uuid::now_v7().to_string()), ("csrf", csrf)];
    let denied = viewer.post_form(&format!("{site_path}/rollback"), &rollback).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN, "a viewer cannot roll back");
    assert_eq!(app.state.db.events.head().await.unwrap(), head, "a viewer records nothing");
    let unknown = Uuid::now_v7();
    for path in [format!("/sites/{unknown}"), "/sites/not-a-uuid".to_owned(), format!("/deployments/{unknown}")] {
        let (status, page) = html(&viewer, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains(&t(Lang::En, "error-404-title")), "{page}");
    }

    let deploy = [("commit", String::new()), ("csrf", operator.csrf.clone())];
    let deployed = operator.post_form(&format!("{site_path}/deploy"), &deploy).await;
    assert!(deployed.url().path().starts_with("/deployments/"), "an operator deploys: {}", deployed.url());
    app.stop().await.unwrap();
}
