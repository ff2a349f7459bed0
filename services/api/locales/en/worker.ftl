# The messages of the backup worker (lawha-backup-worker), English: its job log lines, the summaries it records
# on a run, and why it gave up on a job. Same rules as domain.ftl.

worker-run_already_completed = this run completed already; nothing to do
worker-waiting_for_plan = waiting for any other run of plan { $plan } to end
worker-removed_partials = removed { $count } partial file(s) an interrupted attempt of this run left
worker-backing_up = backing up { $source } ({ $kind }) into { $folder }
worker-progress = { $read_mib } MiB read, { $stored_mib } MiB stored, { $rate_mib } MiB/s
worker-failed = failed: { $reason }
worker-read_back = read back { $bytes } bytes: SHA-256 { $sha256 } matches the manifest
worker-retention_removed = retention removed { $path }
worker-retention_failed = retention was not applied: { $reason }
worker-pruned_by_retention = retention policy
worker-verifying = verifying { $archive }
worker-verify_intact = intact: { $bytes } bytes, SHA-256 { $sha256 }, manifest signature valid
worker-restore_verifying = verifying { $archive } before restoring it into { $target }
worker-restored_directory = restored { $entries } entries ({ $bytes } bytes) into { $path }
worker-restored_directory_keeping = restored { $entries } entries ({ $bytes } bytes) into { $path }; the folder it replaced is kept at { $previous } for { $hours } hours
worker-restore_refused = refused, nothing was written: { $reason }
worker-swept = beside earlier restore targets: removed { $staging } staging folder(s) of interrupted restores and { $previous } replaced folder(s) kept long enough
worker-swept_put_back = { $path } was missing after an interrupted restore: its previous folder was put back
worker-restored_database = restored { $bytes } bytes into { $target }
worker-restored_database_after_dump = restored { $bytes } bytes into { $target }, after a safety dump of { $dump_bytes } bytes
worker-restore_needs_path = a directory restore needs target.path
worker-restore_needs_file = a SQLite restore needs target.path (a new file)
worker-restore_needs_url = a { $kind } restore needs target.url (a database)
worker-restore_needs_identity = the archive is encrypted: the restore needs its identity
worker-payload_missing = the job's payload has no { $name }
worker-plan_deleted = the backup plan { $plan } was deleted
worker-plan_missing = no backup plan { $plan }
worker-plan_unknown = the run's plan is unknown
worker-request_missing = the request { $job } is not in the run's stream
worker-request_wrong_kind = the job's request is not a { $expected }
worker-no_archive = the run has no archive
worker-stream_unreadable = { $stream } does not decode: { $reason }
worker-read_failed = reading { $stream }: { $reason }
worker-record_failed = recording { $fact }: { $reason }
worker-record_conflicts = recording { $fact } kept conflicting with other writers
worker-secret_unopenable = { $what ->
        [plan_password] the plan's password
        [target_password] the target's password
        [age_identity] the age identity
       *[other] { $what }
    }: { $reason }
worker-secret_not_text = { $what ->
        [plan_password] the plan's password
        [target_password] the target's password
        [age_identity] the age identity
       *[other] { $what }
    } is not text
worker-secret_forgotten = { $what ->
        [plan_password] the plan's password
        [target_password] the target's password
        [age_identity] the age identity
       *[other] { $what }
    } was forgotten when the request's job ended (or after a week): ask again, giving it anew
worker-lock_failed = taking the plan's lock: { $reason }
worker-task_failed = the worker's task failed: { $reason }
