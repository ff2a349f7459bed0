//! The certificates capability: TLS certificates as the panel sees them. The commands (`commands.rs`: load,
//! decide, append at the version read), the certificate JSON checked (`input.rs`), the `certificates` read model
//! (`projection.rs`) and its reads (`read.rs`), the JSON API and the HTTP-01 answers (`api.rs`) and the pages
//! (`pages/`). The orders themselves are the cert worker's (`lawha-cert-worker`), reached through the dispatcher
//! on the `certificates.<host>` queue of the certificate's host (invariant 2).

pub mod api;
pub mod commands;
pub mod error;
pub mod input;
pub mod messages;
pub mod pages;
pub mod projection;
pub mod read;

pub use error::CertError;
pub use input::CertificateInput;
