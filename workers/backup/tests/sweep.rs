//! The worker's sweep on a real log: it finds the folders of every restore target the log names and cleans up
//! beside each what restores left (a killed restore's staging folder, a replaced folder kept past
//! `backups.safety_copy_hours`, a swap a crash cut short), and leaves what is still to be kept.

use std::path::{Path, PathBuf};

use lawha_backup_worker::{Deps, sweep};
use lawha_config::Config;
use lawha_domain::{
    Aggregate as _, DomainEvent as _, ExpectedVersion, Metadata,
    backups::{BackupRun, RestoreTarget, RunEvent},
};
use lawha_store::testkit::TestDb;
use uuid::Uuid;

/// A folder of its own under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("lawha-worker-sweep-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("scratch folder");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Records a restore of some run into `path`, as the panel does.
async fn restore_requested(db: &TestDb, path: &Path) {
    let run_id = Uuid::now_v7();
    let target = RestoreTarget { path: Some(path.display().to_string()), ..RestoreTarget::default() };
    let event = RunEvent::BackupRestoreRequested { run_id, target, overwrite: true, identity_secret: None };
    let stream = BackupRun::stream(run_id);
    let events = vec![event.to_new_event(Metadata::default())];
    db.db.events.append(&stream, ExpectedVersion::Any, events).await.expect("append");
}

/// A folder with one file, standing for what a restore left.
fn leftover(path: &Path) {
    std::fs::create_dir_all(path).expect("leftover");
    std::fs::write(path.join("f"), "x").expect("file");
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_worker_sweeps_beside_every_restore_target_the_log_names() {
    let db = TestDb::sqlite().await;
    let scratch = Scratch::new();
    let (sites, apps) = (scratch.0.join("sites"), scratch.0.join("apps"));
    leftover(&sites.join("blog"));
    leftover(&sites.join(".blog.restore-AbC123"));
    leftover(&sites.join(".blog.lawha-previous-20200101T000000Z-0a1b2c3d"));
    let fresh = format!(".blog.lawha-previous-{}-0a1b2c3e", chrono::Utc::now().format("%Y%m%dT%H%M%SZ"));
    leftover(&sites.join(&fresh));
    leftover(&apps.join(".api.lawha-moving-20260101T000000Z-0a1b2c3f"));
    leftover(&scratch.0.join("never-restored/.x.restore-Zz9999"));
    restore_requested(&db, &sites.join("blog")).await;
    restore_requested(&db, &apps.join("api")).await;
    let mut config = Config::test(&scratch.0.join("data"));
    config.backups.safety_copy_hours = 24;

    let swept = sweep::everywhere(&Deps::new(db.db.clone(), &config)).await;

    assert_eq!((swept.staging_removed, swept.previous_removed), (1, 1), "{swept:?}");
    assert_eq!(swept.put_back, [apps.join("api")], "the target a cut swap left missing has its folder back");
    assert_eq!(names(&sites), [fresh.as_str(), "blog"], "a copy younger than 24 hours stays");
    assert_eq!(names(&apps), ["api"]);
    assert_eq!(names(&scratch.0.join("never-restored")), [".x.restore-Zz9999"], "only where restores went");
}
