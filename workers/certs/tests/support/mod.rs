//! What the tests share: pebble, and one test's world around it.

pub mod ari_proxy;
pub mod pebble;
pub mod world;
