//! The `docker` runtime against a fake `docker` CLI: no Docker engine runs on the test machines, so a script
//! written here plays the CLI (as `ops/tests/fakes/docker` does for `ops/bluegreen.sh`). It records each call's
//! arguments, and the values the CLI received in its environment for the site's variables, and keeps each
//! container's state in a file. What is checked is what the runtime asks of Docker and what it keeps out of the
//! arguments; that Docker then does it is Docker's part.

use std::{os::unix::fs::PermissionsExt, path::Path, time::Duration};

use lawha_deploy_worker::engine::runtime::{AppInstance, AppRuntime, Colour, Stopped, docker::DockerRuntime};

use crate::support::{Log, texts};

const FAKE: &str = r#"#!/bin/sh
# Fake docker CLI: one line per call in calls.log (arguments separated by |), state files per container.
here=$(dirname "$0")
printf '%s|' "$@" >> "$here/calls.log"; echo >> "$here/calls.log"
case $1 in
    build) echo "Step 1/2 : FROM scratch"; echo "Successfully tagged $3" >&2 ;;
    run) name=$4; echo "SECRET=$SECRET" > "$here/env.seen"; touch "$here/$name.running"; echo 4f1c0ffee ;;
    stop) rm -f "$here/$5.running" ;;
    rm) rm -f "$here/$3.running" ;;
    inspect)
        if [ -e "$here/$4.running" ]; then echo true; else echo "Error: No such object: $4" >&2; exit 1; fi ;;
    *) echo "fake docker: unexpected $*" >&2; exit 2 ;;
esac
"#;

/// The fake CLI in `dir`, as a runtime.
fn fake_docker(dir: &Path) -> DockerRuntime {
    let path = dir.join("docker");
    std::fs::write(&path, FAKE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    DockerRuntime::new(path.display().to_string())
}

fn calls(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls.log")).unwrap_or_default().lines().map(ToOwned::to_owned).collect()
}

#[tokio::test]
async fn a_release_is_built_run_published_on_loopback_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let docker = fake_docker(dir.path());
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let mut log = Log::new();
    let image = docker.build("shop", commit, dir.path(), Duration::from_secs(30), &log.tx).await.unwrap();
    assert_eq!(image, format!("lawha-shop:{commit}"));
    let lines = texts(&log.drain());
    assert!(lines.contains(&"Step 1/2 : FROM scratch".to_owned()), "the build's output is streamed: {lines:?}");

    let app = AppInstance {
        site: "shop".into(),
        colour: Colour::Green,
        commit: commit.into(),
        release_dir: dir.path().to_owned(),
        start_command: "exec node server.js --port $PORT".into(),
        port: 8082,
        env: vec![("SECRET".into(), "hunter2".into())],
    };
    docker.start(&app).await.unwrap();
    assert!(docker.is_running("shop", Colour::Green).await);
    assert!(!docker.is_running("shop", Colour::Blue).await);
    assert_eq!(docker.stop("shop", Colour::Green, Duration::from_secs(3)).await.unwrap(), Stopped::Exited);
    assert!(!docker.is_running("shop", Colour::Green).await);

    let calls = calls(dir.path());
    let expected = [
        format!("build|-t|lawha-shop:{commit}|.|"),
        "rm|-f|lawha-shop-green|".to_owned(),
        format!(
            "run|-d|--name|lawha-shop-green|--restart|unless-stopped|-p|127.0.0.1:8082:8082|-e|PORT=8082|-e|SECRET|\
             lawha-shop:{commit}|sh|-c|exec node server.js --port $PORT|"
        ),
        "inspect|--format|{{.State.Running}}|lawha-shop-green|".to_owned(),
        "inspect|--format|{{.State.Running}}|lawha-shop-blue|".to_owned(),
        "inspect|--format|{{.State.Running}}|lawha-shop-green|".to_owned(),
        "stop|--time|3|lawha-shop-green|".to_owned(),
        "rm|-f|lawha-shop-green|".to_owned(),
        "inspect|--format|{{.State.Running}}|lawha-shop-green|".to_owned(),
    ];
    assert_eq!(calls, expected);
    assert!(!calls.iter().any(|call| call.contains("hunter2")), "the secret is in no argument");
    assert_eq!(std::fs::read_to_string(dir.path().join("env.seen")).unwrap(), "SECRET=hunter2\n");
}

#[tokio::test]
async fn stopping_a_colour_that_does_not_run_only_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let docker = fake_docker(dir.path());
    assert_eq!(docker.stop("shop", Colour::Blue, Duration::from_secs(3)).await.unwrap(), Stopped::NotRunning);
    assert_eq!(calls(dir.path()), ["inspect|--format|{{.State.Running}}|lawha-shop-blue|", "rm|-f|lawha-shop-blue|"]);
}
