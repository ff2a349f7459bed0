//! The panel's integration tests, in one binary: one link of the whole panel instead of one per file keeps the
//! build small (CI once ran out of disk linking two dozen copies). Each module is one area; `common` holds the
//! helpers they share, `browser` the scenarios in headless Chromium.

mod common;

mod account_races;
mod account_security;
mod accounts;
mod allow;
mod audit;
mod audit_anchoring;
mod audit_api;
mod auth;
mod backup_worker;
mod backups;
mod backups_encrypted;
mod backups_pages;
mod backups_paths;
mod browser;
mod certificates;
mod cli;
mod cli_audit;
mod client_address;
mod contract;
mod dashboard;
mod db_outage;
mod deploy_e2e;
mod deploy_kill;
mod deployments_read;
mod docs;
mod entrance;
mod events;
mod hosts;
mod http;
mod jobs_admin;
mod jobs_api;
mod jobs_pages;
mod jobs_pipeline;
mod openapi;
mod pages;
mod queue_loss;
mod redis_outage;
mod revocation;
mod secrets;
mod sessions;
mod setup;
mod sign_in_throttle;
mod sites;
mod sites_pages;
mod slow_clients;
mod streams;
mod two_factor;
mod webhooks;
mod worker_lost;
mod workers;
