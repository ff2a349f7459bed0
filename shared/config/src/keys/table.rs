//! The table itself: one entry per key, with its default and what it does (the README's rows).

use super::KeyDoc;

/// Every key the loader accepts, in the order they are rendered.
pub const KEYS: &[KeyDoc] = &[
    KeyDoc {
        key: "listen",
        env: "LAWHA_LISTEN",
        default: "127.0.0.1:8080",
        meaning: "Address and port the HTTP API listens on.",
    },
    KeyDoc {
        key: "data_dir",
        env: "LAWHA_DATA_DIR",
        default: "./data (development, test); /var/lib/lawha (production)",
        meaning: "Directory for local state: the SQLite database and the development secret key.",
    },
    KeyDoc {
        key: "database_url",
        env: "LAWHA_DATABASE_URL",
        default: "sqlite://<data_dir>/lawha.db (development, test); required (production)",
        meaning: "Event store location: postgres://, postgresql:// or sqlite://. \
                  Production requires PostgreSQL. Also read from LAWHA_DATABASE_URL_FILE.",
    },
    KeyDoc {
        key: "redis_url",
        env: "LAWHA_REDIS_URL",
        default: "none (development, test); required (production)",
        meaning: "Redis for job queues: redis:// or rediss://. \
                  Also read from LAWHA_REDIS_URL_FILE.",
    },
    KeyDoc {
        key: "secret_key",
        env: "LAWHA_SECRET_KEY",
        default: "<data_dir>/secret.key, generated (development, test); required (production)",
        meaning: "Key for the audit chain's MACs, at least 32 bytes (`openssl rand -hex 32`). \
                  Also read from LAWHA_SECRET_KEY_FILE.",
    },
    KeyDoc {
        key: "previous_secret_keys",
        env: "LAWHA_PREVIOUS_SECRET_KEYS",
        default: "<data_dir>/previous-secret.keys when it exists (development, test); none",
        meaning: "The secret keys used before secret_key (`lawha admin rotate-key` adds the old one), each at least \
                  32 bytes: they make nothing new, but the events they chained, the checkpoints they signed and the \
                  secrets they sealed still verify and open. Keep a key here as long as anything made under it \
                  matters. A TOML array, or comma-separated in the environment; LAWHA_PREVIOUS_SECRET_KEYS_FILE \
                  holds one per line.",
    },
    KeyDoc {
        key: "http.body_limit_bytes",
        env: "LAWHA_HTTP__BODY_LIMIT_BYTES",
        default: "2097152",
        meaning: "Largest accepted request body in bytes; larger requests get 413.",
    },
    KeyDoc {
        key: "http.request_timeout_secs",
        env: "LAWHA_HTTP__REQUEST_TIMEOUT_SECS",
        default: "30",
        meaning: "Seconds a request may take before it is answered with a timeout.",
    },
    KeyDoc {
        key: "http.shutdown_grace_secs",
        env: "LAWHA_HTTP__SHUTDOWN_GRACE_SECS",
        default: "30",
        meaning: "Seconds in-flight requests get to finish after a shutdown signal.",
    },
    KeyDoc {
        key: "http.header_read_timeout_secs",
        env: "LAWHA_HTTP__HEADER_READ_TIMEOUT_SECS",
        default: "10",
        meaning: "Seconds a client has to send a request's headers (and to start the next request on a kept-alive \
                  connection) before the connection is closed, 1 to 3600.",
    },
    KeyDoc {
        key: "http.idle_timeout_secs",
        env: "LAWHA_HTTP__IDLE_TIMEOUT_SECS",
        default: "60",
        meaning: "Seconds a connection may move no byte in either direction before it is closed, 1 to 86400; \
                  live event streams send a keep-alive well within it.",
    },
    KeyDoc {
        key: "http.max_streams_per_principal",
        env: "LAWHA_HTTP__MAX_STREAMS_PER_PRINCIPAL",
        default: "8",
        meaning: "Live event streams one user's sessions (or one API token) may hold open at once; one more gets \
                  429 too_many_streams.",
    },
    KeyDoc {
        key: "http.max_streams",
        env: "LAWHA_HTTP__MAX_STREAMS",
        default: "200",
        meaning: "Live event streams the process holds open at once; one more gets 503 streams_exhausted.",
    },
    KeyDoc {
        key: "http.trusted_proxies",
        env: "LAWHA_HTTP__TRUSTED_PROXIES",
        default: "127.0.0.0/8, ::1/128",
        meaning: "Addresses and CIDR ranges of the reverse proxies allowed to name the client: from such a peer the \
                  client is X-Real-IP, else the right-most X-Forwarded-For address that is not itself trusted; from \
                  any other peer the headers are ignored. IPv4-mapped IPv6 peers (::ffff:127.0.0.1) count as IPv4. \
                  A TOML array or a comma-separated list; empty trusts no proxy. The compose files add the gateway \
                  of their frontend network.",
    },
    KeyDoc {
        key: "log.level",
        env: "LAWHA_LOG__LEVEL",
        default: "info",
        meaning: "Log filter directive, as for tracing's EnvFilter (e.g. `info,lawha_store=debug`).",
    },
    KeyDoc {
        key: "log.format",
        env: "LAWHA_LOG__FORMAT",
        default: "auto",
        meaning: "auto, json or pretty; auto is json in production and pretty otherwise.",
    },
    KeyDoc {
        key: "database.max_connections",
        env: "LAWHA_DATABASE__MAX_CONNECTIONS",
        default: "10",
        meaning: "Size of the database connection pool, 1 to 1000.",
    },
    KeyDoc {
        key: "database.acquire_timeout_secs",
        env: "LAWHA_DATABASE__ACQUIRE_TIMEOUT_SECS",
        default: "5",
        meaning: "Seconds to wait for a pooled connection before failing the request.",
    },
    KeyDoc {
        key: "database.unavailable_wait_ms",
        env: "LAWHA_DATABASE__UNAVAILABLE_WAIT_MS",
        default: "2000",
        meaning: "Milliseconds a request waits for a database that does not answer before it gets 503 \
                  database_unavailable with Retry-After, 10 to 60000.",
    },
    KeyDoc {
        key: "projections.batch_size",
        env: "LAWHA_PROJECTIONS__BATCH_SIZE",
        default: "500",
        meaning: "Events a projection applies per transaction, 1 to 10000.",
    },
    KeyDoc {
        key: "projections.poll_interval_ms",
        env: "LAWHA_PROJECTIONS__POLL_INTERVAL_MS",
        default: "1000",
        meaning: "Milliseconds between polls for new events, 10 to 60000.",
    },
    KeyDoc {
        key: "ui.entrance",
        env: "LAWHA_UI__ENTRANCE",
        default: "none (the UI and API at /)",
        meaning: "Security entrance: a secret path prefix such as /k8Jd02xQ (8 to 64 letters, digits, _ or - \
                  after the /). When set, the UI, sign-in and API answer only under it and every other path is \
                  404; /health/* and /webhooks/* stay at the root.",
    },
    KeyDoc {
        key: "ui.allow_ips",
        env: "LAWHA_UI__ALLOW_IPS",
        default: "none (every address)",
        meaning: "IP addresses and CIDR ranges (IPv4 or IPv6) allowed to use the UI and API; others get 403. \
                  A TOML array, or a comma-separated list in the environment. /health/* and /webhooks/* are \
                  exempt.",
    },
    KeyDoc {
        key: "session.idle_timeout_secs",
        env: "LAWHA_SESSION__IDLE_TIMEOUT_SECS",
        default: "1800",
        meaning: "Seconds a signed-in session may stay unused before it ends, 60 to 31536000.",
    },
    KeyDoc {
        key: "session.absolute_timeout_secs",
        env: "LAWHA_SESSION__ABSOLUTE_TIMEOUT_SECS",
        default: "43200",
        meaning: "Seconds after sign-in when a session ends however much it is used; at least \
                  session.idle_timeout_secs, at most 31536000.",
    },
    KeyDoc {
        key: "jobs.queue_path",
        env: "LAWHA_JOBS__QUEUE_PATH",
        default: "<data_dir>/queue.db",
        meaning: "The SQLite file of the embedded job queue, used when redis_url is not set.",
    },
    KeyDoc {
        key: "jobs.namespace",
        env: "LAWHA_JOBS__NAMESPACE",
        default: "lawha",
        meaning: "Prefix of every Redis key of the job queues (1 to 64 letters, digits, _ or -), so several \
                  panels can share one Redis.",
    },
    KeyDoc {
        key: "jobs.concurrency",
        env: "LAWHA_JOBS__CONCURRENCY",
        default: "8",
        meaning: "Jobs a process runs at once on each queue it serves, 1 to 1000.",
    },
    KeyDoc {
        key: "jobs.poll_interval_ms",
        env: "LAWHA_JOBS__POLL_INTERVAL_MS",
        default: "20",
        meaning: "Milliseconds between polls of an idle queue, 5 to 10000. On Redis a push also wakes the workers \
                  at once (a notice on `<namespace>:<queue>:pushed`), so this is the longest a job waits only when a \
                  notice is lost; on the SQLite queue it is the longest a queued job waits for a free worker to \
                  notice it.",
    },
    KeyDoc {
        key: "jobs.shutdown_grace_secs",
        env: "LAWHA_JOBS__SHUTDOWN_GRACE_SECS",
        default: "30",
        meaning: "Seconds running jobs get to finish after SIGTERM; a job still running then is abandoned and \
                  runs again elsewhere (counted as an attempt).",
    },
    KeyDoc {
        key: "jobs.in_process",
        env: "LAWHA_JOBS__IN_PROCESS",
        default: "all (development, test); admin,diagnostics (production)",
        meaning: "Queues that `lawha serve` runs workers for itself: `all`, `none`, or a list of queue names (admin, \
                  diagnostics, backups…); the others need worker processes (`lawha worker`). A TOML array or a \
                  comma-separated list.",
    },
    KeyDoc {
        key: "jobs.redispatch_after_secs",
        env: "LAWHA_JOBS__REDISPATCH_AFTER_SECS",
        default: "300",
        meaning: "Seconds after which a job still waiting on its queue is queued again, in case the queue lost \
                  it (Redis restarted without persistence), 5 to 86400; the queue drops the copy when it did not.",
    },
    KeyDoc {
        key: "jobs.audit_verify_cron",
        env: "LAWHA_JOBS__AUDIT_VERIFY_CRON",
        default: "17 3 * * *",
        meaning: "When the panel verifies its audit chain by itself, as a cron expression in UTC (5 fields, or 6 \
                  with seconds first); `off` turns the daily check off. A check missed while the panel was down \
                  runs once when it starts.",
    },
    KeyDoc {
        key: "backups.protected_paths",
        env: "LAWHA_BACKUPS__PROTECTED_PATHS",
        default: "none (the panel's own paths are always protected)",
        meaning: "More absolute paths no backup may read and no backup or restore may write into, beside those \
                  always protected: the configuration file, /etc/lawha, /run/secrets, the *_FILE secret files, \
                  data_dir and the database files. A TOML array, or a comma-separated list in the environment.",
    },
    KeyDoc {
        key: "backups.safety_copy_hours",
        env: "LAWHA_BACKUPS__SAFETY_COPY_HOURS",
        default: "24",
        meaning: "Hours the folder an overwriting restore replaced is kept beside the target \
                  (.<name>.lawha-previous-<time>-<id>) before it is deleted, 0 to 8760; 0 deletes it as soon as \
                  the restore succeeded.",
    },
    KeyDoc {
        key: "deployments.host",
        env: "LAWHA_DEPLOYMENTS__HOST",
        default: "local",
        meaning: "This machine's name among the panel's hosts (1 to 63 lowercase letters, digits and -): its \
                  lawha-deploy-worker registers under it and serves the queue deployments.<host>, and a site \
                  created without a host runs here. Give each machine that runs a deploy worker its own name.",
    },
    KeyDoc {
        key: "deployments.host_labels",
        env: "LAWHA_DEPLOYMENTS__HOST_LABELS",
        default: "[]",
        meaning: "Free labels this host registers with (region=eu, gpu), shown on the hosts page. A TOML array, \
                  or a comma-separated list in the environment.",
    },
    KeyDoc {
        key: "deployments.releases_dir",
        env: "LAWHA_DEPLOYMENTS__RELEASES_DIR",
        default: "<data_dir>/deployments/releases",
        meaning: "Where the deploy worker keeps each site's releases (<releases_dir>/<site>/<release>, the newest \
                  releases_to_keep of each site): a rollback serves one of them again without fetching or building.",
    },
    KeyDoc {
        key: "deployments.state_dir",
        env: "LAWHA_DEPLOYMENTS__STATE_DIR",
        default: "<data_dir>/deployments/state",
        meaning: "Where the process runtime keeps each colour's pid, start time and output \
                  (<state_dir>/<site>/<colour>.pid, .start, .log), so a restarted worker finds the apps it started; \
                  a deploy key is written here for the length of a fetch (mode 0600).",
    },
    KeyDoc {
        key: "deployments.nginx_upstream_dir",
        env: "LAWHA_DEPLOYMENTS__NGINX_UPSTREAM_DIR",
        default: "/etc/nginx/lawha-sites",
        meaning: "The folder of the sites' upstream files: the worker writes <site name>.upstream.conf there, one \
                  line `server 127.0.0.1:<port>;` of the colour that serves, which the site's nginx configuration \
                  includes inside its upstream block. The worker must be allowed to write it.",
    },
    KeyDoc {
        key: "deployments.nginx_test_command",
        env: "LAWHA_DEPLOYMENTS__NGINX_TEST_COMMAND",
        default: "nginx -t",
        meaning: "The command that checks nginx's configuration after the upstream file changed and before the \
                  reload, split on whitespace (no quoting); when it fails the previous file is put back. Empty or \
                  `none` runs none.",
    },
    KeyDoc {
        key: "deployments.nginx_reload_command",
        env: "LAWHA_DEPLOYMENTS__NGINX_RELOAD_COMMAND",
        default: "nginx -s reload",
        meaning: "The command that makes nginx send requests to the new colour (`systemctl reload nginx` works \
                  too), split on whitespace (no quoting). Empty or `none` runs none.",
    },
    KeyDoc {
        key: "deployments.fetch_timeout_secs",
        env: "LAWHA_DEPLOYMENTS__FETCH_TIMEOUT_SECS",
        default: "300",
        meaning: "Seconds one fetch of a commit may take (git and ssh together), 1 to 3600.",
    },
    KeyDoc {
        key: "deployments.build_timeout_secs",
        env: "LAWHA_DEPLOYMENTS__BUILD_TIMEOUT_SECS",
        default: "1800",
        meaning: "Seconds a site's build command (or the build of its Docker image) may take before it is killed \
                  with everything it started, 1 to 3600. The four times of a deployment's steps may add up to at \
                  most 3300 (the Deploy job's limit is an hour).",
    },
    KeyDoc {
        key: "deployments.health_deadline_secs",
        env: "LAWHA_DEPLOYMENTS__HEALTH_DEADLINE_SECS",
        default: "60",
        meaning: "Seconds a new colour has to answer its health path with 200 three times in a row before the \
                  deployment fails and the old colour keeps serving, 1 to 600.",
    },
    KeyDoc {
        key: "deployments.drain_secs",
        env: "LAWHA_DEPLOYMENTS__DRAIN_SECS",
        default: "10",
        meaning: "Seconds the old colour keeps running after the switch, so the requests it holds finish, before it \
                  is stopped, 0 to 600.",
    },
    KeyDoc {
        key: "deployments.docker_command",
        env: "LAWHA_DEPLOYMENTS__DOCKER_COMMAND",
        default: "docker",
        meaning: "The docker CLI the docker runtime runs (a name on PATH, or a path); it finds its daemon as \
                  usual (DOCKER_HOST, DOCKER_CONTEXT).",
    },
    KeyDoc {
        key: "deployments.systemd_run_command",
        env: "LAWHA_DEPLOYMENTS__SYSTEMD_RUN_COMMAND",
        default: "systemd-run",
        meaning: "The systemd-run the systemd runtime runs (a name on PATH, or a path; systemctl is then taken \
                  from the same folder). It starts each colour as a unit of the worker user's own systemd \
                  (--user), which finds it through XDG_RUNTIME_DIR; that user needs `loginctl enable-linger`.",
    },
    KeyDoc {
        key: "certificates.dir",
        env: "LAWHA_CERTIFICATES__DIR",
        default: "<data_dir>/certificates",
        meaning: "Where the cert worker writes each certificate (<dir>/<certificate id>/fullchain.pem and \
                  privkey.pem, mode 0600, replaced atomically) and keeps its ACME accounts' keys, sealed with the \
                  secret key (<dir>/accounts/). nginx's site configuration names the two files.",
    },
    KeyDoc {
        key: "certificates.webroot",
        env: "LAWHA_CERTIFICATES__WEBROOT",
        default: "<data_dir>/acme-challenge",
        meaning: "The folder nginx serves at /.well-known/acme-challenge/ on port 80 (root <webroot>;): the cert \
                  worker writes each HTTP-01 answer to <webroot>/.well-known/acme-challenge/<token> while an order \
                  waits for the CA, and the panel serves the same files itself.",
    },
    KeyDoc {
        key: "certificates.check_interval_secs",
        env: "LAWHA_CERTIFICATES__CHECK_INTERVAL_SECS",
        default: "86400",
        meaning: "Seconds between two renewal checks of this host's certificates, 60 to 604800, each moved by up \
                  to a tenth at random; a failed order's retry or a CA's renewal window brings the next check \
                  forward.",
    },
    KeyDoc {
        key: "certificates.dns_hook_timeout_secs",
        env: "LAWHA_CERTIFICATES__DNS_HOOK_TIMEOUT_SECS",
        default: "120",
        meaning: "Seconds one call of a certificate's DNS-01 hook command may take (to set or to clear the TXT \
                  record), 1 to 3600.",
    },
    KeyDoc {
        key: "audit.checkpoint_interval_secs",
        env: "LAWHA_AUDIT__CHECKPOINT_INTERVAL_SECS",
        default: "3600",
        meaning: "Seconds between the checkpoints `lawha serve` writes by itself: the head of the audit chain, \
                  checked from the last checkpoint on and signed, appended to <data_dir>/audit-checkpoints.jsonl, \
                  logged (`audit chain checkpoint`) and sent to audit.checkpoint_url. Every verification writes one \
                  too. 0 (only on verification) or 60 to 604800.",
    },
    KeyDoc {
        key: "audit.checkpoint_url",
        env: "LAWHA_AUDIT__CHECKPOINT_URL",
        default: "none",
        meaning: "An http:// URL each checkpoint is also POSTed to as JSON (a collector the panel's database \
                  cannot rewrite; for an https:// service, a local relay). A failure is logged and holds nothing \
                  up.",
    },
];
