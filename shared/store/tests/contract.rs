//! The event store's contract: one set of behaviours, run against both backends (PostgreSQL and SQLite).
//!
//! Each behaviour is a function taking a fresh [`TestDb`]; the test kit's `on_both_backends!` instantiates every one
//! of them in `mod postgres` and `mod sqlite`. The projection runner's behaviours are in `projections.rs`.
//! PostgreSQL comes from `LAWHA_TEST_DATABASE_URL` (see the test kit): when it is unreachable the PostgreSQL tests
//! fail, they never skip.

mod common;

// The behaviours live in one module per area; `on_both_backends!` below needs them in this module, so they are
// imported here by name.
#[path = "contract/anchoring.rs"]
mod anchoring;
#[path = "contract/appending.rs"]
mod appending;
#[path = "contract/chain.rs"]
mod chain;
#[path = "contract/concurrency.rs"]
mod concurrency;
#[path = "contract/keys.rs"]
mod keys;
#[path = "contract/reading.rs"]
mod reading;
#[path = "contract/secrets.rs"]
mod secrets;

use lawha_domain::RecordedEvent;

use anchoring::{
    a_line_of_the_checkpoint_file_that_is_not_a_signed_checkpoint_fails_the_verification,
    a_truncated_log_with_its_head_moved_back_verifies_intact_but_not_against_its_checkpoint,
    an_older_copy_of_the_database_verifies_intact_but_not_against_a_later_checkpoint,
    verifying_since_a_checkpoint_checks_the_anchored_event_and_every_event_after_it,
};
use appending::{
    a_partial_duplicate_an_empty_append_or_an_id_twice_is_invalid,
    a_stale_expected_version_is_a_conflict_naming_the_actual_version_and_writes_nothing,
    an_append_the_store_refuses_fails_alone_not_the_appends_batched_with_it,
    an_event_id_already_in_the_log_is_an_idempotent_success_that_writes_nothing,
    appended_events_read_back_with_positions_versions_and_content_intact,
};
use chain::{
    a_changed_stream_name_breaks_the_chain_at_that_position, a_changed_type_breaks_the_chain_at_that_position,
    a_deleted_last_row_breaks_the_chain_at_its_position, a_deleted_middle_row_breaks_the_chain_at_its_position,
    an_untouched_log_verifies_intact, changed_data_breaks_the_chain_at_that_position,
    changed_metadata_breaks_the_chain_at_that_position, verification_racing_appends_never_reports_a_broken_chain,
};
use concurrency::{
    concurrent_any_version_writers_on_one_stream_get_contiguous_versions,
    concurrent_exact_version_writers_get_gap_free_positions_contiguous_versions_and_one_delivery_each,
    two_processes_appending_at_once_keep_positions_gap_free_and_the_chain_whole,
};
use keys::{
    a_chain_forged_under_an_unknown_key_fails_verification,
    a_chain_recorded_under_the_previous_key_verifies_after_rotation,
};
use reading::{
    a_subscription_starts_after_its_position_filters_and_waits_for_new_events,
    read_all_filters_by_category_and_type_and_respects_after_and_limit,
};
use secrets::a_kept_secret_reads_back_by_its_reference_until_it_is_forgotten;

lawha_store::on_both_backends!(
    a_kept_secret_reads_back_by_its_reference_until_it_is_forgotten,
    appended_events_read_back_with_positions_versions_and_content_intact,
    a_stale_expected_version_is_a_conflict_naming_the_actual_version_and_writes_nothing,
    an_event_id_already_in_the_log_is_an_idempotent_success_that_writes_nothing,
    a_partial_duplicate_an_empty_append_or_an_id_twice_is_invalid,
    an_append_the_store_refuses_fails_alone_not_the_appends_batched_with_it,
    read_all_filters_by_category_and_type_and_respects_after_and_limit,
    a_subscription_starts_after_its_position_filters_and_waits_for_new_events,
    concurrent_exact_version_writers_get_gap_free_positions_contiguous_versions_and_one_delivery_each,
    concurrent_any_version_writers_on_one_stream_get_contiguous_versions,
    two_processes_appending_at_once_keep_positions_gap_free_and_the_chain_whole,
    an_untouched_log_verifies_intact,
    changed_data_breaks_the_chain_at_that_position,
    changed_metadata_breaks_the_chain_at_that_position,
    a_changed_type_breaks_the_chain_at_that_position,
    a_changed_stream_name_breaks_the_chain_at_that_position,
    a_deleted_middle_row_breaks_the_chain_at_its_position,
    a_deleted_last_row_breaks_the_chain_at_its_position,
    verification_racing_appends_never_reports_a_broken_chain,
    a_truncated_log_with_its_head_moved_back_verifies_intact_but_not_against_its_checkpoint,
    an_older_copy_of_the_database_verifies_intact_but_not_against_a_later_checkpoint,
    verifying_since_a_checkpoint_checks_the_anchored_event_and_every_event_after_it,
    a_line_of_the_checkpoint_file_that_is_not_a_signed_checkpoint_fails_the_verification,
    a_chain_recorded_under_the_previous_key_verifies_after_rotation,
    a_chain_forged_under_an_unknown_key_fails_verification,
);

fn positions(events: &[RecordedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.position).collect()
}

fn versions(events: &[RecordedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.version).collect()
}
