//! The `Deploy` handler against real parts: PostgreSQL (migrated; the read models exist but no projection runs,
//! so a test writes the rows the handler reads), git repositories made here, the process runtime with a Python
//! app, and a real nginx in a prefix of its own. The handler runs directly, with a job context from
//! `lawha_jobs::testkit`. One test binary, so the crate is linked once.

mod failures;
mod ordering;
mod success;
// The engine tests' helpers (programs, free ports, waiting); not all of them are used here.
#[allow(dead_code)]
#[path = "../engine/support.rs"]
mod support;
mod world;
