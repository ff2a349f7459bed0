//! The messages the job pipeline can emit: why the dispatcher could not queue a request, why the runtime failed an
//! attempt, what the probe job says, and why a schedule was refused. The panel renders them in the reader's
//! language; nothing here builds a sentence.

lawha_domain::messages! {
    /// A request event no job kind answers.
    no_kind = "dispatch.no_kind"(event_type);
    /// A kind refused the request's data; `problem` says how.
    request_refused = "dispatch.request_refused"(kind, problem);
    /// A request without a valid id field.
    field_invalid = "dispatch.field_invalid"(name);
    /// A rebuild request without a projection.
    no_projection = "dispatch.no_projection";
    /// A limit of a request outside its bounds.
    limit_range = "dispatch.limit_range"(name, min, max);
    /// A probe's outcome that does not exist.
    outcome_invalid = "dispatch.outcome_invalid"(valid);
    /// A job whose kind this worker has no handler for.
    no_handler = "runtime.no_handler"(worker, kind);
    /// A job body that panicked.
    panicked = "runtime.panicked"(reason);
    /// An attempt that outlived its timeout.
    timed_out = "runtime.timed_out"(ms);
    /// The probe sleeps before its outcome.
    probe_sleeping = "probe.sleeping"(attempt, ms);
    /// The probe fails, as asked.
    probe_failed = "probe.failed"(attempt);
    /// The probe fails for good, as asked.
    probe_failed_permanently = "probe.failed_permanently";
    /// A cron expression that does not parse.
    cron_invalid = "schedule.cron_invalid"(expression);
    /// A cron expression that names no time that exists.
    cron_never_fires = "schedule.cron_never_fires"(expression);
    /// A cron expression that fires more often than its job may run.
    cron_too_frequent = "schedule.cron_too_frequent"(expression, minutes);
    /// A time zone that is neither UTC nor an IANA name.
    timezone_unknown = "schedule.timezone_unknown"(zone);
}
