//! Which paths backups may touch, through the API on PostgreSQL with the in-process backup worker: the panel's
//! own data folder, a configured protected path and system folders are refused up front (422 naming the field,
//! nothing recorded), `..` included; a restore into the panel's own database is refused; an overwriting restore
//! keeps the replaced folder beside the target; a restore the worker refuses is recorded as failed on the run
//! while its job cannot be retried by hand; `lawha backup verify` decodes a plain archive, so a manifest that
//! understates what it expands to is caught. No restore ever points at a real system path: those are refused
//! before anything is written, and every restore that runs goes into a temporary folder.

use crate::common;

use std::{path::Path, process::Command, time::Duration};

use lawha_config::Secret;
use lawha_domain::users::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The panel with Redis and the in-process backup worker, protecting `protected` too.
async fn app(protected: &Path) -> (common::TestApp, lawha_store::testkit::TestDb) {
    let db = common::postgres().await;
    let (mut config, dir) = common::config(&db.url);
    config.redis_url = Some(Secret::new(lawha_jobs::testkit::redis_url()));
    config.jobs.namespace = lawha_jobs::testkit::namespace();
    config.backups.protected_paths = vec![protected.to_path_buf()];
    (common::spawn_with(common::with_workers(config), dir, axum::Router::new()).await, db)
}

/// A signed-in administrator: plans and restores are asked for as a person does (a token may not be enough).
struct Admin<'a>(common::Browser<'a>);

impl<'a> Admin<'a> {
    async fn sign_in(app: &'a common::TestApp) -> Admin<'a> {
        common::create_user(app, "amira", Role::Admin, "a long enough password").await;
        let mut browser = common::Browser::open(app).await;
        browser.sign_in("amira", "a long enough password").await;
        Admin(browser)
    }

    /// Sends `body` (or reads, without one); the status and the JSON answer.
    async fn call(&mut self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let response = match body {
            Some(body) => self.0.send_json(method, path, &body).await,
            None => self.0.get(path).await,
        };
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Asks for a plan backing up `source` into `destination`.
    async fn create_plan(&mut self, name: &str, source: &Path, destination: &Path) -> (StatusCode, Value) {
        let plan = json!({
            "name": name, "source": {"kind": "directory", "path": source},
            "destination": {"kind": "local", "path": destination}
        });
        self.call(Method::POST, "/api/v1/backup-plans", Some(plan)).await
    }

    /// Asks for a restore of `run`.
    async fn restore(&mut self, run: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, &format!("/api/v1/backup-runs/{run}/restore"), Some(body)).await
    }

    /// Reads `path` until `done` holds for the answer (60 s at most).
    async fn wait(&mut self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let (_, body) = self.call(Method::GET, path, None).await;
            if done(&body) {
                return body;
            }
            assert!(std::time::Instant::now() < deadline, "{what} did not happen within 60 s: {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The run once its last restore, by job `job`, ended.
    async fn restore_ended(&mut self, run: &str, job: &Value) -> Value {
        let path = format!("/api/v1/backup-runs/{run}");
        self.wait(&path, "the restore", |r| {
            r["last_restore"]["job_id"] == *job && r["last_restore"]["state"] != "requested"
        })
        .await
    }
}

/// The 422's message code for `field`.
fn refused_field(body: &Value, field: &str) -> String {
    let problems = body["error"]["details"]["problems"].as_array().cloned().unwrap_or_default();
    let problem = problems.iter().find(|p| p["field"] == field);
    problem
        .and_then(|p| p["message_code"].as_str())
        .unwrap_or_else(|| panic!("{field} is not named: {body}"))
        .to_owned()
}

/// How many restores the log holds.
async fn restore_requests(app: &common::TestApp) -> usize {
    let filter = lawha_store::EventFilter::types(["BackupRestoreRequested"]);
    app.state.db.events.read_all(0, 10_000, &filter).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_paths_and_system_folders_are_refused_up_front_and_restores_keep_what_they_replace() {
    let work = tempfile::tempdir().unwrap();
    let work_path = std::fs::canonicalize(work.path()).unwrap();
    let keys = work_path.join("keys");
    std::fs::create_dir_all(keys.join("deploy")).unwrap();
    let (app, _db) = app(&keys).await;
    let mut admin = Admin::sign_in(&app).await;
    let (site, backups) = (work_path.join("site"), work_path.join("backups"));
    std::fs::create_dir_all(site.join("conf")).unwrap();
    std::fs::write(site.join("conf/app.toml"), "new = true\n").unwrap();

    // The panel's own data folder, a configured protected path, and `..` out to /etc: 422, each on its field.
    let data_dir = app.state.config.data_dir.clone();
    let (status, body) = admin.create_plan("own", &data_dir, &backups).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(refused_field(&body, "source.path"), "engine.path_is_protected");
    let (status, body) = admin.create_plan("keys", &keys.join("deploy"), &backups).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(refused_field(&body, "source.path"), "engine.path_in_protected");
    let (status, body) = admin.create_plan("etc", &site, Path::new("/tmp/lawha-no-such-folder/../../etc")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(refused_field(&body, "destination.path"), "engine.path_climbs_where_missing");
    let up_to_etc = site.join("../".repeat(work_path.components().count() + 1)).join("etc");
    let (_, body) = admin.create_plan("etc", &site, &up_to_etc).await;
    assert_eq!(refused_field(&body, "destination.path"), "engine.path_system_folder", "{body}");
    let (_, body) = admin.create_plan("holds", &site, &work_path).await;
    assert_eq!(refused_field(&body, "destination.path"), "engine.path_holds_protected", "{body}");
    let (_, plans) = admin.call(Method::GET, "/api/v1/backup-plans", None).await;
    assert_eq!(plans["plans"], json!([]), "a refused plan leaves nothing");

    // A plan that is fine, and one backup.
    let (status, created) = admin.create_plan("site", &site, &backups).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let plan = created["id"].as_str().unwrap().to_owned();
    let (_, requested) = admin.call(Method::POST, &format!("/api/v1/backup-plans/{plan}/run"), Some(json!({}))).await;
    let run = requested["run_id"].as_str().unwrap().to_owned();
    let done = admin
        .wait(&format!("/api/v1/backup-runs/{run}"), "the run", |r| {
            r["status"] == "completed" || r["status"] == "failed"
        })
        .await;
    assert_eq!(done["status"], "completed", "{done}");

    // Restores over system folders or the panel's own state: 422 before anything is recorded, let alone written.
    for target in
        [json!({"path": "/etc"}), json!({"path": "/"}), json!({"path": "/usr/local/site"}), json!({"path": data_dir})]
    {
        let (status, body) = admin.restore(&run, json!({"target": target, "overwrite": true})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{target}: {body}");
        assert_eq!(body["error"]["message_args"]["field"], "target.path", "{target}: {body}");
    }
    let own_database = json!({"url": app.state.config.database_url.expose()});
    let (status, body) = admin.restore(&run, json!({"target": own_database})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["message_args"]["problem"]["code"], "engine.restore_into_panel_database", "{body}");
    assert_eq!(restore_requests(&app).await, 0, "nothing was recorded");

    // An overwrite into a temporary folder: the restored tree in place, the replaced one kept beside it.
    let target = work_path.join("live");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("old.txt"), "old").unwrap();
    let (status, accepted) = admin.restore(&run, json!({"target": {"path": target}, "overwrite": true})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let after = admin.restore_ended(&run, &accepted["job_id"]).await;
    assert_eq!(after["last_restore"]["state"], "restored", "{after}");
    assert_eq!(std::fs::read_to_string(target.join("conf/app.toml")).unwrap(), "new = true\n");
    let kept: Vec<_> = std::fs::read_dir(&work_path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".live.lawha-previous-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read_to_string(kept[0].join("old.txt")).unwrap(), "old");

    // A restore the worker refuses (the target exists, overwriting was not asked for): failed on the run, and
    // its job ended without a retry by hand to offer, since the same request can only be refused again.
    let (_, accepted) = admin.restore(&run, json!({"target": {"path": target}})).await;
    let after = admin.restore_ended(&run, &accepted["job_id"]).await;
    assert_eq!(after["last_restore"]["state"], "failed", "{after}");
    let job = accepted["job_id"].as_str().unwrap();
    let ended = |d: &Value| matches!(d["state"].as_str(), Some("succeeded" | "failed" | "dead"));
    let detail = admin.wait(&format!("/api/v1/jobs/{job}"), "the job's end", ended).await;
    assert_eq!(detail["state"], "succeeded", "{detail}");
    assert_eq!(detail["retryable_by_hand"], false, "{detail}");
    assert_eq!(detail["output"]["refused"]["code"], "engine.restore_target_exists", "{detail}");
    app.stop().await.expect("stops");
}

#[test]
fn backup_verify_decodes_a_plain_archive_and_catches_an_understated_manifest() {
    use lawha_backup::manifest::{Manifest, ManifestKey, manifest_path, write_manifest};
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("src");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("data.txt"), "data\n".repeat(10_000)).unwrap();
    let key = ManifestKey::derive(b"lawha-test-secret-key-0123456789abcdef");
    let completed = lawha_backup::archive::run_backup(lawha_backup::archive::BackupRequest {
        source: Box::new(lawha_backup::sources::directory::DirectorySource::new(&source).unwrap()),
        destination: work.path().join("backups"),
        plan_id: uuid::Uuid::now_v7(),
        plan_name: "cli".into(),
        run_id: uuid::Uuid::now_v7(),
        started_at: chrono::Utc::now(),
        level: 3,
        threads: 1,
        recipient: None,
        key: key.clone(),
        progress: None,
    })
    .unwrap();
    let verify = || {
        let output = Command::new(env!("CARGO_BIN_EXE_lawha"))
            .args(["backup", "verify"])
            .arg(&completed.archive_path)
            .env("LAWHA_ENV", "test")
            .env("LAWHA_DATA_DIR", work.path())
            .env("LAWHA_SECRET_KEY", "lawha-test-secret-key-0123456789abcdef")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (code, out) = verify();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("decodes to {} bytes", completed.manifest.source_bytes)), "{out}");

    // The same archive with a manifest, correctly signed, that says it expands to less than it does.
    let path = manifest_path(&completed.archive_path);
    let mut manifest = Manifest::parse(&std::fs::read(&path).unwrap()).unwrap();
    manifest.source_bytes = 512;
    manifest.sign(&key);
    std::fs::remove_file(&path).unwrap();
    write_manifest(&manifest, &path).unwrap();
    let (code, out) = verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("512"), "it says what the manifest claimed: {out}");
}
