//! Fetching one commit from real repositories made here with the git CLI and served over `file://`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use lawha_deploy_worker::engine::{
    EngineError,
    git::{Fetch, Reference, fetch},
};

use crate::support::{Log, git, texts};

/// A repository with two commits on `main` and a third on `feature`; each commit writes `version.txt`.
struct Repository {
    _dir: tempfile::TempDir,
    path: PathBuf,
    /// The commits of main, oldest first.
    main: Vec<String>,
    /// The commit of feature.
    feature: String,
}

fn run_git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(git())
        .current_dir(dir)
        .args(["-c", "user.name=Lawha Test", "-c", "user.email=test@lawha.invalid"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn commit(dir: &Path, version: &str) -> String {
    std::fs::write(dir.join("version.txt"), version).unwrap();
    run_git(dir, &["add", "version.txt"]);
    run_git(dir, &["commit", "--quiet", "-m", version]);
    run_git(dir, &["rev-parse", "HEAD"])
}

impl Repository {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp");
        let path = dir.path().join("origin");
        std::fs::create_dir(&path).unwrap();
        run_git(&path, &["init", "--quiet", "--initial-branch", "main"]);
        let main = vec![commit(&path, "v1"), commit(&path, "v2")];
        run_git(&path, &["checkout", "--quiet", "-b", "feature"]);
        let feature = commit(&path, "v3-feature");
        run_git(&path, &["checkout", "--quiet", "main"]);
        Self { _dir: dir, path, main, feature }
    }

    fn url(&self) -> String {
        format!("file://{}", self.path.display())
    }
}

fn request<'a>(url: &'a str, reference: Reference, dest: &'a Path) -> Fetch<'a> {
    Fetch { repository: url, reference, dest, deploy_key: None, timeout: Duration::from_secs(30) }
}

#[tokio::test]
async fn an_older_commit_is_fetched_by_its_id() {
    let repo = Repository::new();
    let dest = tempfile::tempdir().unwrap();
    let mut log = Log::new();
    let url = repo.url();
    let older = repo.main[0].clone();
    let got = fetch(&request(&url, Reference::Commit(older.clone()), dest.path()), &log.tx).await.expect("fetched");
    assert_eq!(got, older);
    assert_eq!(std::fs::read_to_string(dest.path().join("version.txt")).unwrap(), "v1");
    let codes: Vec<String> = log.drain().into_iter().map(|m| m.code).filter(|c| c != "text").collect();
    assert_eq!(codes, ["deploy.fetching", "deploy.fetched"]);
    let depth = run_git(dest.path(), &["rev-list", "--count", "HEAD"]);
    assert_eq!(depth, "1", "only the one commit was fetched");
}

#[tokio::test]
async fn a_branch_is_fetched_at_its_newest_commit() {
    let repo = Repository::new();
    let dest = tempfile::tempdir().unwrap();
    let log = Log::new();
    let url = repo.url();
    let got = fetch(&request(&url, Reference::Branch("feature".into()), dest.path()), &log.tx).await.unwrap();
    assert_eq!(got, repo.feature);
    assert_eq!(std::fs::read_to_string(dest.path().join("version.txt")).unwrap(), "v3-feature");
    let main = tempfile::tempdir().unwrap();
    let got = fetch(&request(&url, Reference::Branch("main".into()), main.path()), &log.tx).await.unwrap();
    assert_eq!(&got, repo.main.last().unwrap());
}

#[tokio::test]
async fn a_commit_the_repository_does_not_have_fails_with_gits_words() {
    let repo = Repository::new();
    let dest = tempfile::tempdir().unwrap();
    let mut log = Log::new();
    let url = repo.url();
    let missing = Reference::Commit("0123456789abcdef0123456789abcdef01234567".into());
    let error = fetch(&request(&url, missing, dest.path()), &log.tx).await.expect_err("no such commit");
    let EngineError::Failed { command, output, .. } = &error else { panic!("{error:?}") };
    assert!(command.contains(" fetch "), "{command}");
    assert!(output.iter().any(|l| l.contains("not our ref")), "{output:?}");
    assert!(texts(&log.drain()).iter().any(|l| l.contains("not our ref")), "git's words reached the log");
}

#[tokio::test]
async fn a_folder_that_is_not_empty_is_refused() {
    let repo = Repository::new();
    let dest = tempfile::tempdir().unwrap();
    std::fs::write(dest.path().join("left-over"), "x").unwrap();
    let url = repo.url();
    let error = fetch(&request(&url, Reference::Branch("main".into()), dest.path()), &Log::new().tx).await;
    assert!(matches!(error, Err(EngineError::NotEmpty(_))), "{error:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_runs_into_the_time_limit() {
    git();
    // A git daemon that accepts the connection and then says nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("git://127.0.0.1:{}/silent.git", listener.local_addr().unwrap().port());
    let held = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let dest = tempfile::tempdir().unwrap();
    let mut fetch_request = request(&url, Reference::Branch("main".into()), dest.path());
    fetch_request.timeout = Duration::from_secs(2);
    let started = Instant::now();
    let error = fetch(&fetch_request, &Log::new().tx).await.expect_err("times out");
    assert!(started.elapsed() < Duration::from_secs(6), "took {:?}", started.elapsed());
    let EngineError::TimedOut { command, after, .. } = &error else { panic!("{error:?}") };
    assert!(command.contains(" fetch ") && *after == Duration::from_secs(2), "{command} {after:?}");
    held.abort();
}

#[tokio::test]
async fn a_deploy_key_is_handed_to_ssh_in_batch_mode() {
    git();
    let dest = tempfile::tempdir().unwrap();
    let key = dest.path().with_extension("missing-key");
    let url = format!("ssh://git@127.0.0.1:{}/app.git", crate::support::free_port());
    let mut fetch_request = request(&url, Reference::Branch("main".into()), dest.path());
    fetch_request.deploy_key = Some(&key);
    let error = fetch(&fetch_request, &Log::new().tx).await.expect_err("nothing listens");
    // ssh names the identity file it was given: GIT_SSH_COMMAND was used; and it failed at once, asking nothing.
    let output = error.output().join("\n");
    assert!(output.contains(&key.display().to_string()) && output.contains("refused"), "{output}");
}
