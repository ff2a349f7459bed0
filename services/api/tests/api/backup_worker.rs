//! A backup worker process (`lawha worker --queues backups`) killed with SIGKILL in the middle of a backup: no
//! file under a final name is left, the job is delivered again to another worker, and exactly one verified
//! backup results, recorded once.

use std::{
    io::Write as _,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata,
    backups::{
        BackupPlan, BackupRun, Destination, PlanEvent, PlanSpec, Retention, RunEvent, SourceKind, SourceSpec, Trigger,
    },
};
use lawha_jobs::{dispatcher::Dispatcher, queue::Queues, testkit};
use lawha_store::testkit::TestDb;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const SECRET: &str = "lawha-test-secret-key-0123456789abcdef";

fn worker(db: &TestDb, namespace: &str, dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lawha"))
        .args(["worker", "--queues", "backups"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LAWHA_ENV", "test")
        // A data folder of its own: the worker refuses to read or write inside its data folder.
        .env("LAWHA_DATA_DIR", dir.join("data"))
        .env("LAWHA_DATABASE_URL", &db.url)
        .env("LAWHA_REDIS_URL", testkit::redis_url())
        .env("LAWHA_SECRET_KEY", SECRET)
        .env("LAWHA_JOBS__NAMESPACE", namespace)
        .env("LAWHA_LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting `lawha worker`")
}

/// Compressible but varied text, slow to compress at level 19, so the kill lands mid-backup.
fn source(root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    for file in 0..8 {
        let mut out = std::io::BufWriter::new(std::fs::File::create(root.join(format!("log-{file}.txt"))).unwrap());
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ file;
        for line in 0..60_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            writeln!(
                out,
                "{line:08} level=info request_id={x:016x} path=/api/v1/items/{} took={}ms",
                x % 9973,
                x % 997
            )
            .unwrap();
        }
    }
}

async fn run_facts(db: &TestDb, run: Uuid) -> Vec<RunEvent> {
    let events = db.db.events.read_stream(&BackupRun::stream(run), 0, 1000).await.expect("read_stream");
    events.iter().map(|e| RunEvent::from_recorded(e).expect("a run event")).collect()
}

fn final_named(folder: &Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_worker_killed_mid_backup_leaves_no_final_file_and_the_redelivery_makes_one_verified_backup() {
    let db = TestDb::postgres().await;
    let (queues, namespace): (Queues, String) = testkit::redis_queues().await;
    let stop = CancellationToken::new();
    tokio::spawn(Dispatcher::new(db.db.clone(), queues, 500, Duration::from_millis(50)).run(stop.clone()));
    let dir = tempfile::tempdir().unwrap();
    source(&dir.path().join("src"));
    let plan_id = Uuid::now_v7();
    let spec = PlanSpec {
        name: "logs".into(),
        source: SourceSpec {
            kind: SourceKind::Directory,
            path: Some(dir.path().join("src").display().to_string()),
            url: None,
            password_secret: None,
        },
        destination: Destination { kind: "local".into(), path: dir.path().join("backups").display().to_string() },
        schedule: None,
        timezone: "UTC".into(),
        retention: Retention::default(),
        compression_level: 19,
        encryption: None,
    };
    let created = PlanEvent::BackupPlanCreated { plan_id, spec }.to_new_event(Metadata::default());
    db.db.events.append(&BackupPlan::stream(plan_id), ExpectedVersion::Exact(0), vec![created]).await.unwrap();
    let run = Uuid::now_v7();
    let requested =
        RunEvent::BackupRequested { run_id: run, plan_id, trigger: Trigger::Manual }.to_new_event(Metadata::default());
    db.db.events.append(&BackupRun::stream(run), ExpectedVersion::Exact(0), vec![requested]).await.unwrap();

    let mut doomed = worker(&db, &namespace, dir.path());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !run_facts(&db, run).await.iter().any(|f| matches!(f, RunEvent::BackupStarted { .. })) {
        assert!(Instant::now() < deadline, "the first worker did not start the backup within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    Command::new("kill").args(["-KILL", &doomed.id().to_string()]).status().expect("kill");
    let _ = doomed.wait();
    let folder = dir.path().join("backups/logs");
    assert_eq!(final_named(&folder), Vec::<String>::new(), "a killed backup left a file under a final name");
    assert!(
        !run_facts(&db, run).await.iter().any(|f| matches!(f, RunEvent::BackupCompleted { .. })),
        "the kill landed after the backup completed: make the source slower"
    );

    let mut survivor = worker(&db, &namespace, dir.path());
    // A redelivery waits out the dead worker's missed heartbeats and compresses at level 19 again: on a loaded
    // 2-core machine (the whole suite at once) that took over 90 s once.
    let deadline = Instant::now() + Duration::from_secs(240);
    let facts = loop {
        let facts = run_facts(&db, run).await;
        if facts.iter().any(|f| matches!(f, RunEvent::BackupCompleted { .. })) {
            break facts;
        }
        assert!(Instant::now() < deadline, "the redelivered backup did not complete within 240 s: {facts:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    Command::new("kill").args(["-TERM", &survivor.id().to_string()]).status().expect("kill");
    let _ = survivor.wait();
    stop.cancel();
    assert_eq!(facts.iter().filter(|f| matches!(f, RunEvent::BackupCompleted { .. })).count(), 1, "{facts:#?}");
    let mut names = final_named(&folder);
    names.sort();
    assert_eq!(names.len(), 2, "one archive and its manifest: {names:?}");
    assert!(names[0].ends_with(".tar.zst") && names[1].ends_with(".tar.zst.manifest.json"), "{names:?}");
    let leftovers: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "the killed attempt's partial file is cleaned up: {leftovers:?}");
    let key = lawha_backup::manifest::ManifestKey::derive(SECRET.as_bytes());
    let manifest =
        lawha_backup::verify::verify_archive(&folder.join(&names[0]), &key, Some(run)).expect("the archive verifies");
    assert_eq!(manifest.run_id, run);
}
