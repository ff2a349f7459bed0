//! The `process` runtime with real apps (the Python app of `support`): started detached in a group of its own,
//! its output in its log, found again by a fresh runtime, stopped gracefully or killed, and never confused with
//! another process that got its pid.

use std::time::Duration;

use lawha_deploy_worker::engine::{
    health::HealthGate,
    runtime::{AppRuntime, Colour, Stopped, process::ProcessRuntime},
};

use crate::support::{Log, alive, app, app_release, eventually, free_port};

fn gate() -> HealthGate {
    HealthGate { interval: Duration::from_millis(100), deadline: Duration::from_secs(20), ..HealthGate::new("/health") }
}

#[tokio::test]
async fn an_app_starts_answers_logs_and_stops_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ProcessRuntime::new(dir.path().join("state"));
    let release = app_release(dir.path(), "r1");
    let port = free_port();
    runtime.start(&app("shop", Colour::Blue, &release, port)).await.expect("started");
    gate().wait(port, &Log::new().tx).await.expect("healthy");
    assert!(runtime.is_running("shop", Colour::Blue).await);
    assert!(!runtime.is_running("shop", Colour::Green).await);
    let pid_file = runtime.pid_file("shop", Colour::Blue).unwrap();
    assert!(pid_file.ends_with("state/shop/blue.pid"), "{}", pid_file.display());
    let log_file = runtime.log_file("shop", Colour::Blue).unwrap();
    let logged = std::fs::read_to_string(&log_file).unwrap();
    assert!(logged.contains(&format!("listening on {port}")), "{logged}");

    let stopped = runtime.stop("shop", Colour::Blue, Duration::from_secs(5)).await.unwrap();
    assert_eq!(stopped, Stopped::Exited);
    assert!(!runtime.is_running("shop", Colour::Blue).await);
    assert!(!pid_file.exists());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "nothing listens any more");
    assert_eq!(runtime.stop("shop", Colour::Blue, Duration::from_secs(1)).await.unwrap(), Stopped::NotRunning);
}

#[tokio::test]
async fn starting_a_running_colour_again_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ProcessRuntime::new(dir.path().join("state"));
    let release = app_release(dir.path(), "r1");
    let port = free_port();
    let instance = app("shop", Colour::Green, &release, port);
    runtime.start(&instance).await.unwrap();
    gate().wait(port, &Log::new().tx).await.unwrap();
    let first = runtime.pid("shop", Colour::Green).await.expect("runs");
    runtime.start(&instance).await.expect("started again on the same port");
    gate().wait(port, &Log::new().tx).await.unwrap();
    let second = runtime.pid("shop", Colour::Green).await.expect("runs");
    assert_ne!(first, second);
    assert!(!alive(first), "the first app was stopped");
    runtime.stop("shop", Colour::Green, Duration::from_secs(5)).await.unwrap();
}

#[tokio::test]
async fn an_app_that_ignores_sigterm_is_killed_with_what_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ProcessRuntime::new(dir.path().join("state"));
    let release = app_release(dir.path(), "r1");
    let port = free_port();
    let mut stubborn = app("shop", Colour::Blue, &release, port);
    stubborn.start_command = "trap '' TERM; sleep 300 & echo $! > helper.pid; IGNORE_TERM=1 python3 app.py".into();
    runtime.start(&stubborn).await.unwrap();
    gate().wait(port, &Log::new().tx).await.unwrap();
    let helper: u32 = std::fs::read_to_string(release.join("helper.pid")).unwrap().trim().parse().unwrap();
    assert!(alive(helper));
    let stopped = runtime.stop("shop", Colour::Blue, Duration::from_millis(500)).await.unwrap();
    assert_eq!(stopped, Stopped::Killed);
    assert!(eventually(Duration::from_secs(2), || async { !alive(helper) }).await, "the app's helper was killed too");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[tokio::test]
async fn a_recorded_pid_now_used_by_another_process_is_not_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = ProcessRuntime::new(dir.path().join("state"));
    // A stranger in a group of its own, as a pid that was reused would be.
    let mut stranger = std::process::Command::new("sleep");
    std::os::unix::process::CommandExt::process_group(&mut stranger, 0);
    let mut stranger = stranger.arg("30").spawn().unwrap();
    let pid = stranger.id();
    let pid_file = runtime.pid_file("shop", Colour::Blue).unwrap();
    std::fs::create_dir_all(pid_file.parent().unwrap()).unwrap();
    std::fs::write(&pid_file, format!("{pid}\n")).unwrap();
    std::fs::write(pid_file.with_extension("start"), "1\n").unwrap();

    assert!(!runtime.is_running("shop", Colour::Blue).await);
    assert_eq!(runtime.stop("shop", Colour::Blue, Duration::from_secs(1)).await.unwrap(), Stopped::NotRunning);
    assert!(alive(pid), "the stranger was not signalled");
    stranger.kill().unwrap();
    stranger.wait().unwrap();
}

#[test]
fn an_app_outlives_the_worker_that_started_it() {
    let dir = tempfile::tempdir().unwrap();
    let release = app_release(dir.path(), "r1");
    let port = free_port();
    let state = dir.path().join("state");
    let runtime = || tokio::runtime::Runtime::new().unwrap();
    {
        let first_worker = runtime();
        first_worker.block_on(async {
            ProcessRuntime::new(&state).start(&app("shop", Colour::Blue, &release, port)).await.unwrap();
            gate().wait(port, &Log::new().tx).await.unwrap();
        });
    } // The worker's runtime is gone, with the task that waited for the app.
    runtime().block_on(async {
        let again = ProcessRuntime::new(&state);
        assert!(again.is_running("shop", Colour::Blue).await, "a new worker finds the app running");
        gate().wait(port, &Log::new().tx).await.expect("and it still answers");
        assert_eq!(again.stop("shop", Colour::Blue, Duration::from_secs(5)).await.unwrap(), Stopped::Exited);
    });
}
