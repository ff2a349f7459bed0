//! `lawha`: the panel's API, UI and command-line tool.
//!
//! It owns the HTTP surface (routes, middleware, the one error-to-status module), the read models it serves
//! and the commands an operator runs. Rules live in `lawha-domain`, storage in `lawha-store`; a handler parses
//! input, runs one command and maps the result. It never talks to Redis from a request (invariant 2).

pub mod app;
pub mod audit;
pub mod backups;
pub mod certificates;
pub mod deployments;
pub mod hosts;
pub mod http;
pub mod jobs;
pub mod projections;
pub mod setup;
pub mod state;
pub mod system;
pub mod ui;
pub mod users;

pub use app::App;
