//! The users capability's pages: sign-in (`signin.rs`), the account page (`account.rs`) and the users page for
//! admins (`users.rs`).

pub mod account;
pub mod signin;
pub mod users;
