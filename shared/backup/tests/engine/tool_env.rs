//! The external tools get an environment of their own: what [`PASSED_THROUGH`] lets through and the variables set
//! for them (a password), never the worker's `LAWHA_SECRET_KEY`.
//!
//! Setting a variable in this test process would race with every other test reading the environment (and is
//! unsafe), so the check runs in a copy of this test binary started with the variables already set.

use std::process::Command;

use lawha_backup::sources::process::{PASSED_THROUGH, Tool};

/// Set in the copy, so that it runs the check instead of starting another copy.
const CHILD: &str = "LAWHA_TEST_TOOL_ENV_CHILD";
/// This test's full name, for `--exact`.
const NAME: &str = "tool_env::a_tool_gets_its_own_variables_and_never_the_workers_secret_key";

/// Whether this process is the copy.
// Tests receive no Config; this is the test's own marker, not configuration.
#[allow(clippy::disallowed_methods)]
fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

#[test]
fn a_tool_gets_its_own_variables_and_never_the_workers_secret_key() {
    if !in_child() {
        let status = Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .env("LAWHA_SECRET_KEY", "not-for-tools-0123456789abcdef0123456789")
            .env("LAWHA_DATABASE_URL", "postgres://lawha:panel-password@db/lawha")
            .env("PGPASSWORD", "a-password-for-another-server")
            .env("LANG", "C.UTF-8")
            .env("LC_ALL", "C.UTF-8")
            .status()
            .expect("the copy runs");
        assert!(status.success(), "the check in the copy failed (its output is above)");
        return;
    }
    let env = Tool::new("/usr/bin/env", "coreutils")
        .secret_env("MYSQL_PWD", Some("the-tools-own"))
        .env("PGSSLMODE", "require")
        .output(Vec::new())
        .expect("env runs");
    let names: Vec<&str> = env.lines().filter_map(|line| line.split_once('=').map(|(name, _)| name)).collect();

    assert!(!env.contains("not-for-tools") && !env.contains("panel-password"), "{env}");
    assert!(!env.contains("a-password-for-another-server"), "an inherited PGPASSWORD is not passed on: {env}");
    for expected in ["PATH", "LANG", "LC_ALL", "MYSQL_PWD", "PGSSLMODE"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let allowed = |name: &&str| {
        PASSED_THROUGH.contains(name) || name.starts_with("LC_") || ["MYSQL_PWD", "PGSSLMODE"].contains(name)
    };
    assert!(names.iter().all(allowed), "only what the tool needs: {names:?}");
}
