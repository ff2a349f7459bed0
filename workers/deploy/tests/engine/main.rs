//! The engine's tests, against real parts: git repositories made with the git CLI, shell commands, apps in
//! Python, a real nginx on loopback in a prefix of its own. One test binary, so the crate is linked once.

mod command;
mod docker_runtime;
mod git;
mod health;
mod nginx;
mod process_runtime;
mod releases;
mod support;
mod systemd_runtime;
