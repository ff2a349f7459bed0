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
