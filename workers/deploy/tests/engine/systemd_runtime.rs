//! The `systemd` runtime against fake `systemd-run` and `systemctl` scripts: systemd is not PID 1 on the test
//! machines, so the fakes stand in for it (as `ops/tests/fakes/docker` stands in for Docker). `systemd-run`
//! records its arguments, keeps a copy of the environment file and its mode as systemd would have read them, and
//! really starts the command in a session of its own with its output appended to the `StandardOutput=append:`
//! file; `systemctl --user show` answers `active` while that session's leader lives, and `systemctl --user kill`
//! signals the whole session. What is checked is what the runtime asks of systemd, what it keeps out of the
//! arguments, and how it reads systemd's answers; that systemd then does it is systemd's part.

use std::{os::unix::fs::PermissionsExt, path::Path, time::Duration};

use lawha_deploy_worker::engine::{
    EngineError,
    runtime::{AppInstance, AppRuntime, Colour, Stopped, systemd::SystemdRuntime},
};

use crate::support::eventually;

const SYSTEMD_RUN: &str = r#"#!/bin/sh
# Fake systemd-run: one line per call in calls.log (arguments separated by |); starts the command after `--`.
here=$(dirname "$0")
{ printf 'systemd-run|'; printf '%s|' "$@"; echo; } >> "$here/calls.log"
if [ -e "$here/refuse" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
unit='' dir='' port='' envfile='' log=''
while [ $# -gt 0 ]; do
    case $1 in
        --unit=*) unit=${1#--unit=} ;;
        --working-directory=*) dir=${1#--working-directory=} ;;
        --setenv=PORT=*) port=${1#--setenv=PORT=} ;;
        --property=EnvironmentFile=*) envfile=${1#--property=EnvironmentFile=} ;;
        --property=StandardOutput=append:*) log=${1#--property=StandardOutput=append:} ;;
        --) shift; break ;;
    esac
    shift
done
cp "$envfile" "$here/env.seen" && stat -c %a "$envfile" > "$here/env.mode"
cd "$dir" || exit 1
PORT=$port setsid "$@" >> "$log" 2>&1 < /dev/null &
pid=$!
# Like systemd's, the app is out of the caller's process group by the time systemd-run returns.
while [ -e "/proc/$pid" ] && [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f3)" != "$pid" ]; do sleep 0.01; done
echo "$pid" > "$here/$unit.pid"
"#;

const SYSTEMCTL: &str = r#"#!/bin/sh
# Fake systemctl --user: show --property=ActiveState --value UNIT, and kill --signal SIG UNIT.
here=$(dirname "$0")
{ printf 'systemctl|'; printf '%s|' "$@"; echo; } >> "$here/calls.log"
[ "$1" = --user ] || { echo "fake systemctl: only --user" >&2; exit 2; }
alive() {
    pid=$(cat "$here/$1.pid" 2>/dev/null) || return 1
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)
    [ -n "$state" ] && [ "$state" != Z ]
}
case $2 in
    show) if alive "$5"; then echo active; else echo inactive; fi ;;
    kill) alive "$5" && kill -s "${4#SIG}" -- "-$(cat "$here/$5.pid")" ;;
    *) echo "fake systemctl: unexpected $*" >&2; exit 2 ;;
esac
exit 0
"#;

/// The fakes in `dir`, as a runtime keeping its files in `dir/state`.
fn fake_systemd(dir: &Path) -> SystemdRuntime {
    for (name, text) in [("systemd-run", SYSTEMD_RUN), ("systemctl", SYSTEMCTL)] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    SystemdRuntime::new(dir.join("state"), dir.join("systemd-run").display().to_string())
        .with_restart_grace(Duration::from_secs(2))
}

fn calls(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls.log")).unwrap_or_default().lines().map(ToOwned::to_owned).collect()
}

/// The calls other than the state queries, whose number depends on timing.
fn actions(dir: &Path) -> Vec<String> {
    calls(dir).into_iter().filter(|c| !c.starts_with("systemctl|--user|show|")).collect()
}

fn app(dir: &Path, colour: Colour, start_command: &str) -> AppInstance {
    let release = dir.join("release");
    std::fs::create_dir_all(&release).unwrap();
    AppInstance {
        site: "shop".into(),
        colour,
        commit: "0".repeat(40),
        release_dir: release,
        start_command: start_command.into(),
        port: 8082,
        env: vec![
            ("SECRET".into(), "hunter2 \"$HOME\" `x`\\n".into()),
            ("PORT".into(), "1".into()),
            ("MODE".into(), "production".into()),
        ],
    }
}

#[tokio::test]
async fn a_colour_is_a_transient_user_unit_whose_secrets_travel_in_a_private_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let systemd = fake_systemd(dir.path());
    let app = app(dir.path(), Colour::Green, "echo \"listening on $PORT\"; exec sleep 30");
    systemd.start(&app).await.unwrap();
    assert!(systemd.is_running("shop", Colour::Green).await);
    assert!(!systemd.is_running("shop", Colour::Blue).await);
    let log = dir.path().join("state/shop/green.log");
    let said = eventually(Duration::from_secs(5), || async {
        std::fs::read_to_string(&log).is_ok_and(|text| text.contains("listening on 8082"))
    });
    assert!(said.await, "the app's output is appended to its log file");
    assert_eq!(systemd.stop("shop", Colour::Green, Duration::from_secs(3)).await.unwrap(), Stopped::Exited);
    assert!(!systemd.is_running("shop", Colour::Green).await);

    let state = dir.path().join("state/shop").display().to_string();
    let release = dir.path().join("release").display().to_string();
    let expected = [
        format!(
            "systemd-run|--user|--quiet|--collect|--unit=lawha-shop-green.service|--description=Lawha site shop \
             (green)|--working-directory={release}|--setenv=PORT=8082|--property=EnvironmentFile={state}/green.env|\
             --property=StandardOutput=append:{state}/green.log|--property=StandardError=append:{state}/green.log|\
             --|/bin/sh|-c|echo \"listening on $PORT\"; exec sleep 30|"
        ),
        "systemctl|--user|kill|--signal|SIGTERM|lawha-shop-green.service|".to_owned(),
    ];
    assert_eq!(actions(dir.path()), expected);
    assert!(!calls(dir.path()).iter().any(|call| call.contains("hunter2")), "the secret is in no argument");
    let seen = std::fs::read_to_string(dir.path().join("env.seen")).unwrap();
    assert!(seen.contains("SECRET=\"hunter2 \\\"\\$HOME\\\" \\`x\\`\\\\n\"\nMODE=\"production\"\n"), "{seen}");
    assert!(!seen.contains("PORT=\"1\""), "PORT is the colour's port, not the site's: {seen}");
    assert_eq!(std::fs::read_to_string(dir.path().join("env.mode")).unwrap().trim(), "600");
    assert!(!Path::new(&format!("{state}/green.env")).exists(), "the file is gone once systemd read it");
}

#[tokio::test]
async fn an_app_that_ignores_sigterm_is_killed_after_its_grace_and_a_stopped_colour_only_asks() {
    let dir = tempfile::tempdir().unwrap();
    let systemd = fake_systemd(dir.path());
    assert_eq!(systemd.stop("shop", Colour::Blue, Duration::from_secs(1)).await.unwrap(), Stopped::NotRunning);
    assert_eq!(calls(dir.path()), ["systemctl|--user|show|--property=ActiveState|--value|lawha-shop-blue.service|"]);

    let stubborn = "trap '' TERM; echo up; while :; do sleep 0.1; done";
    systemd.start(&app(dir.path(), Colour::Blue, stubborn)).await.unwrap();
    assert!(systemd.is_running("shop", Colour::Blue).await);
    let stopped = systemd.stop("shop", Colour::Blue, Duration::from_millis(500)).await.unwrap();
    assert_eq!(stopped, Stopped::Killed);
    assert!(!systemd.is_running("shop", Colour::Blue).await);
    let kills: Vec<String> = actions(dir.path()).into_iter().filter(|c| c.starts_with("systemctl")).collect();
    assert_eq!(
        kills,
        [
            "systemctl|--user|kill|--signal|SIGTERM|lawha-shop-blue.service|",
            "systemctl|--user|kill|--signal|SIGKILL|lawha-shop-blue.service|"
        ]
    );
}

#[tokio::test]
async fn starting_a_colour_again_stops_the_running_one_first() {
    let dir = tempfile::tempdir().unwrap();
    let systemd = fake_systemd(dir.path());
    systemd.start(&app(dir.path(), Colour::Blue, "exec sleep 30")).await.unwrap();
    systemd.start(&app(dir.path(), Colour::Blue, "exec sleep 31")).await.unwrap();
    let runs = actions(dir.path());
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert_eq!(runs[1], "systemctl|--user|kill|--signal|SIGTERM|lawha-shop-blue.service|");
    assert!(runs[2].ends_with("|exec sleep 31|"), "{runs:?}");
    assert!(systemd.is_running("shop", Colour::Blue).await);
    systemd.stop("shop", Colour::Blue, Duration::from_secs(2)).await.unwrap();
}

#[tokio::test]
async fn a_refused_start_names_systemds_words_never_a_value_and_leaves_no_environment_file() {
    let dir = tempfile::tempdir().unwrap();
    let systemd = fake_systemd(dir.path());
    std::fs::write(dir.path().join("refuse"), "").unwrap();
    let error = systemd.start(&app(dir.path(), Colour::Blue, "exec sleep 30")).await.unwrap_err();
    let EngineError::Failed { ref output, .. } = error else { panic!("{error:?}") };
    assert_eq!(output, &["Failed to connect to bus: No medium found".to_owned()]);
    let text = format!("{error} {:?}", error.message());
    assert!(text.contains("systemd-run --user") && !text.contains("hunter2"), "{text}");
    assert!(!dir.path().join("state/shop/blue.env").exists());
    assert!(!systemd.is_running("shop", Colour::Blue).await);
}

#[tokio::test]
async fn a_site_name_that_is_no_unit_name_is_refused_before_systemd_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let systemd = fake_systemd(dir.path());
    let mut bad = app(dir.path(), Colour::Blue, "exec sleep 30");
    bad.site = "shop;reboot".into();
    assert!(matches!(systemd.start(&bad).await, Err(EngineError::InvalidUnit(_))));
    assert!(matches!(systemd.stop("../x", Colour::Blue, Duration::ZERO).await, Err(EngineError::InvalidUnit(_))));
    assert!(calls(dir.path()).is_empty());
}

#[tokio::test]
async fn a_missing_systemd_run_names_its_package() {
    let dir = tempfile::tempdir().unwrap();
    let systemd = SystemdRuntime::new(dir.path(), dir.path().join("nowhere/systemd-run").display().to_string());
    let error = systemd.start(&app(dir.path(), Colour::Blue, "exec sleep 30")).await.unwrap_err();
    assert!(matches!(error, EngineError::MissingTool { ref package, .. } if package == "systemd"), "{error:?}");
}
