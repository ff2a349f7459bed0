//! The backups pages as a browser without JavaScript uses them, on PostgreSQL with Redis and the in-process
//! backup worker: a plan's form with every problem beside its field and nothing recorded, a plan created,
//! run, verified, restored and downloaded from its pages, changed and deleted; what viewers and operators are
//! offered and refused; a database password never shown; the pages in Arabic.

use crate::common;

use std::time::{Duration, Instant};

use common::Browser;
use lawha::ui::{Lang, t};
use lawha_config::Secret;
use lawha_domain::users::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "a long enough password";

async fn app() -> (common::TestApp, lawha_store::testkit::TestDb) {
    let db = common::postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.redis_url = Some(Secret::new(lawha_jobs::testkit::redis_url()));
    config.jobs.namespace = lawha_jobs::testkit::namespace();
    (common::spawn_with(common::with_workers(config), dir, axum::Router::new()).await, db)
}

async fn signed_in<'a>(app: &'a common::TestApp, name: &str, role: Role) -> Browser<'a> {
    common::create_user(app, name, role, PASSWORD).await;
    let mut browser = Browser::open(app).await;
    browser.sign_in(name, PASSWORD).await;
    browser
}

async fn html(browser: &Browser<'_>, path: &str) -> (StatusCode, String) {
    let response = browser.page(path).await;
    (response.status(), response.text().await.unwrap())
}

/// What the Content-Security-Policy would block: inline scripts, styles and handlers.
fn assert_no_inline_code(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains(" style=") && !lower.contains("<style") && !lower.contains(" onclick="), "{html}");
    assert!(lower.matches("<script").count() == lower.matches("<script src=").count(), "{html}");
}

/// Reloads `path` until `done` holds for the page, or fails after 60 s with the last one.
async fn wait_page(browser: &Browser<'_>, path: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, page) = html(browser, path).await;
        if done(&page) {
            return page;
        }
        assert!(Instant::now() < deadline, "{path} did not show {what} within 60 s:\n{page}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn plan_form(name: &str, source: &str, destination: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_owned()),
        ("source_kind", "directory".into()),
        ("source_path", source.to_owned()),
        ("source_url", String::new()),
        ("destination_path", destination.to_owned()),
        ("schedule", String::new()),
        ("timezone", "UTC".into()),
        ("keep_last", "3".into()),
        ("keep_days", String::new()),
        ("max_total_mib", String::new()),
        ("compression_level", "3".into()),
        ("recipient", String::new()),
    ]
}

fn with(mut form: Vec<(&'static str, String)>, csrf: &str, changes: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    for (key, value) in changes {
        form.iter_mut().find(|(k, _)| k == key).expect("a form field").1 = (*value).to_owned();
    }
    form.push(("csrf", csrf.to_owned()));
    form
}

/// A plan with a problem in five fields.
fn bad_plan(csrf: &str, missing: &str) -> Vec<(&'static str, String)> {
    with(plan_form("../x", missing, "relative"), csrf, &[("schedule", "61 * * * *"), ("keep_days", "a week")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_created_run_verified_restored_and_downloaded_from_its_pages() {
    let (app, _db) = app().await;
    let mut admin = signed_in(&app, "amira", Role::Admin).await;
    let work = tempfile::tempdir().unwrap();
    let (source, destination) = (work.path().join("site"), work.path().join("backups"));
    std::fs::create_dir_all(source.join("conf")).unwrap();
    std::fs::write(source.join("conf/app.toml"), "listen = \"127.0.0.1:8080\"\n".repeat(500)).unwrap();
    let (source_text, destination_text) = (source.to_str().unwrap(), destination.to_str().unwrap());

    let (status, list) = html(&admin, "/backups").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&list);
    assert!(list.contains(r#"<a href="/backups" aria-current="page">Backups</a>"#), "in the navigation: {list}");
    assert!(list.contains(&t(Lang::En, "backups-empty")) && list.contains(r#"href="/backups/new""#), "{list}");
    let (status, form) = html(&admin, "/backups/new").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&form);
    assert!(form.contains(r#"<option value="directory" selected>"#) && form.contains(r#"value="UTC""#), "{form}");

    // Every problem at once, each beside its field, what was typed kept, nothing recorded.
    let csrf = admin.csrf.clone();
    let missing = work.path().join("nope");
    let refused = admin.post_form("/backups", &bad_plan(&csrf, missing.to_str().unwrap())).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert_no_inline_code(&page);
    assert!(page.contains("role=\"alert\""), "{page}");
    for field in ["name", "source_path", "destination_path", "schedule", "keep_days"] {
        assert!(page.contains(&format!(r#"data-problem="{field}""#)), "{field} has its problem: {page}");
        assert!(page.contains(&format!(r##"href="#f-{field}""##)), "the summary links to {field}: {page}");
    }
    assert!(page.contains("is not a whole number") && page.contains("does not exist"), "{page}");
    assert!(page.contains(r#"id="f-name" name="name" type="text" class="ltr" dir="ltr" value="../x""#), "{page}");
    assert!(page.contains(r#"id="f-keep_days" name="keep_days" type="number" min="1" value="a week""#), "{page}");
    assert!(page.contains(r#"aria-invalid="true""#), "{page}");
    let (_, list) = html(&admin, "/backups").await;
    assert!(list.contains(&t(Lang::En, "backups-empty")), "a refused plan leaves nothing: {list}");

    let created =
        admin.post_form("/backups", &with(plan_form("site", source_text, destination_text), &csrf, &[])).await;
    assert_eq!(created.url().query(), Some("done=created"), "{}", created.url());
    let plan_path = created.url().path().to_owned();
    let page = created.text().await.unwrap().replace(['\u{2068}', '\u{2069}'], "");
    assert!(page.contains(&t(Lang::En, "backup-done-created")) && page.contains(source_text), "{page}");
    assert!(page.contains(&t(Lang::En, "backup-schedule-none")) && page.contains("the newest 3"), "{page}");
    assert!(page.contains(&format!(r#"action="{plan_path}/run""#)), "admins may run it: {page}");

    let csrf = common::csrf_in(&page);
    let started = admin.post_form(&format!("{plan_path}/run"), &[("csrf", csrf.clone())]).await;
    let run_path = started.url().path().to_owned();
    assert!(run_path.starts_with("/backups/runs/"), "Run now leads to the run: {run_path}");
    let page = started.text().await.unwrap();
    assert_no_inline_code(&page);
    assert!(page.contains(r#"data-live="job-log""#), "the job's log follows live: {page}");
    let done = wait_page(&admin, &run_path, "a finished run", |p| {
        p.contains(r#"data-run-status="completed""#) || p.contains(r#"data-run-status="failed""#)
    })
    .await;
    assert!(done.contains(r#"data-run-status="completed""#), "{done}");
    assert!(!done.contains(r#"data-live="refresh""#), "a finished run stops refreshing: {done}");
    assert!(done.contains("matches the manifest"), "the log tells the read-back: {done}");
    assert!(done.contains(r#"data-form="verify""#) && done.contains(r#"data-form="restore""#), "{done}");
    let sha = done.split("data-sha256>").nth(1).and_then(|s| s.split('<').next()).unwrap().to_owned();
    let archive = done.split("data-archive>").nth(1).and_then(|s| s.split('<').next()).unwrap().to_owned();
    assert_eq!(sha.len(), 64, "{done}");

    let download = admin.get(&format!("{run_path}/download")).await;
    assert_eq!(download.status(), StatusCode::OK);
    let disposition = download.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"") && disposition.contains(".tar.zst"), "{disposition}");
    assert_eq!(download.bytes().await.unwrap().as_ref(), std::fs::read(&archive).unwrap(), "the archive as stored");
    let manifest = admin.get(&format!("{run_path}/download?file=manifest")).await;
    assert!(manifest.text().await.unwrap().contains(&sha), "the manifest names the archive's SHA-256");

    let csrf = common::csrf_in(&done);
    let verified = admin.post_form(&format!("{run_path}/verify"), &[("csrf", csrf.clone())]).await;
    assert_eq!(verified.url().query(), Some("done=verify"));
    wait_page(&admin, &run_path, "an intact verification", |p| p.contains(r#"data-verify="ok""#)).await;

    let target = work.path().join("restored");
    let bad_target = admin
        .post_form(&format!("{run_path}/restore"), &[("target_path", "restored".into()), ("csrf", csrf.clone())])
        .await;
    assert_eq!(bad_target.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_target.text().await.unwrap().contains("must be an absolute path"), "a relative target is refused");
    let restored = admin
        .post_form(&format!("{run_path}/restore"), &[("target_path", target.to_str().unwrap().into()), ("csrf", csrf)])
        .await;
    assert_eq!(restored.url().query(), Some("done=restore"));
    wait_page(&admin, &run_path, "a restore", |p| p.contains(r#"data-restore="restored""#)).await;
    assert_eq!(
        std::fs::read(target.join("conf/app.toml")).unwrap(),
        std::fs::read(source.join("conf/app.toml")).unwrap()
    );

    // Changed: the form shows the plan; the plan page shows the change.
    let (_, edit) = html(&admin, &format!("{plan_path}/edit")).await;
    assert!(edit.contains(&format!(r#"value="{source_text}""#)) && edit.contains(r#"value="3""#), "{edit}");
    let csrf = common::csrf_in(&edit);
    let changed = with(plan_form("site", source_text, destination_text), &csrf, &[("schedule", "0 3 * * *")]);
    let saved = admin.post_form(&plan_path, &changed).await;
    assert_eq!(saved.url().query(), Some("done=updated"));
    let page = saved.text().await.unwrap().replace(['\u{2068}', '\u{2069}'], "");
    assert!(page.contains("0 3 * * * (UTC)") && page.contains(&format!(r#"href="{run_path}""#)), "{page}");

    csrf_and_arabic(&mut admin).await;
    // What the domain, the engine and the worker said travels as codes and reads in Arabic on an Arabic page.
    let (_, run_ar) = html(&admin, &run_path).await;
    let run_ar = run_ar.replace(['\u{2068}', '\u{2069}'], "");
    assert!(run_ar.contains("تطابق البيان") && run_ar.contains("سليم"), "the log and the verification: {run_ar}");
    assert!(!run_ar.contains("matches the manifest") && !run_ar.contains("intact:"), "no English left: {run_ar}");
    let csrf = admin.csrf.clone();
    let refused = admin.post_form("/backups", &bad_plan(&csrf, missing.to_str().unwrap())).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap().replace(['\u{2068}', '\u{2069}'], "");
    assert!(page.contains("ليس عددًا صحيحًا") && page.contains("غير موجود"), "the problems in Arabic: {page}");
    assert!(!page.contains("is not a whole number") && !page.contains("does not exist"), "{page}");
    let deleted = admin.post_form(&format!("{plan_path}/delete"), &[("csrf", csrf)]).await;
    assert_eq!(deleted.url().query(), Some("done=deleted"));
    assert!(deleted.text().await.unwrap().contains(&t(Lang::Ar, "backup-done-deleted")));
    assert!(std::path::Path::new(&archive).exists(), "a deleted plan's archives stay on disk");
    app.stop().await.unwrap();
}

/// Switches `browser` to Arabic and checks the list is right to left.
async fn csrf_and_arabic(browser: &mut Browser<'_>) {
    let csrf = browser.csrf.clone();
    browser.post_form("/settings/language", &[("lang", "ar".into()), ("csrf", csrf)]).await;
    let (_, arabic) = html(browser, "/backups").await;
    assert!(arabic.contains(r#"<html lang="ar" dir="rtl">"#), "{arabic}");
    assert!(arabic.contains(&t(Lang::Ar, "backups-title")) && arabic.contains(&t(Lang::Ar, "backup-kind-directory")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_and_operators_get_only_their_actions_and_a_password_is_never_shown() {
    let db = common::postgres().await;
    let app = common::spawn_app(&db.url).await;
    let mut admin = signed_in(&app, "amira", Role::Admin).await;
    let work = tempfile::tempdir().unwrap();
    let body = serde_json::json!({
        "name": "shop-db", "source": {"kind": "postgres", "url": "postgres://shop:s3cr3t-pw@127.0.0.1:5432/shop"},
        "destination": {"kind": "local", "path": work.path()}, "schedule": null
    });
    let created = admin.send_json(reqwest::Method::POST, "/api/v1/backup-plans", &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let plan: serde_json::Value = created.json().await.unwrap();
    let plan_path = format!("/backups/{}", plan["id"].as_str().unwrap());

    for path in ["/backups".to_owned(), plan_path.clone(), format!("{plan_path}/edit")] {
        let (status, page) = html(&admin, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!page.contains("s3cr3t-pw"), "{path} shows the password: {page}");
        assert!(page.contains("postgres://shop:***@127.0.0.1:5432/shop"), "{path}: {page}");
    }

    let mut operator = signed_in(&app, "omar", Role::Operator).await;
    let (_, page) = html(&operator, &plan_path).await;
    assert!(page.contains(&format!(r#"action="{plan_path}/run""#)), "operators may run: {page}");
    assert!(!page.contains("/edit\"") && !page.contains("/delete\""), "operators may not change or delete: {page}");
    let csrf = operator.csrf.clone();
    let denied = operator.post_form(&format!("{plan_path}/delete"), &[("csrf", csrf.clone())]).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let denied = operator.post_form("/backups", &with(plan_form("x", "/tmp", "/tmp"), &csrf, &[])).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);

    let mut viewer = signed_in(&app, "vera", Role::Viewer).await;
    let (status, page) = html(&viewer, &plan_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("/run\"") && !page.contains("/edit\""), "viewers only look: {page}");
    assert_eq!(html(&viewer, "/backups/new").await.0, StatusCode::FORBIDDEN);
    let csrf = viewer.csrf.clone();
    assert_eq!(viewer.post_form(&format!("{plan_path}/run"), &[("csrf", csrf)]).await.status(), StatusCode::FORBIDDEN);
    let unknown = format!("/backups/{}", uuid::Uuid::now_v7());
    for path in [unknown.clone(), "/backups/not-a-uuid".to_owned(), format!("/backups/runs/{}", uuid::Uuid::now_v7())] {
        let (status, page) = html(&viewer, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains(&t(Lang::En, "error-404-title")), "{page}");
    }
    app.stop().await.unwrap();
}
