//! Restores.

pub mod database;
pub mod directory;
