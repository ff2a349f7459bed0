//! The backup engine end to end on real folders: round trips, tampering, hostile archives, failures that must be
//! reported as what they are, retention on real files, what an overwriting restore keeps and what the sweep
//! removes, and the environment the external tools get. Tests run as root (CI does): the failure tests use
//! `chattr +i` and a small tmpfs because root ignores permission bits.

#[path = "engine/failures.rs"]
mod failures;
#[path = "engine/hostile.rs"]
mod hostile;
#[path = "engine/restore_safety.rs"]
mod restore_safety;
#[path = "engine/retention.rs"]
mod retention;
#[path = "engine/round_trip.rs"]
mod round_trip;
#[path = "engine/support.rs"]
mod support;
#[path = "engine/tampering.rs"]
mod tampering;
#[path = "engine/tool_env.rs"]
mod tool_env;
