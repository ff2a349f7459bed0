//! The messages of the backup rules: a plan's problems, and why a command on a plan or a run was refused.

crate::messages! {
    /// A field and its problem, as one line of a list of problems (`name must be …`).
    field_problem = "backups.field_problem"(field, problem);
    /// Every problem of a plan, in one sentence.
    plan_invalid = "backups.plan_invalid"(problems);
    /// The plan's name breaks the naming rule.
    name_invalid = "backups.name_invalid";
    /// A path source without an absolute path, or with a URL.
    source_path_required = "backups.source_path_required";
    /// A database source without a URL, or with a path.
    source_url_required = "backups.source_url_required";
    /// A destination kind other than local.
    destination_kind_unsupported = "backups.destination_kind_unsupported"(kind);
    /// A path that does not start with `/`.
    path_relative = "backups.path_relative";
    /// A zstd level outside 1-19.
    compression_level_range = "backups.compression_level_range";
    /// keep_last = 0.
    keep_last_zero = "backups.keep_last_zero";
    /// Not an age X25519 recipient.
    recipient_invalid = "backups.recipient_invalid";
    /// Create on an existing plan.
    plan_exists = "backups.plan_exists";
    /// A plan that was never created.
    plan_not_found = "backups.plan_not_found";
    /// A plan that was deleted.
    plan_deleted = "backups.plan_deleted";
    /// Request on an existing run.
    run_exists = "backups.run_exists";
    /// A run that was never requested.
    run_not_found = "backups.run_not_found";
    /// A worker's fact that does not fit the run any more.
    run_stale = "backups.run_stale"(status, what);
    /// Verify, restore or prune without a verified archive.
    no_archive = "backups.no_archive"(action);
    /// A request recorded as if a worker had found it.
    not_a_fact = "backups.not_a_fact"(event_type);
}
