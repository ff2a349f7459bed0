//! The messages of the backup worker: its job log lines (what it is doing, progress), the summaries it records on
//! a run, and why it gave up on a job. The engine's own failures are the engine's messages
//! (`lawha_backup::messages`); nothing here builds a sentence.

lawha_domain::messages! {
    /// A redelivered job whose run completed already.
    run_already_completed = "worker.run_already_completed";
    /// Waiting for the plan's lock.
    waiting_for_plan = "worker.waiting_for_plan"(plan);
    /// Files an interrupted attempt left, removed.
    removed_partials = "worker.removed_partials"(count);
    /// The backup begins.
    backing_up = "worker.backing_up"(source, kind, folder);
    /// Progress, in MiB.
    progress = "worker.progress"(read_mib, stored_mib, rate_mib);
    /// The attempt failed; `reason` is the engine's message.
    failed = "worker.failed"(reason);
    /// The archive was read back and matched.
    read_back = "worker.read_back"(bytes, sha256);
    /// Retention removed an archive.
    retention_removed = "worker.retention_removed"(path);
    /// Retention could not be applied.
    retention_failed = "worker.retention_failed"(reason);
    /// Why retention removed a run's archive.
    pruned_by_retention = "worker.pruned_by_retention";
    /// A verification begins.
    verifying = "worker.verifying"(archive);
    /// A verification found the archive intact.
    verify_intact = "worker.verify_intact"(bytes, sha256);
    /// A restore begins (after a verification).
    restore_verifying = "worker.restore_verifying"(archive, target);
    /// A folder was restored.
    restored_directory = "worker.restored_directory"(entries, bytes, path);
    /// A folder was restored over another, which is kept at `previous` for `hours`.
    restored_directory_keeping = "worker.restored_directory_keeping"(entries, bytes, path, previous, hours);
    /// A restore was refused before anything was written; `reason` is the engine's or the worker's message.
    restore_refused = "worker.restore_refused"(reason);
    /// Beside earlier restore targets: stale staging folders and expired replaced folders deleted.
    swept = "worker.swept"(staging, previous);
    /// A target that a crash left missing in the middle of a swap got its previous folder back.
    swept_put_back = "worker.swept_put_back"(path);
    /// A database was restored.
    restored_database = "worker.restored_database"(bytes, target);
    /// A database was restored after a safety dump of what it held.
    restored_database_after_dump = "worker.restored_database_after_dump"(bytes, target, dump_bytes);
    /// A directory restore without a target path.
    restore_needs_path = "worker.restore_needs_path";
    /// A SQLite restore without a target path.
    restore_needs_file = "worker.restore_needs_file";
    /// A database restore without a target URL.
    restore_needs_url = "worker.restore_needs_url"(kind);
    /// An encrypted archive restored without its identity.
    restore_needs_identity = "worker.restore_needs_identity";
    /// The job's payload lacks an id.
    payload_missing = "worker.payload_missing"(name);
    /// The plan a run names was deleted.
    plan_deleted = "worker.plan_deleted"(plan);
    /// The plan a run names does not exist.
    plan_missing = "worker.plan_missing"(plan);
    /// The run names no plan, or a plan the log does not know.
    plan_unknown = "worker.plan_unknown";
    /// The request of the job is not in the run's stream.
    request_missing = "worker.request_missing"(job);
    /// The request of the job is of another kind.
    request_wrong_kind = "worker.request_wrong_kind"(expected);
    /// The run has no archive (not completed, or pruned).
    no_archive = "worker.no_archive";
    /// A stream this build cannot read.
    stream_unreadable = "worker.stream_unreadable"(stream, reason);
    /// Reading a stream failed (the database).
    read_failed = "worker.read_failed"(stream, reason);
    /// Recording a fact failed (the database).
    record_failed = "worker.record_failed"(fact, reason);
    /// Recording a fact kept conflicting with other writers.
    record_conflicts = "worker.record_conflicts"(fact);
    /// A sealed secret could not be opened (`what`: `plan_password`, `target_password`, `age_identity`).
    secret_unopenable = "worker.secret_unopenable"(what, reason);
    /// A sealed secret that is not text.
    secret_not_text = "worker.secret_not_text"(what);
    /// A secret the request referred to was forgotten (its job ended before, or a week passed).
    secret_forgotten = "worker.secret_forgotten"(what);
    /// The plan's lock could not be taken (the database).
    lock_failed = "worker.lock_failed"(reason);
    /// The blocking task of a backup, verification or restore failed.
    task_failed = "worker.task_failed"(reason);
}
