//! The messages of the jobs capability in the panel: a job or projection that does not exist, a query of the list
//! or the log that is refused, and the log lines of the in-process jobs.

lawha_domain::messages! {
    /// No job with this id.
    not_found = "jobs.not_found"(id);
    /// An unknown state filter.
    unknown_state = "jobs.unknown_state"(value);
    /// An unknown kind filter.
    unknown_kind = "jobs.unknown_kind"(value);
    /// A retry by one below the level the job's request needed.
    retry_needs_level = "jobs.retry_needs_level"(kind, level);
    /// A retry by a token of a job whose request needed a signed-in session.
    retry_needs_session = "jobs.retry_needs_session"(kind, level);
    /// A number parameter out of range.
    number_range = "jobs.number_range"(parameter, min, max, got);
    /// A parameter the route does not take.
    unknown_parameter = "jobs.unknown_parameter"(parameter);
    /// A projection that does not exist.
    unknown_projection = "jobs.unknown_projection"(name, known);
    /// The verdict of a verification of the audit chain.
    chain_verdict_intact = "jobs.chain_verdict_intact"(events);
    /// The verdict of a verification that found the chain broken.
    chain_verdict_broken = "jobs.chain_verdict_broken"(position, reason);
    /// A position the chain expects is not stored.
    chain_missing = "jobs.chain_missing"(next);
    /// A row is not JSON.
    chain_not_json = "jobs.chain_not_json";
    /// A row was changed after it was recorded.
    chain_mismatch = "jobs.chain_mismatch";
    /// Events were deleted at the end of the log.
    chain_head_beyond = "jobs.chain_head_beyond"(head, last);
    /// The recorded head does not match the last event.
    chain_head_mismatch = "jobs.chain_head_mismatch";
    /// An event chained under a secret key the panel does not know.
    chain_unknown_key = "jobs.chain_unknown_key"(key_id);
    /// A checkpoint anchored a position the log no longer reaches (truncated or rolled back).
    chain_checkpoint_beyond = "jobs.chain_checkpoint_beyond"(line, position, at, last);
    /// The log holds another event at a checkpoint's position (rewritten, or rolled back and appended to).
    chain_checkpoint_mismatch = "jobs.chain_checkpoint_mismatch"(line, position, at);
    /// A line of the checkpoint file that is not a checkpoint signed by the panel's keys.
    chain_checkpoint_invalid = "jobs.chain_checkpoint_invalid"(line);
    /// The log holds every checkpoint of the file.
    chain_checkpoints_held = "jobs.chain_checkpoints_held"(count, file);
    /// The checkpoint file could not be read.
    chain_checkpoints_unreadable = "jobs.chain_checkpoints_unreadable"(file, reason);
    /// The verified head was anchored.
    chain_anchored = "jobs.chain_anchored"(position, file);
    /// The verified head could not be anchored.
    chain_anchor_failed = "jobs.chain_anchor_failed"(file, reason);
    /// The log could not be read or written; the database's reason.
    store_failed = "jobs.store_failed"(reason);
    /// A rebuild begins.
    rebuilding = "jobs.rebuilding"(name);
    /// A rebuild ended.
    rebuilt = "jobs.rebuilt"(name, events, millis);
}
