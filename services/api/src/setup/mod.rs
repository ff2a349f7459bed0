//! The setup capability: the first-start link of a development install without any user. `token.rs` holds the
//! one-time token's rules (issue, check, claim; only its hash is stored), `pages.rs` the form that creates the
//! first administrator and the line `lawha serve` prints.

pub mod pages;
pub mod token;
