# The messages of Lawha's rules (lawha-domain), English. The code `backups.name_invalid` is the message
# `backups-name_invalid`; every message here must use exactly the arguments its code is given (a unit test
# compares them with the code's declaration), and exist in ../ar/domain.ftl too.

## A message whose whole content is data: a tool's output, the system's own words, or a text recorded before
## messages were codes.

text = { $text }

## Backup plans and runs

backups-field_problem = { $field } { $problem }
backups-plan_invalid = the backup plan is invalid: { $problems }
backups-name_invalid = must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit (it names the archive folder)
backups-source_path_required = must be an absolute path (and no url)
backups-source_url_required = must be a database URL (and no path)
backups-destination_kind_unsupported = "{ $kind }" is not supported; use "local"
backups-path_relative = must be an absolute path
backups-compression_level_range = must be from 1 (fastest) to 19 (smallest)
backups-keep_last_zero = must be at least 1 (the newest backup is always kept)
backups-recipient_invalid = must be an age X25519 recipient (age1…)
backups-plan_exists = the backup plan already exists
backups-plan_not_found = no such backup plan
backups-plan_deleted = the backup plan was deleted
backups-run_exists = the backup run already exists
backups-run_not_found = no such backup run
backups-run_stale = the run is { $status }; { $what } does not apply
backups-no_archive = the run has no archive to { $action }: only a completed, unpruned backup has one
backups-not_a_fact = { $event_type } is not a worker's fact

## Accounts and tokens

users-name_invalid = invalid user name "{ $name }": use 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter
users-role_unknown = unknown role "{ $value }"; expected one of: { $valid }
users-scope_unknown = unknown scope "{ $value }"; expected one of: { $valid }
users-exists = the user already exists
users-not_found = no such user
users-token_not_found = no such active token
users-same_role = the user already has the { $role } role
users-two_factor_on = two-factor sign-in is already on
users-two_factor_off = two-factor sign-in is off
users-token_name_invalid = a token name is 1 to 100 printable characters
users-token_no_scope = a token needs at least one scope (read, operate, admin)
users-token_scope_above = a { $owner } cannot issue a token with the { $scope } scope

## Jobs

jobs-ended = the job has already ended ({ $status })
jobs-stale = the message is for attempt { $got }, the job is at attempt { $due }
jobs-not_retryable = only a failed or dead job can be retried; this one is { $status }
jobs-never_queued = this job was never queued, so retrying it would fail the same way: { $reason }
jobs-abandoned = attempt { $attempt } was abandoned: its worker stopped (killed or lost) before reporting a result
