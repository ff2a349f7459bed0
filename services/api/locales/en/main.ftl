# Lawha's user interface, English.
#
# Every message id here must also exist in ../ar/main.ftl (a unit test compares them).
# Numbers passed as placeables ($minutes, $position, $status…) are formatted by the bundle
# (grouping, and Arabic-Indic digits in Arabic), so pass them as numbers, not strings.

## Application frame

app-name = Lawha
# The <title> of every page.
document-title = { $page } — Lawha
skip-to-content = Skip to content
nav-label = Main navigation
nav-dashboard = Dashboard
nav-audit = Audit log
nav-jobs = Jobs
nav-backups = Backups
nav-sites = Sites
nav-users = Users
nav-account = Account
nav-settings = Settings
nav-sign-in = Sign in
nav-sign-out = Sign out
header-signed-in-as = Signed in as { $user }
# The language's name in itself, shown on the language switch.
language-endonym = English

## Sign-in

sign-in-title = Sign in
sign-in-username = User name
sign-in-password = Password
sign-in-totp = Two-factor code
sign-in-totp-hint = Enter the six-digit code from your authenticator app, or one of your recovery codes.
sign-in-submit = Sign in
sign-in-error-invalid = The user name or password is incorrect.
sign-in-error-totp = The two-factor code is incorrect.
sign-in-error-locked =
    This account is locked. Try again in { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    }.
sign-in-error-throttled = Too many attempts. Please wait a moment and try again.
sign-in-error-busy = The server is busy checking other sign-ins. Please try again in a moment.

## Audit log

audit-title = Audit log
audit-filters = Filters
audit-filter-actor = Actor
audit-filter-event-type = Event type
audit-filter-stream = Stream
audit-filter-from = From
audit-filter-to = To
audit-filter-search = Search
audit-filter-apply = Apply filters
audit-filter-reset = Clear filters
audit-table-caption = Audit events, newest first
audit-col-time = Time
audit-col-actor = Actor
audit-col-ip = IP address
audit-col-action = Action
audit-col-target = Target
audit-col-summary = Summary
audit-export-csv = Export CSV
audit-export-jsonl = Export JSON Lines
audit-chain-title = Chain status
audit-chain-verified = The chain is intact.
audit-chain-broken = The chain is broken at position { $position }.
audit-chain-never = The chain has never been verified.
audit-chain-last-verified = Last verification: { $time }
audit-verify-now = Verify now
audit-raw-event = Raw event
audit-show-raw = Show raw event

## Dashboard

dashboard-title = Dashboard
dashboard-cpu = CPU
dashboard-memory = Memory
dashboard-disk = Disk
dashboard-load = Load average
dashboard-uptime = Uptime
dashboard-recent-activity = Recent activity
dashboard-last-hour = Last hour
dashboard-percent-used = { $percent }% used
duration-days =
    { $days ->
        [one] one day
       *[other] { $days } days
    }
duration-hours =
    { $hours ->
        [one] one hour
       *[other] { $hours } hours
    }
duration-minutes =
    { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    }

## Users

users-title = Users
users-name = Name
users-role = Role
users-password = Password
users-create = Create user
users-create-title = New user
role-admin = Administrator
role-operator = Operator
role-viewer = Viewer

## Account

account-title = Account
account-change-password = Change password
account-current-password = Current password
account-new-password = New password
account-confirm-password = Confirm new password
account-two-factor = Two-factor authentication
account-2fa-on = Two-factor authentication is on.
account-2fa-off = Two-factor authentication is off.
account-2fa-enroll = Set up two-factor authentication
account-2fa-scan = Scan this code with your authenticator app, then enter the code it shows.
account-2fa-code = Verification code
account-2fa-confirm = Confirm
account-2fa-disable = Turn off two-factor authentication
account-recovery-codes = Recovery codes
account-recovery-codes-hint = Each code works once. Keep them somewhere safe: they will not be shown again.
account-tokens = API tokens
account-token-name = Token name
account-token-scopes = Scopes
account-token-create = Create token
account-token-created = Copy this token now: it will not be shown again.
account-token-revoke = Revoke
account-token-revoke-confirm = Revoke this token? Programs that use it will stop working.
account-token-last-used = Last used
account-token-never-used = Never used
account-sign-out-everywhere = Sign out everywhere
scope-read = Read
scope-operate = Operate
scope-admin = Administer

## Settings

settings-title = Settings
settings-language = Language
settings-language-ar = Arabic
settings-language-en = English

## Generic

action-save = Save
action-cancel = Cancel
action-confirm = Are you sure?
pagination-label = Pagination
pagination-previous = Previous page
pagination-next = Next page
no-results = No results.

## Errors

error-status = Error { $status }
error-go-home = Go to the home page
error-400-title = Bad request
error-400-text = The request could not be understood. Check what you entered and try again.
error-401-title = Sign-in required
error-401-text = You need to sign in to see this page.
error-403-title = Access denied
error-403-text = Your account is not allowed to do this.
error-404-title = Page not found
error-404-text = The page you asked for does not exist or has moved.
error-500-title = Something went wrong
error-500-text = The server could not complete your request. The error has been logged; please try again later.

## Dates (abbreviated month names, used by format_datetime)

month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec

## Two-factor sign-in, account, users, settings and the chain status

sign-in-second-factor-intro = Your password is correct. Enter the code from your authenticator app to finish signing in.
sign-in-code = Code
sign-in-code-help = Six digits from your authenticator app, or one of your recovery codes.
sign-in-verify = Verify
sign-in-error-code = The code is wrong, expired or already used.
sign-in-error-expired = The sign-in took too long. Enter your user name and password again.
account-recovery-left = { $count ->
        [one] One recovery code left.
       *[other] { $count } recovery codes left.
    }
account-2fa-qr = QR code for your authenticator app
account-2fa-manual = Or type this key into the app:
account-token-created-at = Created
account-sessions = Sessions
account-done-password = Your password was changed.
account-done-two-factor-on = Two-factor authentication is now on.
account-done-two-factor-off = Two-factor authentication is now off.
account-done-token-revoked = The token was revoked.
users-created = Created
users-role-of = Role of { $user }
users-change-role = Change
users-2fa-on = On
users-2fa-off = Off
users-name-help = Lowercase letters, digits, dots, dashes and underscores; starting with a letter.
users-done-created = The user was created.
users-done-role = The role was changed.
audit-chain-intact = The chain is intact ({ $events } events checked).
audit-chain-verify = Verify now
settings-language-choose = Language of the panel
settings-security = Security
settings-profile = Profile
settings-session-idle = Sign-out after inactivity
settings-session-absolute = Sign-out after sign-in at the latest
settings-minutes = { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    }
settings-hours = { $hours ->
        [one] one hour
       *[other] { $hours } hours
    }
settings-effective-config = Effective configuration
settings-effective-config-help = As `lawha config check` prints it; secrets are redacted. Change it in the configuration file or the environment.
## entrance and setup

ip-not-allowed-title = Access from this address is not allowed
ip-not-allowed-text = This panel accepts connections only from the addresses on its allow-list, and { $ip } is not one of them. Ask the administrator to add it to ui.allow_ips.
setup-title = Create the first administrator
setup-intro = Nobody has an account yet. Choose the user name and password of the first administrator, who will be signed in at once. This link works once, and for one hour only.
setup-name = User name
setup-name-hint = 1 to 64 characters: lowercase letters, digits, dots, dashes or underscores, starting with a letter.
setup-password = Password
setup-password-hint = At least { $min } characters.
setup-confirm = Password again
setup-submit = Create the administrator and sign in
setup-error-name = The user name must be 1 to 64 characters long, use only lowercase letters, digits, dots, dashes or underscores, and start with a letter.
setup-error-password-short = The password must have at least { $min } characters.
setup-error-password-long = The password must have at most { $max } characters.
setup-error-password-mismatch = The two passwords are not the same.
setup-error-name-taken = This user name is already taken. Choose another one.
## dashboard

dashboard-host = This server
dashboard-measured-at = Measured { $time }
dashboard-no-data = No measurements yet.
dashboard-unavailable = Not available
dashboard-percent = { $value }%
dashboard-of-total = of { $total }
dashboard-cpu-cores =
    { $count ->
        [one] one core
       *[other] { $count } cores
    }
dashboard-swap = Swap: { $used } of { $total }
dashboard-swap-none = No swap
dashboard-disk-mount = Filesystem at { $mount }
dashboard-load-later = 5 min: { $five } · 15 min: { $fifteen }
dashboard-booted = Since { $time }
dashboard-duration-pair = { $first }, { $second }
dashboard-cpu-trend = CPU over the last hour: min { $min }, max { $max }
dashboard-memory-trend = Memory used over the last hour: min { $min }, max { $max }
dashboard-disk-trend = Disk used over the last hour: min { $min }, max { $max }
dashboard-load-trend = One-minute load over the last hour: min { $min }, max { $max }
dashboard-trend-empty = No measurements over the last hour yet.
dashboard-activity-caption = The ten newest audit events
dashboard-see-all = Open the audit log
# Binary units (1 KiB = 1024 bytes); $value is already formatted.
unit-bytes = { $value } B
unit-kib = { $value } KiB
unit-mib = { $value } MiB
unit-gib = { $value } GiB
unit-tib = { $value } TiB
unit-pib = { $value } PiB

## Audit summaries (the words before the recorded fields) and refusals shown on pages

event-UserCreated = User created
event-PasswordChanged = Password changed
event-ApiTokenCreated = API token created
event-ApiTokenRevoked = API token revoked
event-RoleChanged = Role changed
event-TwoFactorEnabled = Two-factor sign-in turned on
event-TwoFactorDisabled = Two-factor sign-in turned off
event-RecoveryCodeUsed = Recovery code used
event-SignedIn = Signed in
event-SignInFailed = Sign-in failed
event-SignInLockedOut = Sign-in locked out
event-SignedOut = Signed out
event-SignedOutEverywhere = Signed out everywhere
event-AuditChainVerified = Audit chain verified
error-code-wrong_password = The password is wrong.
error-code-wrong_code = The code is wrong, expired or already used.
error-code-last_admin = The last administrator cannot lose the admin role; make another user admin first.
error-code-already_exists = This name is already taken.
error-code-not_found = It does not exist (any more).
error-code-session_required = This needs a signed-in session.

## Jobs

jobs-title = Jobs
jobs-filters = Filters
jobs-filter-state = State
jobs-filter-kind = Kind
jobs-filter-any = Any
jobs-table-caption = Jobs, newest request first
jobs-col-requested = Requested
jobs-col-kind = Kind
jobs-col-queue = Queue
jobs-col-state = State
jobs-col-attempts = Attempts
jobs-col-error = Error
job-state-queued = Queued
job-state-running = Running
job-state-retrying = Waiting to retry
job-state-succeeded = Succeeded
job-state-failed = Failed
job-state-dead = Dead (attempts used up)
job-state-dispatch_failed = Never queued
job-state-worker_lost = Worker lost, will be retried
job-title = Job
job-back = Back to the jobs
job-heading = Job { $kind }
job-status = Status
job-started = Started
job-finished = Finished
job-next-run = Next attempt
job-next-run-now = As soon as a worker is free
job-duration = Duration
job-duration-ms = { $ms } ms
job-id = Job id
job-correlation = Correlation id
job-last-error = Last error: { $error }
job-output = Output
job-retry = Retry
job-retry-confirm = Run this job again?
job-attempts = Attempts
job-attempt = Attempt
job-worker = Worker
job-outcome = Outcome
job-no-attempts = No attempt has started yet.
job-outcome-running = Running
job-outcome-succeeded = Succeeded
job-outcome-failed = Failed (may be retried)
job-outcome-failed_permanently = Failed (retrying will not help)
job-outcome-worker_lost = Worker lost (no heartbeat), will be retried
job-log = Output log
job-log-help = The last { $lines } lines; new lines appear here while the page is open.
job-log-attempt = attempt { $attempt }
job-log-empty = No output yet.
job-done-retry = The retry was requested; the job is queued again.
job-refused = The retry was refused.
job-refused-not_retryable = Only a failed or dead job can be retried.
job-refused-never_queued = This job was never queued, so retrying it would fail the same way.
job-refused-conflict = The job changed at the same moment; look at its state and try again.
job-refused-not_found = There is no such job.
job-refused-forbidden = Retrying this job needs the level of the request that made it (an administrator for rebuilds, audit verifications and probes).
audit-chain-queued = Verification queued: the result appears here when the job has run.
event-AuditChainVerifyRequested = Audit chain verification requested
event-ProjectionRebuildRequested = Projection rebuild requested
event-ProbeRequested = Probe requested
event-JobStarted = Job started
event-JobSucceeded = Job succeeded
event-JobFailed = Job failed
event-JobRetryScheduled = Job retry scheduled
event-JobDeadLettered = Job dead-lettered
event-JobRetryRequested = Job retry requested
event-JobDispatchFailed = Job could not be queued
error-code-not_retryable = Only a failed or dead job can be retried.
error-code-never_queued = This job was never queued, so retrying it would fail the same way.

## Backups
backups-title = Backups
backups-new = New backup plan
backups-table-caption = Backup plans by name, with their last run
backups-empty = No backup plan yet.
backup-source = Source
backup-schedule = Schedule
backup-last-run = Last run
backup-size = Stored size
backup-encrypted = encrypted
backup-never-run = Never run
backup-kind-directory = Folder
backup-kind-sqlite = SQLite database
backup-kind-postgres = PostgreSQL database
backup-kind-mysql = MySQL/MariaDB database
backup-schedule-cron = { $cron }
backup-schedule-none = By hand only
backup-keep-last = the newest { $count }
backup-keep-days = { $days } days
backup-keep-bytes = at most { $size }
backup-keep-all = Everything is kept
backup-status-requested = Waiting to run
backup-status-running = Running
backup-status-verifying = Reading back
backup-status-completed = Completed and verified
backup-status-failed = Failed
backup-trigger-manual = By hand
backup-trigger-schedule = Scheduled
backup-done-created = The plan was created.
backup-done-updated = The plan was saved.
backup-done-deleted = The plan was deleted; its archives stay on disk.
backup-done-verify = Verification requested: the result appears here when the job has run.
backup-done-restore = Restore requested: the archive is verified first; the result appears here.
backup-back = Back to the backups
backup-plan-title = Backup plan
backup-plan-heading = Backup plan { $name }
backup-plan-settings = Settings
backup-encryption = Encryption
backup-encryption-none = None (archives are stored unencrypted)
backup-run-now = Run now
backup-edit = Edit
backup-delete = Delete
backup-delete-confirm = Delete this plan? Its archives stay on disk.
backup-runs = Runs
backup-trigger = Trigger
backup-status = Status
backup-pruned = removed by retention
backup-no-runs = No run yet.
backup-new-title = New backup plan
backup-edit-title = Edit backup plan
backup-form-problems = { $count ->
    [one] The plan was not saved: one field needs attention.
   *[other] The plan was not saved: { $count } fields need attention.
}
backup-form-source = What to back up
backup-form-destination = Where archives go
backup-form-schedule = When
backup-form-retention = Retention
backup-form-retention-help = Applied only after a verified backup; the newest verified backup is never removed. Leave a field empty for no limit.
backup-form-archive = Archive
backup-form-save = Save the plan
backup-form-create = Create the plan
backup-field-name = Name
backup-field-name-help = Letters, digits, '-', '_' or '.'; it also names the archive folder.
backup-field-source_kind = Kind
backup-field-source_path = Folder or SQLite file
backup-field-source_path-help = An absolute path on this server, for a folder or a SQLite source.
backup-field-source_url = Database URL
backup-field-source_url-help = postgres://user:password@host:5432/db or mysql://user:password@host:3306/db. The password is encrypted and shown as ***; leave *** to keep it.
backup-field-destination_path = Destination folder
backup-field-destination_path-help = An absolute path; archives go into a folder named after the plan.
backup-field-schedule = Cron expression
backup-field-schedule-help = Such as 0 3 * * * (every day at 03:00). Empty: runs by hand only.
backup-field-timezone = Time zone
backup-field-timezone-help = The zone the schedule is read in, such as UTC or Asia/Riyadh.
backup-field-keep_last = Keep the newest
backup-field-keep_last-help = How many backups to keep at least.
backup-field-keep_days = Keep for days
backup-field-keep_days-help = Backups younger than this many days are kept.
backup-field-max_total_mib = Total size limit (MiB)
backup-field-max_total_mib-help = The oldest backups are removed until all fit.
backup-field-compression_level = Compression level
backup-field-compression_level-help = zstd, from 1 (fastest) to 19 (smallest); 3 is a good default.
backup-field-recipient = Encrypt for (age recipient)
backup-field-recipient-help = An age1… public key: archives are then encrypted and only its identity can read them. Empty: no encryption.
backup-run-title = Backup run
backup-run-back = Back to plan { $name }
backup-run-heading = Backup run of { $name }
backup-source-size = Read from the source
backup-entries = Entries
backup-archive = Archive
backup-run-error = Failed: { $error }
backup-pruned-because = Retention removed this archive: { $reason }
backup-skipped = { $count ->
    [one] One entry was left out
   *[other] { $count } entries were left out
}
backup-last-verify = Last verification
backup-last-restore = Last restore
backup-check-requested = waiting to run
backup-check-ok = intact
backup-check-restored = restored
backup-check-failed = failed
backup-check-job = its job
backup-live-help = This section refreshes by itself while the run is under way; progress lines appear in the log below.
backup-actions = Actions
backup-verify-help = Reads the archive again and checks its size, SHA-256 and signed manifest.
backup-verify = Verify now
backup-identity = age identity
backup-identity-help = The AGE-SECRET-KEY-1… of the plan's recipient. It is sealed before it is recorded.
backup-restore = Restore
backup-restore-help = The archive is verified first; nothing is restored if it does not match.
backup-restore-path = Restore into
backup-restore-path-help = A new folder (or a new SQLite file) that does not exist yet, unless you replace it below.
backup-restore-url = Into database
backup-restore-url-help = The target database's URL. A safety dump of it is taken first and put back if the restore fails.
backup-restore-overwrite = Replace the folder if it exists
backup-restore-confirm = Restore this backup into the target?
backup-download = Download
backup-download-archive = archive
backup-download-manifest = manifest
backup-log = Output log
error-code-no_archive = This run has no archive to use: it did not complete, or retention removed it.

## Sites and deployments: the sites list, a site, the site form, a deployment
sites-title = Sites
sites-new = New site
sites-table-caption = Sites by name, with what serves and their last deployment
sites-empty = No site yet.
site-title = Site
site-heading = Site { $name }
site-back = Back to the sites
site-state = State
site-state-deploying = Deploying
site-state-serving = Serving
site-state-idle = Not serving yet
site-live = What serves
site-live-colour = Live colour
site-live-commit = Live commit
site-live-since = Serving since
site-last-deployment = Last deployment
site-never-deployed = Never deployed
site-colour-blue = Blue
site-colour-green = Green
site-runtime-process = Process
site-runtime-docker = Docker container
site-runtime-systemd = systemd unit
site-done-created = The site was created.
site-done-updated = The site was saved.
site-done-deleted = The site was deleted; its deployments stay in the audit log.
site-done-rotated = A new webhook secret was made; the old one no longer works.
site-webhook-url = Webhook URL
site-webhook-secret = Webhook secret
site-secret-once = Copy the secret now: it is shown only this once.
site-webhook-help = In the repository's settings on GitHub, add a webhook with this URL, content type application/json, this secret and the push event.
site-webhook-rotated = Secret made
site-rotate = New webhook secret
site-rotate-confirm = Make a new webhook secret? The current one stops working at once.
site-deploy-commit = Commit
site-deploy-commit-help = A full 40-digit commit SHA; empty deploys the head of { $branch }.
site-deploy-now = Deploy now
site-releases = Releases
site-commit = Commit
site-built = Built
site-trigger = Trigger
site-who = Who
site-release-live = Live
site-release-serving = serving
site-rollback = Roll back
site-rollback-confirm = Serve this release again? It goes through the same health check.
site-no-releases = No release yet.
site-deployments = Deployments
site-started = Requested
site-status = Status
site-duration = Duration
site-failed-step = Failed step
site-no-deployments = No deployment yet.
site-settings = Settings
site-ports = Ports
site-no-build = Nothing to build
site-env-names = Environment variables
site-deploy-key-kept = Stored (never shown)
site-deploy-key-none = None
site-edit = Edit
site-delete = Delete
site-delete-confirm = Delete this site? Its deployments stay in the audit log.
site-new-title = New site
site-edit-title = Edit site
site-form-problems = { $count ->
    [one] One field needs a change:
   *[other] { $count } fields need a change:
}
site-form-code = Code
site-form-run = Build and run
site-form-serve = Serve
site-form-save = Save the site
site-form-create = Create the site
site-field-name = Name
site-field-name-help = Letters, digits, '-', '_' or '.'; it also names the folder of its releases.
site-field-repository = Repository
site-field-repository-help = https://…, git@host:path, ssh://… or file:///…, without a password in it.
site-field-branch = Branch
site-field-branch-help = A push to this branch deploys it.
site-field-deploy_key = Deploy key
site-field-deploy_key-help = An SSH private key for an ssh repository. It is sealed and never shown again.
site-field-deploy_key-help-kept = A key is stored and never shown; leave this empty to keep it, or paste a new one.
site-field-deploy_key-again = The key you pasted is not sent back: paste it again.
site-field-remove_deploy_key = Remove the stored deploy key
site-field-runtime = Runtime
site-field-runtime-help = How releases run: a process of their own, or a container from the repository's Dockerfile.
site-field-build_command = Build command
site-field-build_command-help = Run in a fresh release folder, such as npm ci && npm run build. Empty: nothing to build.
site-field-start_command = Start command
site-field-start_command-help = Runs the app in the foreground; it must listen on $PORT.
site-field-health_path = Health path
site-field-health_path-help = Must answer 200 on the new colour before traffic switches, such as /health.
site-field-port_blue = Blue port
site-field-port_blue-help = Where the blue colour listens (1024-65535).
site-field-port_green = Green port
site-field-port_green-help = Where the green colour listens; not the blue one's.
site-field-domains = Domains
site-field-domains-help = The host names nginx serves the site under, one a line.
site-field-env = Environment variables
site-field-env-help = NAME=value, one a line. Values are sealed and never shown again.
site-field-env-help-edit = NAME=value, one a line. Values are never shown: NAME= keeps the stored value; remove a line to remove the variable.
site-field-releases_to_keep = Releases to keep
site-field-releases_to_keep-help = How many releases stay on disk for rollbacks (1-50); the live one is never removed.
site-field-host = Host
site-field-host-help = The machine whose deploy worker runs the site; local is this one.
deploy-status-requested = Waiting for a worker
deploy-status-fetched = Fetched
deploy-status-built = Built
deploy-status-started = Started
deploy-status-health_passed = Healthy
deploy-status-switched = Switched
deploy-status-drained = Old colour stopped
deploy-status-succeeded = Succeeded
deploy-status-failed = Failed
deploy-trigger-push = Push
deploy-trigger-manual = By hand
deploy-trigger-rollback = Rollback
deploy-trigger-follow_up = Follow-up of pushes
deploy-step-fetch = fetching the commit
deploy-step-build = building
deploy-step-start = starting
deploy-step-health = health check
deploy-step-switch = switching traffic
deploy-step-drain = stopping the old colour
deploy-duration = { $seconds } s
deployment-title = Deployment
deployment-heading = Deployment of { $name }
deployment-back = Back to site { $name }
deployment-done-deploy = Deployment requested: it starts once a worker of the site's host takes it.
deployment-done-rollback = Rollback requested: the release goes through the health check before it serves.
deployment-branch-head = the branch's head
deployment-pusher = Pushed by
deployment-delivery = GitHub delivery
deployment-after = Follows
deployment-colour = Colour
deployment-release = Release
deployment-failed-at = Failed at: { $step }
deployment-log-tail = The step's last output
deployment-steps = Steps
deployment-step-took = after { $duration }
deployment-live-help = This section refreshes by itself while the deployment is under way; the output appears in the log below.
deployment-log = Output log
deployment-event-requested = Requested
deployment-event-fetched = Commit fetched
deployment-event-built = Release built
deployment-event-started = Started
deployment-event-health_passed = Health check passed
deployment-event-switched = Traffic switched
deployment-event-drained = Old colour stopped
deployment-event-succeeded = Succeeded
deployment-event-failed = Failed

## Hosts
nav-hosts = Hosts
hosts-title = Hosts
hosts-intro = The machines whose deploy worker runs sites. A machine appears here when its lawha-deploy-worker starts.
hosts-table-caption = Every host with its state and last heartbeat
hosts-help = To add a machine, install lawha-deploy-worker there with the panel's database and Redis, and give it its own name in deployments.host. Its sites then name that host.
host-name = Name
host-state = State
host-last-seen = Last heartbeat
host-runtimes = Runtimes
host-labels = Labels
host-version = Version
host-sites = Sites
host-own = this panel's machine
host-state-online = Online
host-state-offline = Offline: its worker stopped answering
host-state-stopped = Stopped
host-state-unregistered = Waiting for its worker to start

## Deployments and hosts in the audit log
event-SiteCreated = Site created
event-SiteUpdated = Site changed
event-SiteDeleted = Site deleted
event-WebhookSecretRotated = Webhook secret replaced
event-WebhookDeliveryReceived = GitHub delivery received
event-WebhookDeliveryRejected = GitHub delivery refused
event-DeploymentRequested = Deployment requested
event-DeploymentFetched = Deployment: commit fetched
event-DeploymentBuilt = Deployment: release built
event-DeploymentStarted = Deployment: release started on the idle colour
event-DeploymentHealthPassed = Deployment: health check passed
event-DeploymentSwitched = Deployment: traffic switched
event-DeploymentDrained = Deployment: old colour drained
event-DeploymentSucceeded = Deployment succeeded
event-DeploymentFailed = Deployment failed
event-HostRegistered = Host's deploy worker started
event-HostStopped = Host's deploy worker stopped

## Certificates
nav-certificates = Certificates
certificates-title = Certificates
certificates-new = New certificate
certificates-table-caption = Certificates, soonest expiry first, with their last failed order
certificates-empty = No certificate yet. Ask for one for the names your sites serve.
certificate-title = Certificate
certificate-new-title = New certificate
certificate-back = Back to the certificates
certificate-status = Status
certificate-status-ordering = Ordering
certificate-status-issued = Being installed
certificate-status-installed = Served
certificate-status-failed = Last order failed
certificate-status-deleted = Deleted
certificate-status-new = New
certificate-days = Days left
certificate-days-left = { $days ->
    [one] 1 day
   *[other] { $days } days
}
certificate-expired = Expired
certificate-more-names = { $count ->
    [one] and 1 more name
   *[other] and { $count } more names
}
certificate-issuer = Issuer
certificate-last-attempt = Last order
certificate-not-after = Expires
certificate-serial = Serial number
certificate-fingerprint = SHA-256 fingerprint
certificate-window = CA's renewal window
certificate-window-none = None given (renewed when a third of its lifetime is left)
certificate-installed = Installed file
certificate-state = Where it is
certificate-spec = What it certifies
certificate-events = Its events
certificate-renew = Renew now
certificate-renew-force = Order again even though an order is under way (it seems stuck)
certificate-delete = Delete the certificate
certificate-delete-confirm = Delete this certificate? It will no longer be renewed; its files stay on the host until removed.
certificate-failed-orders = { $count ->
    [one] The last order failed
   *[other] The last { $count } orders failed
}
certificate-next-retry = Next try
certificate-done-requested = The certificate was asked for; its first order is queued for the cert worker of its host.
certificate-done-renewing = A new order was queued.
certificate-done-deleted = The certificate was deleted; it will no longer be renewed.
certificate-step-account = CA account
certificate-step-order = order
certificate-step-authorization = authorization
certificate-step-challenge = challenge
certificate-step-finalize = finalization
certificate-step-download = download
certificate-step-install = installation
certificate-field-names = Names
certificate-field-names-help = One name a line, the first being the certificate's subject, such as example.com and www.example.com. A wildcard (*.example.com) needs dns-01.
certificate-field-challenge = Proof of control
certificate-field-challenge-help = http-01: the host's nginx serves a file at /.well-known/acme-challenge/ on port 80. dns-01: your hook command sets a TXT record.
certificate-challenge-http-01 = http-01 (a file served on port 80)
certificate-challenge-dns-01 = dns-01 (a TXT record, set by a hook)
certificate-field-dns_hook = DNS hook command
certificate-field-dns_hook-help = With dns-01 only: run as `<command> set <name> <value>`, then `<command> clear <name> <value>`.
certificate-field-directory = ACME directory
certificate-field-directory-help = letsencrypt, letsencrypt-staging (test certificates), or the URL of another ACME CA's directory.
certificate-field-trusted_root = Root to trust
certificate-field-trusted_root-help = With a directory URL only: the absolute path, on the host, of a PEM root for a private CA.
certificate-field-email = Contact e-mail
certificate-field-email-help = Given to the CA's account for expiry and incident notices; may stay empty.
certificate-field-key_type = Key type
certificate-field-key_type-help = ECDSA P-256 suits every current client; RSA 2048 only for very old ones.
certificate-key-ecdsa-p256 = ECDSA P-256
certificate-key-rsa-2048 = RSA 2048
certificate-field-profile = ACME profile
certificate-field-profile-help = A profile the CA offers (Let's Encrypt: classic, tlsserver, shortlived); empty for its default.
certificate-field-host = Host
certificate-field-host-help = The machine whose nginx serves these names: its cert worker answers the challenge and installs the certificate.
certificate-form-proof = Proof of control
certificate-form-ca = Certificate authority
certificate-form-create = Ask for the certificate
certificate-form-problems = { $count ->
    [one] The certificate was not asked for: one field needs a change.
   *[other] The certificate was not asked for: { $count } fields need a change.
}
dashboard-certificate-nearest = Nearest certificate expiry
dashboard-certificate-none = No certificate is served yet.
dashboard-certificate-failing = { $count ->
    [one] 1 certificate's last order failed
   *[other] { $count } certificates' last orders failed
}
event-CertificateRequested = Certificate asked for
event-CertificateRenewalRequested = Certificate renewal asked for
event-CertificateIssued = Certificate issued by the CA
event-CertificateRenewalWindowFetched = CA's renewal window fetched
event-CertificateOrderFailed = Certificate order failed
event-CertificateInstalled = Certificate installed and served
event-CertificateDeleted = Certificate deleted
