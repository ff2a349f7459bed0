//! The cert worker against real parts: PostgreSQL (migrated; no projection runs, so a test writes the
//! `certificates` rows the check reads), pebble and pebble-challtestsrv (Debian's `pebble`), and a real nginx in
//! a prefix of its own. The handler runs directly with a job context from `lawha_jobs::testkit`; the binary is
//! run for its `--help`. One test binary, so the crate is linked once.

mod account;
mod ari;
mod binary;
mod failures;
mod install;
mod issue;
mod kill;
mod renewal;
#[path = "../support/mod.rs"]
mod support;
