//! The users capability: accounts and API tokens (`commands.rs`: load, decide, append), their credentials
//! (`credentials.rs`, never in the log), password hashing on the bounded blocking pool (`hashing.rs`), two-factor
//! sign-in (`two_factor.rs`), sign-in (`signin.rs`) and its throttling (`throttle.rs`), the current password asked
//! again (`reauth.rs`), the lock that keeps the last administrator (`guard.rs`), web sessions (`session/`), the
//! token cache (`token_cache.rs`), the `users` read model (`projection.rs`), the JSON API (`api/`) and the pages
//! (`pages/`).

pub mod api;
pub mod commands;
pub mod credentials;
pub mod error;
pub mod guard;
pub mod hashing;
pub mod messages;
pub mod pages;
pub mod projection;
pub mod read;
pub mod reauth;
pub mod session;
pub mod signin;
pub mod throttle;
pub mod token_cache;
pub mod two_factor;

pub use commands::{IssuedToken, create_token, create_user, user_stream};
pub use error::UserError;
