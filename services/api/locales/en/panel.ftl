# The panel's own messages (services/api capabilities), filled as they are declared.

## The HTTP layer

http-not_found = no such resource
http-unauthorized = sign in or send `Authorization: Bearer <token>`
http-authorization_malformed = the Authorization header must be `Bearer <token>`
http-token_invalid = the token is unknown, revoked or malformed
http-session_required = this needs a signed-in session: API tokens cannot manage accounts, passwords, two-factor sign-in or tokens
http-forbidden = this needs the { $level } level; { $actor } has { $has }
http-csrf_failed = the CSRF token is missing or wrong: reload the page and try again
http-csrf_no_session = no session: load a page (or GET /api/v1/session) first
http-csrf_no_token = no CSRF token in this session: reload the page
http-form_too_large = the form is larger than the body limit
http-ip_not_allowed = the client address { $ip } is not in this panel's allow-list (ui.allow_ips)
http-not_ready = failing checks: { $failing }
http-invalid_language = unknown language "{ $value }"; use en or ar
http-invalid_body = the request body is not valid: { $reason }
http-internal = internal error; see the server log
http-shutting_down = the event store is shutting down
http-conflict = stream { $stream } is at version { $actual }, the command expected { $expected }
http-invalid_command = invalid append: { $reason }
http-database_unavailable = the database cannot be reached just now; try again in { $retry_after } s

input-json_syntax = the body is not valid JSON: { $reason }
input-body_required = this request needs a JSON body, sent with Content-Type: application/json
input-media_type = the body must be sent as application/json, not { $got }
input-body_shape = { $path }: { $reason }
input-body_nul = { $path }: text may not contain the NUL character
input-query_encoding = the query string does not decode: { $reason }
input-query_blank = `{ $parameter }` has no value: give it one or leave it out
input-query_nul = `{ $parameter }` contains the NUL character
input-path_unknown = nothing is called "{ $value }" here
input-uri_too_long = the request target is longer than { $limit } bytes
input-form_media_type = the form must be sent as application/x-www-form-urlencoded, not { $got }
input-form_encoding = the form does not decode: { $reason }
input-form_repeated = `{ $field }` is given more than once

## Backups: the plan's inputs checked on this machine, the plan form, unknown ids

backups-name_taken = "{ $name }" is the name of another plan
backups-path_missing = { $path } does not exist
backups-path_unreadable = { $path } cannot be read: { $reason }
backups-not_a_directory = { $path } is not a directory
backups-directory_unlistable = { $path } cannot be listed: { $reason }
backups-not_a_file = { $path } is not a file
backups-not_sqlite = { $path } is not a SQLite database
backups-sqlite_unreadable = { $path } cannot be read as a SQLite database: { $reason }
backups-destination_not_folder = exists and is not a folder
backups-url_not_for_kind = is only for postgres and mysql sources
backups-url_shape = must look like { $scheme }://user:password@host:port/database
backups-url_scheme = must start with { $first }:// or { $second }:// for a { $kind } source
backups-url_no_host = names no host
backups-url_no_database = names no database (…/database at the end)
backups-not_a_number = "{ $text }" is not a whole number
backups-kind_choose = choose directory, sqlite, postgres or mysql
backups-target_one_of = needs exactly one of path (a new folder or file) and url (a database)
backups-plan_missing = no backup plan { $id }
backups-run_missing = no backup run { $id }

## Audit: why a query of the list or the export was refused

audit-limit_range = `limit` must be an integer from 1 to 500, got "{ $got }"
audit-before_invalid = `before` must be a positive event position, got "{ $got }"
audit-format_invalid = `format` must be csv or jsonl, got "{ $got }"
audit-format_required = `format` is required: csv or jsonl
audit-since_after_until = `since` must not be after `until`
audit-unknown_parameter = unknown query parameter "{ $key }"; accepted: { $accepted }
audit-given_twice = `{ $key }` may be given only once
audit-too_long = `{ $key }` must be at most { $max } characters
audit-event_type_invalid = `event_type` "{ $value }" is not an event type name such as BackupCompleted
audit-too_many_types = `event_type` may name at most { $max } types
audit-stream_invalid = `stream` "{ $value }" is not a stream id (category-id, such as backup_run-…)
audit-stream_selector = `stream` must be a stream id (backup_run-…) or a category of lowercase letters and underscores, got "{ $value }"
audit-timestamp_invalid = `{ $key }` must be an RFC 3339 timestamp such as 2025-01-31T12:00:00Z (write a + offset as %2B), got "{ $value }"
audit-stream_query_invalid = { $reason }; use ?after=<position>, ?job=<job id>, ?log_after=<line id>
audit-no_event = no event at position { $position }
audit-too_many_streams = you already have { $limit } live streams open (http.max_streams_per_principal); close a page or tab that shows live updates
audit-streams_exhausted = the panel holds its most live streams ({ $limit }, http.max_streams); try again shortly

## Jobs: unknown jobs and projections, refused queries and probe requests, the in-process jobs' log

jobs-not_found = no job { $id }
jobs-unknown_state = unknown state "{ $value }"
jobs-unknown_kind = unknown kind "{ $value }"
jobs-retry_needs_level = retrying a { $kind } job needs the { $level } level, the level of the request that made it
jobs-retry_needs_session = retrying a { $kind } job needs a signed-in { $level } session, as its request did; a token cannot
jobs-number_range = `{ $parameter }` must be a whole number from { $min } to { $max }, got "{ $got }"
jobs-unknown_parameter = unknown parameter `{ $parameter }`
jobs-unknown_projection = no projection named "{ $name }"; known: { $known }
jobs-chain_verdict_intact = verdict: the chain is intact ({ $events } events)
jobs-chain_verdict_broken = verdict: the chain is broken at position { $position }: { $reason }
jobs-chain_missing = missing: the next stored event is at position { $next }
jobs-chain_not_json = data or metadata is not valid JSON
jobs-chain_mismatch = chain mismatch: the event was changed after it was recorded
jobs-chain_head_beyond = missing: the recorded head is position { $head }, the log ends at { $last }
jobs-chain_head_mismatch = the recorded chain head does not match the last event
jobs-chain_unknown_key = chained under key { $key_id }, which is neither the secret key nor one of previous_secret_keys
jobs-chain_checkpoint_beyond = checkpoint line { $line } (position { $position }, anchored { $at }) is not in the log, which ends at { $last }: the log was truncated or rolled back
jobs-chain_checkpoint_mismatch = checkpoint line { $line } (position { $position }, anchored { $at }) does not match the event at that position: the log was rewritten, or rolled back and appended to
jobs-chain_checkpoint_invalid = checkpoint line { $line } is not a checkpoint signed by this panel's keys
jobs-chain_checkpoints_held = the log holds all { $count } checkpoints of { $file }
jobs-chain_checkpoints_unreadable = cannot read the checkpoint file { $file }: { $reason }
jobs-chain_anchored = anchored: a checkpoint of position { $position } was written to { $file }
jobs-chain_anchor_failed = the verified head could not be anchored in { $file }: { $reason }
jobs-store_failed = the event log failed: { $reason }
jobs-rebuilding = rebuilding { $name }
jobs-rebuilt = rebuilt { $name }: { $events } events in { $millis } ms

## Users: passwords, codes and sign-in

users-password_too_short = the password must have at least { $min } characters
users-password_too_long = the password must have at most { $max } characters
users-passwords_differ = the two new passwords differ
users-wrong_code = the code is wrong, expired or already used
users-wrong_password = the current password is wrong
users-last_admin = the last administrator cannot lose the admin role; make another user admin first
users-no_pending_secret = start the enrollment first: there is no pending secret
users-secret_unopenable = the stored two-factor secret cannot be opened
users-credential_failed = the credential could not be processed: { $reason }
users-invalid_credentials = invalid user name or password
users-locked_out = too many failed sign-ins; try again in { $seconds } s
users-no_pending_sign_in = sign in with the password first; the code must follow within 5 minutes
users-busy = the server is busy checking other passwords; try again in { $seconds } s
users-password_checks_throttled = too many wrong passwords; try again in { $seconds } s
users-role_change_in_progress = another role change is being recorded; try again in a moment

## Deployments
deployments-name_taken = "{ $name }" is the name of another site
deployments-host_unknown = no deploy worker has registered the host "{ $host }": known hosts are { $known } (GET /api/v1/hosts)
deployments-runtime_not_offered = the host { $host } does not offer the { $runtime } runtime; it offers { $offered }
deployments-site_missing = no site is called { $id }
deployments-deployment_missing = no deployment or release is called { $id }
deployments-secret_unreadable = a secret of this site cannot be opened (was the secret key changed without keeping the old one?)
deployments-delivery_headers = the delivery has no { $header } header
deployments-delivery_body = the delivery's body is not GitHub's payload: { $reason }
deployments-delivery_repeated = delivery { $delivery } was answered before; nothing new was done
deployments-delivery_follows = a deployment is running: this push is deployed by { $deployment } once it ends
deployments-not_a_number = "{ $text }" is not a whole number
deployments-runtime_choose = choose process, docker or systemd

## Certificates (the panel's checks)
certificates_api-host_unknown = no cert worker can be reached on the host "{ $host }": known hosts are { $known } (GET /api/v1/hosts)
certificates_api-certificate_missing = there is no certificate { $id }
certificates_api-challenge_unknown = "{ $challenge }" is not a challenge: choose http-01 or dns-01
certificates_api-dns_hook_missing = dns-01 needs a hook command that sets and clears the TXT record
certificates_api-dns_hook_unused = a DNS hook is only used with dns-01: remove it or choose dns-01
certificates_api-trusted_root_unused = a root to trust is only used with a directory URL: Let's Encrypt's roots are trusted already
certificates_api-key_type_unknown = "{ $key_type }" is not a key type: choose ecdsa-p256 or rsa-2048
