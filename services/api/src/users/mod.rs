//! Accounts and API tokens: the commands that create them, their credentials, and the `users` read model.

pub mod credentials;
pub mod projection;
pub mod service;
pub mod setup;
pub mod token_cache;
pub mod two_factor;

pub use service::{IssuedToken, UserError, create_token, create_user, user_stream};
