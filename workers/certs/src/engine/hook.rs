//! The DNS-01 hook: the operator's command, run through `sh -c` as `<hook> set <name> <value>` and later
//! `<hook> clear <name> <value>` (like certbot's manual hooks), where `<name>` is the certificate's name without
//! `*.` and `<value>` the TXT record's text for `_acme-challenge.<name>`. The name and value are passed as
//! positional parameters, never spliced into the shell's text.
//!
//! The hook leads a process group of its own and is killed with everything it started when it runs past its
//! time limit (or when the order is abandoned); it gets only `PATH`, `HOME` and `LANG` of the worker's
//! environment. Its last lines of output explain a failure.

use std::{process::Stdio, time::Duration};

use lawha_domain::{Message, certificates::OrderStep};
use rustix::process::{Pid, Signal, kill_process_group};
use tokio::process::Command;

use super::EngineError;
use crate::messages;

/// How much of a failed hook's output is kept: its last lines, up to this many bytes.
const OUTPUT_TAIL: usize = 2000;

/// Kills the hook's group when dropped: nothing it started outlives the call.
struct Group(Option<i32>);

impl Drop for Group {
    fn drop(&mut self) {
        // Only a group we started: never 0, 1 or below (which would reach other processes).
        if let Some(pid) = self.0.filter(|pid| *pid > 1).and_then(Pid::from_raw) {
            let _ = kill_process_group(pid, Signal::KILL);
        }
    }
}

/// The last [`OUTPUT_TAIL`] bytes of `output`, from a line's start.
pub fn tail(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    let text = text.trim_end();
    if text.len() <= OUTPUT_TAIL {
        return text.to_owned();
    }
    let mut start = text.len() - OUTPUT_TAIL;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let rest = &text[start..];
    rest.find('\n').map_or(rest, |n| &rest[n + 1..]).to_owned()
}

/// Runs `hook <action> <name> <value>`; `Ok` when it exits 0 within `timeout`.
pub async fn run(hook: &str, action: &str, name: &str, value: &str, timeout: Duration) -> Result<(), EngineError> {
    let fail = |reason: Message| EngineError::permanent(OrderStep::Challenge, reason);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("{hook} \"$@\""))
        .args(["lawha-dns-hook", action, name, value])
        .env_clear()
        .envs(std::env::vars_os().filter(|(k, _)| matches!(k.to_str(), Some("PATH" | "HOME" | "LANG"))))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let child = command.spawn().map_err(|e| fail(messages::hook_spawn_failed(e.to_string())))?;
    let _group = Group(child.id().and_then(|id| i32::try_from(id).ok()));
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(fail(messages::hook_spawn_failed(e.to_string()))),
        Err(_) => {
            return Err(EngineError::passing(
                OrderStep::Challenge,
                messages::hook_timed_out(action, timeout.as_secs()),
            ));
        }
    };
    if output.status.success() {
        return Ok(());
    }
    let mut all = output.stdout;
    all.extend_from_slice(&output.stderr);
    let status = output.status.code().map_or_else(|| "signal".to_owned(), |code| code.to_string());
    Err(fail(messages::hook_failed(action, status, tail(&all))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hook_past_its_time_is_killed_with_everything_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("child-ran-on");
        let hook = format!("(sleep 2; touch {}) & sleep 30; :", marker.display());

        let started = std::time::Instant::now();
        let error = run(&hook, "set", "a.test", "v", Duration::from_millis(300)).await.unwrap_err();

        assert_eq!(error.reason.code, "certs.hook_timed_out");
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(!marker.exists(), "a process the hook started outlived it");
    }

    #[tokio::test]
    async fn the_name_and_value_reach_the_hook_as_arguments_not_shell_text() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("args");
        let hook = format!("printf '%s|' >{}", out.display());

        run(&hook, "set", "a.test", "$(touch /tmp/x);", Duration::from_secs(5)).await.unwrap();

        assert_eq!(std::fs::read_to_string(out).unwrap(), "set|a.test|$(touch /tmp/x);|");
    }

    #[test]
    fn a_long_output_keeps_its_last_lines() {
        let text = format!("{}\nlast line", "x".repeat(5000));
        assert_eq!(tail(text.as_bytes()), "last line");
        assert_eq!(tail(b"short\n"), "short");
    }
}
