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

## Sites, deployments and GitHub webhooks

deployments-field_problem = { $field } { $problem }
deployments-site_invalid = the site is invalid: { $problems }
deployments-name_invalid = must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit (it names the folder of releases)
deployments-repository_invalid = must be an https:// or ssh:// URL, git@host:path, or file:// followed by an absolute path
deployments-repository_credentials = must not carry a user name or password (they would be recorded in clear); use a deploy key
deployments-branch_invalid = must be a valid git branch name: no spaces, '..', '~', '^', ':', '?', '*', '[' or '\', not starting with '-' and not ending with '/', '.' or '.lock'
deployments-deploy_key_needs_ssh = must go with an SSH repository (git@host:path or ssh://); https and file repositories need none
deployments-command_invalid = must not be blank, be at most 4096 bytes, and hold no control character but tab and newline
deployments-start_command_port = must use { "\u0024PORT" }, the port of the colour the release starts on
deployments-health_path_invalid = must be a path starting with '/', without spaces (at most 1024 characters)
deployments-env_name_invalid = must be letters, digits and '_', starting with a letter or '_' ("{ $name }" is not)
deployments-env_name_reserved = must not include { $name }: the deployment sets it to the colour's port
deployments-env_name_duplicate = must name each variable once ({ $name } is named twice)
deployments-env_values_missing = must be given: the variables have names but no values
deployments-env_values_unexpected = must be absent when no variable is named
deployments-port_range = must be from 1024 to 65535
deployments-ports_same = must differ: blue and green need a port each
deployments-domain_invalid = must be lowercase host names ("{ $domain }" is not one)
deployments-domain_duplicate = must list each domain once ({ $domain } is listed twice)
deployments-releases_to_keep_range = must be from 1 to 50
deployments-host_invalid = must be a host's name: 1 to 63 lowercase letters, digits and '-', not starting or ending with '-'
deployments-site_exists = the site already exists
deployments-site_not_found = no such site
deployments-site_deleted = the site was deleted
deployments-deployment_exists = the deployment already exists
deployments-deployment_not_found = no such deployment
deployments-commit_invalid = "{ $commit }" is not a commit: expected 40 lowercase hexadecimal digits
deployments-commit_mismatch = the deployment asked for commit { $requested }, but { $fetched } was fetched
deployments-fact_out_of_order = { $fact } is not the next step of a deployment that is { $status ->
        [health_passed] healthy
       *[other] { $status }
    }
deployments-deployment_ended = the deployment has ended ({ $status }); nothing more is recorded
deployments-colour_mismatch = the release was started on { $started }, so traffic cannot switch to { $switched }
deployments-not_a_fact = { $event_type } is not a worker's fact
deployments-signature_missing = the request has no X-Hub-Signature-256 header: give the GitHub hook the site's webhook secret
deployments-signature_malformed = the X-Hub-Signature-256 header is not sha256= followed by 64 hexadecimal digits
deployments-signature_mismatch = the signature does not match the site's webhook secret
deployments-delivery_ping = GitHub's ping: the hook reaches the panel; nothing to deploy
deployments-delivery_tag_push = a push of the tag { $git_ref }: nothing to deploy
deployments-delivery_branch_deleted = the branch { $git_ref } was deleted: nothing to deploy
deployments-delivery_other_branch = a push to { $git_ref }, not the site's branch: nothing to deploy
deployments-delivery_other_event = a { $event } event: only pushes deploy
deployments-delivery_malformed = the { $event } payload lacks { $field } or holds a wrong value in it

## TLS certificates

certificates-field_problem = { $field } { $problem }
certificates-certificate_invalid = the certificate is invalid: { $problems }
certificates-names_empty = must list at least one name
certificates-names_too_many = must list at most { $max } names ({ $count } are listed)
certificates-name_too_long = must be at most { $max } characters long ("{ $name }" is longer)
certificates-name_invalid = must be lowercase host names, or '*.' followed by one with dns-01 ("{ $name }" is not)
certificates-name_ip_address = must be host names, not IP addresses ({ $name } is one)
certificates-name_wildcard_needs_dns = must not hold a wildcard with http-01: { $name } needs the dns-01 challenge
certificates-name_duplicate = must list each name once ({ $name } is listed twice)
certificates-name_redundant = must not list { $name }: { $wildcard } already covers it
certificates-dns_hook_blank = must be a command; it is blank
certificates-dns_hook_too_long = must be at most { $max } bytes
certificates-dns_hook_control = must be one command line, without control characters such as a new line
certificates-directory_url_invalid = must be the https:// URL of an ACME directory, without a user name or password
certificates-directory_not_https = must use https (http only for a directory on this machine: localhost, 127.0.0.1 or [::1])
certificates-trusted_root_invalid = must be the absolute path of a PEM file
certificates-email_invalid = must be an e-mail address such as ops@example.com
certificates-profile_invalid = must be an ACME profile name: 1 to 64 lowercase letters, digits and '-' (such as classic or shortlived)
certificates-host_invalid = must be a host's name: 1 to 63 lowercase letters, digits and '-', not starting or ending with '-'
certificates-certificate_exists = the certificate already exists
certificates-certificate_not_found = no such certificate
certificates-certificate_deleted = the certificate was deleted
certificates-order_under_way = an order for this certificate is already under way: wait for it to end, or force the renewal
certificates-no_order_under_way = no order for this certificate is under way
certificates-not_issued = no certificate has been issued yet
certificates-serial_mismatch = the current certificate is { $current }, not { $given }
certificates-validity_inverted = a certificate must end after it starts
certificates-window_inverted = a renewal window must end after it starts
certificates-fact_invalid = the worker's fact has an invalid { $field }
