//! The backup engine end to end on real folders: round trips, tampering, hostile archives, failures that must be
//! reported as what they are, and retention on real files. Tests run as root (CI does): the failure tests use
//! `chattr +i` and a small tmpfs because root ignores permission bits.

#[path = "engine/failures.rs"]
mod failures;
#[path = "engine/hostile.rs"]
mod hostile;
#[path = "engine/retention.rs"]
mod retention;
#[path = "engine/round_trip.rs"]
mod round_trip;
#[path = "engine/support.rs"]
mod support;
#[path = "engine/tampering.rs"]
mod tampering;
