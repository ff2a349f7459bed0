//! Users, tokens and the authorization table: every route × every kind of principal, through the real app.

use crate::common;

use std::{
    io::Write as _,
    process::{Command, Stdio},
    time::Duration,
};

use common::{Browser, eventually, postgres, spawn_app};
use lawha::{
    http::{auth::Need, routes},
    users,
};
use lawha_domain::{
    Metadata,
    users::{Role, Scope},
};
use reqwest::StatusCode;

fn ends_sessions(path: &str) -> bool {
    path == "/logout" || path.ends_with("sign-out-everywhere")
}

/// Who is asking in the matrix.
enum Who {
    /// No credentials (a browser session that is not signed in, for unsafe methods).
    Anonymous,
    /// A bearer token; `None` level for a token that is not valid.
    Token(String, Option<Role>),
    /// A signed-in browser session: cookie, CSRF token, role.
    Session(String, String, Role),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_each_principal_as_its_declared_need_says() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let meta = Metadata::default();
    let mut principals: Vec<(String, Who)> = vec![("anonymous".into(), Who::Anonymous)];
    for role in [Role::Viewer, Role::Operator, Role::Admin] {
        let user = format!("{role}-user");
        common::create_user(&app, &user, role, "a long enough password").await;
        for scope in [Scope::Read, Scope::Operate, Scope::Admin].into_iter().filter(|s| s.level() <= role) {
            let issued =
                users::create_token(&app.state.db, &user, &format!("{scope}-token"), vec![scope], &meta).await.unwrap();
            principals.push((
                format!("{user} with a {scope} token"),
                Who::Token(issued.token, Some(scope.level().min(role))),
            ));
        }
        let mut browser = Browser::open(&app).await;
        browser.sign_in(&user, "a long enough password").await;
        principals
            .push((format!("{user} signed in"), Who::Session(browser.cookie.clone(), browser.csrf.clone(), role)));
    }
    principals.push(("a revoked-looking garbage token".into(), Who::Token("lawha_0000_ffff".into(), None)));
    // Tokens work once the users projection has caught up.
    let last = principals
        .iter()
        .rev()
        .find_map(|p| match &p.1 {
            Who::Token(token, Some(_)) => Some(token.clone()),
            _ => None,
        })
        .unwrap();
    eventually(Duration::from_secs(15), "the users projection to know the new tokens", || async {
        app.client.get(app.url("/health/live")).bearer_auth(&last).send().await.unwrap().status() == StatusCode::OK
    })
    .await;

    // Routes that end sessions (of the caller, or all of the user's) go last, so they cannot sign the matrix's
    // sessions out before the other routes are tried.
    let mut table = routes::table();
    table.sort_by_key(|(spec, _)| ends_sessions(spec.path));
    for (spec, _) in table {
        for (who, principal) in &principals {
            let mut request = app.client.request(spec.method.clone(), app.url(spec.example));
            let (level, interactive) = match principal {
                Who::Token(token, level) => {
                    request = request.bearer_auth(token);
                    (*level, false)
                }
                Who::Session(_, _, role) if ends_sessions(spec.path) => {
                    // A throwaway session, since the earlier principals of this route signed the user out.
                    let mut browser = Browser::open(&app).await;
                    browser.sign_in(&format!("{role}-user"), "a long enough password").await;
                    request = request.header("cookie", browser.cookie).header("x-csrf-token", browser.csrf);
                    (Some(*role), true)
                }
                Who::Session(cookie, csrf, role) => {
                    request = request.header("cookie", cookie).header("x-csrf-token", csrf);
                    (Some(*role), true)
                }
                Who::Anonymous => {
                    if spec.method != reqwest::Method::GET {
                        // An anonymous browser posts with its session cookie and CSRF token, as a page would.
                        let session = app.get("/api/v1/session").await;
                        let cookie =
                            session.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
                        let csrf =
                            session.json::<serde_json::Value>().await.unwrap()["csrf"].as_str().unwrap().to_owned();
                        request = request.header("cookie", cookie).header("x-csrf-token", csrf);
                    }
                    (None, false)
                }
            };
            let status = request.send().await.unwrap().status();
            let invalid_token = matches!(principal, Who::Token(_, None));
            let expected_refusal = match (spec.need, level) {
                _ if invalid_token => Some(StatusCode::UNAUTHORIZED),
                (Need::Public, _) => None,
                (Need::AtLeast(_) | Need::Session(_), None) => Some(StatusCode::UNAUTHORIZED),
                (Need::Session(_), Some(_)) if !interactive => Some(StatusCode::FORBIDDEN),
                (Need::AtLeast(need) | Need::Session(need), Some(have)) if have < need => Some(StatusCode::FORBIDDEN),
                (Need::AtLeast(_) | Need::Session(_), Some(_)) => None,
            };
            match expected_refusal {
                Some(code) => assert_eq!(status, code, "{} {} as {who}", spec.method, spec.example),
                None => assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{} {} as {who} was refused with {status}",
                    spec.method,
                    spec.example
                ),
            }
        }
    }
    app.stop().await.unwrap();
}

fn lawha(url: &str, dir: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lawha"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LAWHA_ENV", "test")
        .env("LAWHA_DATA_DIR", dir)
        .env("LAWHA_DATABASE_URL", url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments exits without reading standard input: a broken pipe is then expected.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing the command's input: {e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_create_users_and_print_a_token_once() {
    let db = postgres().await;
    let dir = tempfile::tempdir().unwrap();
    let password = "correct horse battery staple\n";
    let (code, stdout, stderr) =
        lawha(&db.url, dir.path(), &["admin", "create-user", "amira", "--role", "operator"], password);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "created user amira (operator)");
    assert!(!stdout.contains("correct horse") && !stderr.contains("correct horse"));

    let (code, _, stderr) = lawha(&db.url, dir.path(), &["admin", "create-user", "amira", "--role", "admin"], password);
    assert_eq!(code, 1);
    assert!(stderr.contains("already exists"), "{stderr}");
    let (code, _, stderr) = lawha(&db.url, dir.path(), &["admin", "create-user", "bob", "--role", "viewer"], "short\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("at least 12 characters"), "{stderr}");
    let (code, _, stderr) =
        lawha(&db.url, dir.path(), &["admin", "create-user", "Bad Name", "--role", "viewer"], password);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = lawha(&db.url, dir.path(), &["admin", "create-user", "carol", "--role", "root"], password);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("viewer, operator, admin"), "{stderr}");

    let (code, stdout, stderr) =
        lawha(&db.url, dir.path(), &["admin", "create-token", "ci", "--user", "amira", "--scope", "operate"], "");
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "the token is alone on stdout: {stdout:?}");
    assert!(lines[0].starts_with("lawha_") && lines[0].len() > 90, "{stdout}");

    let (code, stdout, stderr) =
        lawha(&db.url, dir.path(), &["admin", "create-token", "too-much", "--user", "amira", "--scope", "admin"], "");
    assert_eq!(code, 1, "{stdout}");
    assert!(stderr.contains("operator cannot issue a token with the admin scope"), "{stderr}");
    let (code, _, stderr) =
        lawha(&db.url, dir.path(), &["admin", "create-token", "x", "--user", "nobody", "--scope", "read"], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("no such user"), "{stderr}");

    // The token works against the running panel once its projection has run.
    let app = spawn_app(&db.url).await;
    let token = lines[0].to_owned();
    eventually(Duration::from_secs(15), "the CLI-issued token to authenticate", || async {
        app.client.get(app.url("/health/live")).bearer_auth(&token).send().await.unwrap().status() == StatusCode::OK
    })
    .await;
    app.stop().await.unwrap();
}

/// The powers a token never has, whatever its scope: creating accounts and giving roles need a signed-in admin,
/// so a leaked token cannot mint an admin with a password and sign in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_token_cannot_create_users_or_change_roles() {
    let db = postgres().await;
    let app = spawn_app(&db.url).await;
    let token = common::token(&app, "amira", Role::Admin, Scope::Admin).await;
    let body = serde_json::json!({"name": "mallory", "role": "admin", "password": "a long enough password"});
    let created = app.client.post(app.url("/api/v1/users")).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::FORBIDDEN);
    let error: serde_json::Value = created.json().await.unwrap();
    assert_eq!(error["error"]["code"], "session_required", "{error}");
    let role = serde_json::json!({"role": "viewer"});
    let changed =
        app.client.put(app.url("/api/v1/users/amira/role")).bearer_auth(&token).json(&role).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::FORBIDDEN);
    // The same admin, signed in, may.
    let mut browser = Browser::open(&app).await;
    browser.sign_in("amira", "a long enough password").await;
    assert_eq!(browser.send_json(reqwest::Method::POST, "/api/v1/users", &body).await.status(), StatusCode::CREATED);
    app.stop().await.unwrap();
}
