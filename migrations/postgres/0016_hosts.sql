-- Hosts: the machines whose deploy worker runs sites. `hosts` is a read model fed by the `hosts` projection from
-- the `host-<id>` streams (disposable, invariant 1): a worker's HostRegistered at each start and HostStopped when
-- it stops on a signal. Times are microseconds since the epoch; labels and runtimes are JSON text; `running` is 0
-- or 1.
CREATE TABLE hosts (
    name            TEXT PRIMARY KEY,
    labels          TEXT NOT NULL,
    version         TEXT NOT NULL,
    runtimes        TEXT NOT NULL,
    registered_at   BIGINT NOT NULL,
    stopped_at      BIGINT,
    running         BIGINT NOT NULL,
    stream_version  BIGINT NOT NULL
);

-- The last heartbeat of each host's deploy worker (seconds since the epoch), written by the worker every few
-- seconds. Liveness, not a fact: it is not in the log and no projection rebuild touches it.
CREATE TABLE host_heartbeats (
    name        TEXT PRIMARY KEY,
    last_seen   BIGINT NOT NULL
);
