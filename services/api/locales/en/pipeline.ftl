# The messages of the job pipeline (lawha-jobs), English: why a request was not queued, why an attempt failed,
# what the probe job says, and why a schedule was refused. Same rules as domain.ftl.

dispatch-no_kind = no job kind is registered for { $event_type } events
dispatch-request_refused = { $kind } refused the request: { $problem }
dispatch-field_invalid = the request has no valid { $name }
dispatch-no_projection = the request names no projection
dispatch-limit_range = { $name } must be a whole number from { $min } to { $max }
dispatch-outcome_invalid = outcome must be one of { $valid }
runtime-no_handler = worker { $worker } has no handler for { $kind } jobs
runtime-panicked = the job panicked: { $reason }
runtime-timed_out = the attempt timed out after { $ms } ms
probe-sleeping = probe attempt { $attempt }: sleeping { $ms } ms
probe-failed = probe asked to fail (attempt { $attempt })
probe-failed_permanently = probe asked to fail permanently
schedule-cron_invalid = "{ $expression }" is not a cron expression: use five fields (minute hour day month weekday) or six with seconds first, e.g. 0 3 * * *
schedule-cron_never_fires = the cron expression "{ $expression }" never fires (no such date exists)
schedule-cron_too_frequent = the cron expression "{ $expression }" fires too often: at most once every { $minutes ->
    [one] minute
   *[other] { $minutes } minutes
}
schedule-timezone_unknown = "{ $zone }" is not a time zone name (e.g. UTC, Asia/Riyadh)
