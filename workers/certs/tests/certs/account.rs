//! The ACME accounts: registered once per directory and address, kept sealed at rest (mode 0600, no readable
//! key), found again without a second registration, and never replaced when they do not open. The CA here is a
//! minimal fake over plain HTTP on loopback (which the certificate rules allow), so this also covers the plain
//! HTTP client that instant-acme lacks.

use std::{
    os::unix::fs::PermissionsExt as _,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{
    Router,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::{get, head, post},
};
use lawha_cert_worker::engine::account::{Accounts, SEAL_PURPOSE, account_file};
use lawha_domain::certificates::Directory;
use lawha_store::SealKey;

/// A fake CA that registers accounts; returns its directory and how many registrations it saw.
async fn fake_ca() -> (Directory, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let registrations = Arc::new(AtomicUsize::new(0));
    let (count, dir) = (registrations.clone(), base.clone());
    let app = Router::new()
        .route(
            "/dir",
            get(move || async move {
                axum::Json(serde_json::json!({
                    "newNonce": format!("{dir}/nonce"), "newAccount": format!("{dir}/acct"), "newOrder": format!("{dir}/order"),
                }))
            }),
        )
        .route("/nonce", head(|| async { ([("replay-nonce", "nonce-1")], StatusCode::OK) }))
        .route(
            "/acct",
            post(move || async move {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let location = format!("http://127.0.0.1/acct/{n}");
                (StatusCode::CREATED, [(header::LOCATION, location)], axum::Json(serde_json::json!({}))).into_response()
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (Directory::Custom { url: format!("{base}/dir"), trusted_root: None }, registrations)
}

#[tokio::test]
async fn an_account_is_registered_once_and_kept_sealed() {
    let (directory, registrations) = fake_ca().await;
    let dir = tempfile::tempdir().unwrap();
    let accounts = Accounts {
        dir: dir.path().join("accounts"),
        seal: SealKey::derive(b"lawha-test-secret-key-0123456789abcdef", SEAL_PURPOSE),
    };

    accounts.account(&directory, Some("ops@lawha.test")).await.expect("registered");
    accounts.account(&directory, Some("ops@lawha.test")).await.expect("found again");

    assert_eq!(registrations.load(Ordering::SeqCst), 1, "the kept account is used, not registered again");
    let file = account_file(&accounts.dir, directory.url(), Some("ops@lawha.test"));
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let sealed = std::fs::read_to_string(&file).unwrap();
    assert!(!sealed.contains("key_pkcs8") && !sealed.contains('{'), "the credentials are sealed: {sealed}");

    accounts.account(&directory, None).await.expect("another address is another account");
    assert_eq!(registrations.load(Ordering::SeqCst), 2);

    let other_key =
        Accounts { seal: SealKey::derive(b"another-secret-key-0123456789abcdef!!", SEAL_PURPOSE), ..accounts };
    let Err(refused) = other_key.account(&directory, Some("ops@lawha.test")).await else {
        panic!("an account sealed with another key opened");
    };
    assert_eq!(refused.reason.code, "certs.account_unopenable");
    assert!(file.exists(), "an account that does not open is never replaced");
}
