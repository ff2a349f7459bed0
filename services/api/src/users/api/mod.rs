//! The users capability's JSON API: the acting user's account (`account.rs`), the accounts an admin manages
//! (`users.rs`) and the session: who is signed in, sign-in, sign-out (`session.rs`).

pub mod account;
pub mod session;
pub mod users;
