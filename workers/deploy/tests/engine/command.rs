//! Commands against real processes: output streamed line by line, failures with their last lines, a time limit
//! that kills what the command started, and an environment that holds only what was given.

use std::time::{Duration, Instant};

use lawha_deploy_worker::{
    engine::{
        EngineError, ExitKind,
        command::{self, Process},
    },
    messages,
};

use crate::support::{Log, alive, eventually, texts};

#[tokio::test]
async fn output_is_streamed_line_by_line_and_kept_as_the_tail() {
    let mut log = Log::new();
    let finished = Process::shell("printf 'one\\ntwo\\n'; echo three >&2").run(&log.tx).await.expect("runs");
    let mut lines = texts(&log.drain());
    lines.sort();
    assert_eq!(lines, ["one", "three", "two"]);
    assert_eq!(finished.tail.len(), 3);
}

#[tokio::test]
async fn a_failure_reports_the_exit_status_and_the_last_lines() {
    let mut log = Log::new();
    let script = "for i in $(seq 1 30); do echo line $i; done; exit 3";
    let error = Process::shell(script).tail_lines(5).run(&log.tx).await.expect_err("exit 3");
    let EngineError::Failed { command, status, output } = &error else { panic!("{error:?}") };
    assert_eq!((command.as_str(), status), (script, &ExitKind::Code(3)));
    assert_eq!(output, &["line 26", "line 27", "line 28", "line 29", "line 30"]);
    assert_eq!(error.message(), messages::command_failed(script, messages::exit_status(3), output.join("\n")));
    assert_eq!(texts(&log.drain()).len(), 30, "every line reached the log, not only the tail");
}

#[tokio::test]
async fn a_timeout_kills_the_command_and_everything_it_started() {
    let dir = tempfile::tempdir().expect("temp");
    let log = Log::new();
    let started = Instant::now();
    let error = Process::shell("sleep 300 & echo $! > grandchild.pid; echo waiting; sleep 300")
        .current_dir(dir.path())
        .timeout(Duration::from_millis(700))
        .run(&log.tx)
        .await
        .expect_err("times out");
    assert!(started.elapsed() < Duration::from_secs(5), "returned after {:?}", started.elapsed());
    let EngineError::TimedOut { output, .. } = &error else { panic!("{error:?}") };
    assert_eq!(output, &["waiting"]);
    let grandchild: u32 = std::fs::read_to_string(dir.path().join("grandchild.pid")).unwrap().trim().parse().unwrap();
    // SIGKILL was sent before run() returned; the kernel ends the process when it next runs.
    let gone = eventually(Duration::from_secs(2), || async { !alive(grandchild) }).await;
    assert!(gone, "the background sleep {grandchild} survived the timeout");
}

#[tokio::test]
async fn a_command_that_ends_leaves_nothing_running() {
    let dir = tempfile::tempdir().expect("temp");
    let log = Log::new();
    Process::shell("sleep 300 > /dev/null 2>&1 & echo $! > forgotten.pid")
        .current_dir(dir.path())
        .run(&log.tx)
        .await
        .unwrap();
    let forgotten: u32 = std::fs::read_to_string(dir.path().join("forgotten.pid")).unwrap().trim().parse().unwrap();
    let gone = eventually(Duration::from_secs(2), || async { !alive(forgotten) }).await;
    assert!(gone, "the build's forgotten background process {forgotten} still runs");
}

#[tokio::test]
async fn the_environment_holds_only_path_home_lang_and_what_was_given() {
    let mut log = Log::new();
    Process::shell("env").env("SITE_SECRET", "s3cret").run(&log.tx).await.unwrap();
    let names: Vec<String> =
        texts(&log.drain()).iter().filter_map(|l| l.split_once('=')).map(|(n, _)| n.to_owned()).collect();
    assert!(names.contains(&"SITE_SECRET".to_owned()) && names.contains(&"PATH".to_owned()), "{names:?}");
    // cargo runs tests with CARGO_* variables set: none reaches the command.
    assert!(!names.iter().any(|n| n.starts_with("CARGO")), "{names:?}");
    let allowed = ["SITE_SECRET", "PATH", "HOME", "LANG", "PWD", "SHLVL", "_", "OLDPWD"];
    assert!(names.iter().all(|n| allowed.contains(&n.as_str())), "{names:?}");
}

#[tokio::test]
async fn a_missing_program_names_its_package() {
    let log = Log::new();
    let error = Process::new("lawha-no-such-tool", "lawha-tools").run(&log.tx).await.expect_err("missing");
    assert_eq!(error.message(), messages::missing_tool("lawha-no-such-tool", "lawha-tools"));
}

#[tokio::test]
async fn the_build_step_runs_in_the_release_with_the_site_variables_and_says_so() {
    let dir = tempfile::tempdir().expect("temp");
    let mut log = Log::new();
    let env = [("GREETING".to_owned(), "hello".to_owned())];
    command::build("echo $GREETING > built.txt", dir.path(), &env, Duration::from_secs(30), &log.tx).await.unwrap();
    assert_eq!(std::fs::read_to_string(dir.path().join("built.txt")).unwrap(), "hello\n");
    let codes: Vec<String> = log.drain().into_iter().map(|m| m.code).collect();
    assert_eq!(codes, ["deploy.building", "deploy.built"]);
}

#[tokio::test]
async fn a_folder_that_is_not_there_is_named_as_such_not_as_a_missing_program() {
    let dir = tempfile::tempdir().expect("temp");
    let missing = dir.path().join("gone");
    let error = Process::shell("true").current_dir(&missing).run(&Log::new().tx).await.expect_err("no folder");
    assert!(matches!(&error, EngineError::Io { path, .. } if *path == missing), "{error:?}");
}
