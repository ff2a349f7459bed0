//! The deployments capability: sites and their deployments as the panel sees them. The commands
//! (`commands.rs`: load, decide, append at the version read), the site JSON checked and its secrets sealed
//! (`input.rs`), GitHub's deliveries (`webhook.rs`), the `sites` and `deployments` read models
//! (`projection.rs`) and their reads (`read.rs`), the JSON API (`api.rs`) and the pages (`pages/`). The work
//! itself is the deploy worker's (`lawha-deploy-worker`), reached through the dispatcher on the
//! `deployments.<host>` queue of the site's host (invariant 2).

pub mod api;
pub mod commands;
pub mod error;
pub mod input;
pub mod messages;
pub mod pages;
pub mod projection;
pub mod read;
pub mod webhook;

pub use error::DeployError;
pub use input::SiteInput;
