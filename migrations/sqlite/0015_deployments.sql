-- The deployments read models, fed by the `deployments` projection from the `site-<id>` and `deployment-<id>`
-- streams (disposable, invariant 1). Times are microseconds since the epoch; JSON columns are text; flags are
-- 0 or 1. Each row carries the version of its stream last applied, so a replayed event changes nothing and a row
-- never moves backwards. No column holds a secret or a reference to one: the deploy key is a flag, the
-- environment only its names, the webhook secret only the time it was last replaced.
--
-- A site's name is unique among live sites because the commands check it (`name_taken`), not by a constraint:
-- the log does not make it unique (streams are named by id), and a constraint the log can break would stop the
-- projection at the first violation. A deleted site's row is removed; its deployments stay.
CREATE TABLE sites (
    site_id             TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    repository          TEXT NOT NULL,
    branch              TEXT NOT NULL,
    runtime             TEXT NOT NULL,
    host                TEXT NOT NULL,
    build_command       TEXT,
    start_command       TEXT NOT NULL,
    health_path         TEXT NOT NULL,
    port_blue           BIGINT NOT NULL,
    port_green          BIGINT NOT NULL,
    domains             TEXT NOT NULL,
    env_names           TEXT NOT NULL,
    releases_to_keep    BIGINT NOT NULL,
    has_deploy_key      BIGINT NOT NULL,
    webhook_rotated_at  BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    live_colour         TEXT,
    live_commit         TEXT,
    live_release_id     TEXT,
    live_since          BIGINT,
    last_deployment_id  TEXT,
    last_status         TEXT,
    stream_version      BIGINT NOT NULL
);
CREATE INDEX sites_name ON sites (name);

-- One row per deployment. `status` is the domain's `DeploymentStatus`; `trigger` the trigger as its event
-- serializes it; `fetched_commit` the commit the worker fetched (`commit` is a keyword of SQLite); `reason` a
-- message (`{"code", "args"}`); `built_at` when the release was built, which makes the deployment's `release_id`
-- a release kept on disk (a rollback names one without building it).
CREATE TABLE deployments (
    deployment_id       TEXT PRIMARY KEY,
    -- The job that runs it: the id of its DeploymentRequested event.
    job_id              TEXT,
    site_id             TEXT NOT NULL,
    host                TEXT NOT NULL,
    status              TEXT NOT NULL,
    trigger_kind        TEXT NOT NULL,
    trigger             TEXT NOT NULL,
    requested_commit    TEXT,
    fetched_commit      TEXT,
    release_id          TEXT,
    built_at            BIGINT,
    colour              TEXT,
    failed_step         TEXT,
    reason              TEXT,
    log_tail            TEXT,
    requested_at        BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    finished_at         BIGINT,
    stream_version      BIGINT NOT NULL
);
CREATE INDEX deployments_site ON deployments (site_id, requested_at);
