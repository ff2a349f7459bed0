//! Release folders and pruning, on a real file system: the order is the recorded one, whatever the folders'
//! mtimes, and the live release and the one being deployed are never removed.

use lawha_deploy_worker::engine::{EngineError, releases::Releases};

use crate::support::Log;

#[tokio::test]
async fn pruning_keeps_the_newest_and_the_protected_releases_by_recorded_order() {
    let root = tempfile::tempdir().unwrap();
    let releases = Releases::new(root.path());
    for release in ["r1", "r2", "r3", "r4", "r5"] {
        let path = releases.create("app", release).await.unwrap();
        std::fs::write(path.join("built.txt"), release).unwrap();
    }
    // The oldest release is written to last (a build's cache, say): its mtime says nothing about its age.
    std::fs::write(releases.path("app", "r1").unwrap().join("touched"), "now").unwrap();
    // A folder made by hand is not the index's to remove.
    std::fs::create_dir(root.path().join("app").join("by-hand")).unwrap();

    let mut log = Log::new();
    // r1 serves; r5 is being deployed; keep 2.
    let removed = releases.prune("app", 2, &["r1", "r5"], &log.tx).await.unwrap();
    assert_eq!(removed, ["r2", "r3"]);
    assert_eq!(releases.list("app").await.unwrap(), ["r1", "r4", "r5"]);
    for (release, exists) in [("r1", true), ("r2", false), ("r3", false), ("r4", true), ("r5", true)] {
        assert_eq!(releases.path("app", release).unwrap().exists(), exists, "{release}");
    }
    assert!(root.path().join("app").join("by-hand").exists());
    let codes: Vec<String> = log.drain().into_iter().map(|m| m.code).collect();
    assert_eq!(codes, ["deploy.release_pruned", "deploy.release_pruned"]);

    let removed = releases.prune("app", 2, &["r5"], &log.tx).await.unwrap();
    assert_eq!(removed, ["r1"], "once it no longer serves, the oldest goes");
}

#[tokio::test]
async fn a_release_is_created_once_and_odd_names_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let releases = Releases::new(root.path());
    releases.create("app", "r1").await.unwrap();
    assert!(matches!(releases.create("app", "r1").await, Err(EngineError::ReleaseExists(_))));
    for (site, release) in [("app", ".."), ("app", ".index.json"), ("app", "a/b"), ("..", "r2"), ("", "r2")] {
        let error = releases.create(site, release).await;
        assert!(matches!(error, Err(EngineError::InvalidName { .. })), "{site}/{release}: {error:?}");
    }
    assert_eq!(releases.list("app").await.unwrap(), ["r1"]);
    assert!(releases.list("other").await.unwrap().is_empty(), "a site without releases has none");
}

#[tokio::test]
async fn an_entry_whose_folder_is_gone_is_forgotten_when_pruned() {
    let root = tempfile::tempdir().unwrap();
    let releases = Releases::new(root.path());
    for release in ["r1", "r2", "r3"] {
        releases.create("app", release).await.unwrap();
    }
    std::fs::remove_dir(releases.path("app", "r1").unwrap()).unwrap();
    let removed = releases.prune("app", 1, &[], &Log::new().tx).await.unwrap();
    assert_eq!(removed, ["r1", "r2"]);
    assert_eq!(releases.list("app").await.unwrap(), ["r3"]);
}
