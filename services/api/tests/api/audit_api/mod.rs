//! The audit review API on the real app: filters and their exact counts (PostgreSQL and SQLite), paging that
//! stays stable while events arrive, free-text search, strict query validation, the raw event, and the
//! streamed CSV and JSON Lines exports. Every answer is checked against what the test itself appended.
//!
//! The fixture and its oracle are in `fixture`; the tests are grouped by what they ask of the API.

mod export;
mod fixture;
mod reading;
mod validation;
