//! Process groups and what `/proc` says about a process, shared by the commands and the `process` runtime.
//!
//! Every command and every app this engine starts leads a process group of its own (`process_group(0)`), so one
//! signal to the group reaches whatever it started (a build's compilers, an app's workers). Signals go through
//! rustix, which wraps `kill(2)` safely.
//!
//! Architecture Invariant: no signal is ever sent to a group id below 2 (`kill(-1, …)` would reach every process
//! the worker may signal) nor to the worker's own group.

use std::time::Duration;

use rustix::process::{Pid, Signal, getpgrp, kill_process_group};

/// What `/proc/<pid>/stat` says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    /// The state letter: `R`, `S`, `D`… and `Z` for a zombie, `X` for a dead one.
    pub state: char,
    /// The process group.
    pub pgrp: i32,
    /// When the process started, in clock ticks since boot: with the pid, it names one process for good.
    pub start_time: u64,
}

impl Stat {
    /// Whether the process still runs (exited processes linger as zombies until their parent reaps them).
    pub fn is_alive(self) -> bool {
        !matches!(self.state, 'Z' | 'X')
    }
}

/// Parses the text of `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may itself hold
/// spaces and parentheses, so the fields are counted from the last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: field 3 (state) is fields[0], so field N is fields[N - 3].
    let state = fields.first()?.chars().next()?;
    let pgrp = fields.get(5 - 3)?.parse().ok()?;
    let start_time = fields.get(22 - 3)?.parse().ok()?;
    Some(Stat { state, pgrp, start_time })
}

/// What `/proc/<pid>/stat` says now, or `None` when there is no such process.
pub(crate) fn stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The group id as rustix takes it, refusing the ids whose signals would reach other processes than a group of
/// ours: 0 and 1 (the caller's group, every process) and the worker's own group.
fn group(pgid: u32) -> Option<Pid> {
    let pid = Pid::from_raw(i32::try_from(pgid).ok()?)?;
    (pgid > 1 && pid != getpgrp()).then_some(pid)
}

/// Sends `signal` to every process of the group; false when the group is gone (or the id is refused).
pub(crate) fn signal_group(pgid: u32, signal: Signal) -> bool {
    group(pgid).is_some_and(|pid| kill_process_group(pid, signal).is_ok())
}

/// Whether any process of the group still runs. Zombies do not count: a member whose parent does not reap it
/// (here PID 1 may not) stays in the group as a zombie, yet nothing of it runs.
pub(crate) fn group_alive(pgid: u32) -> bool {
    let Some(pid) = group(pgid) else { return false };
    if rustix::process::test_kill_process_group(pid).is_err() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else { return true };
    entries.flatten().any(|entry| {
        let Some(member) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
            return false;
        };
        stat(member).is_some_and(|s| s.is_alive() && i64::from(s.pgrp) == i64::from(pgid))
    })
}

/// Waits up to `limit` for every process of the group to end; true when they did.
pub(crate) async fn wait_group_gone(pgid: u32, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if !group_alive(pgid) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Kills a command's whole group (SIGKILL) when dropped, or when [`GroupGuard::kill`] is called: a command
/// whose caller gave up, timed out or finished leaves nothing running behind it.
///
/// After the leader has been reaped its pid could in theory be handed to a new process that leads a group of
/// the same id before the kill; the kernel hands out pids in increasing order up to `pid_max` (4 million on
/// 64-bit systems), so that would take millions of processes in the microseconds between the two.
#[derive(Debug)]
pub(crate) struct GroupGuard {
    /// The group, until it was killed.
    pgid: Option<u32>,
}

impl GroupGuard {
    /// Guards the group led by `pid` (the id of a child started with `process_group(0)`).
    pub fn new(pid: Option<u32>) -> Self {
        Self { pgid: pid }
    }

    /// Kills the group now (once).
    pub fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            signal_group(pgid, Signal::KILL);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let text = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_stat(text), Some(Stat { state: 'S', pgrp: 4242, start_time: 987_654 }));
        assert_eq!(parse_stat("12 (x) Z 1"), None, "a truncated line is no answer");
    }

    #[test]
    fn the_worker_itself_is_seen_alive_and_its_own_group_is_never_signalled() {
        let me = stat(std::process::id()).expect("our own stat");
        assert!(me.is_alive());
        let own = u32::try_from(getpgrp().as_raw_nonzero().get()).unwrap();
        assert!(group(own).is_none());
        assert!(group(1).is_none() && group(0).is_none());
    }
}
