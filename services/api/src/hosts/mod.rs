//! The hosts capability: the machines whose deploy worker runs sites, as the panel sees them. Each worker
//! registers its host when it starts and says when it stops (`lawha_domain::hosts`, appended by the worker); the
//! `hosts` read model (`projection.rs`) keeps the last registration, and the worker's heartbeats
//! (`host_heartbeats`, outside the log) say whether it is alive (`read.rs`). `GET /api/v1/hosts` (`api.rs`) and
//! the hosts page show them; a site may name any registered host, or the panel's own
//! (`deployments.host`) before its worker first started.

pub mod api;
pub mod page;
pub mod projection;
pub mod read;
