//! The messages of the job rules: why a command on a job was refused, and the error of an abandoned attempt.

crate::messages! {
    /// A message for a job that already ended.
    ended = "jobs.ended"(status);
    /// A message for another attempt than the one due.
    stale = "jobs.stale"(got, due);
    /// A retry by hand of a job that is not failed or dead.
    not_retryable = "jobs.not_retryable"(status);
    /// A retry by hand of a job that was never queued.
    never_queued = "jobs.never_queued"(reason);
    /// The error of an attempt whose worker vanished.
    abandoned = "jobs.abandoned"(attempt);
}
