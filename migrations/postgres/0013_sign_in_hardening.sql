-- Sign-in hardening (issue 14).
--
-- Throttling is now counted per source (an IPv6 /64) and per account from that source, before the password is
-- checked, with counts that decay; the old rows (keyed by account alone) mean nothing to it. `refused` counts the
-- attempts refused while a wait ran, `refusal_noted_until` the wait whose first refusal was recorded as an event
-- (later ones of the same wait are only counted, so a guesser cannot grow the log by one event per request).
DELETE FROM sign_in_failures;
ALTER TABLE sign_in_failures ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sign_in_failures ADD COLUMN refusal_noted_until BIGINT NOT NULL DEFAULT 0;

-- Session ids are stored as their SHA-256 from now on, so a copy of this table opens no session. Rows written
-- with the id itself could never be found again: they go, and everyone signs in once more.
DELETE FROM sessions;

-- Named locks for rules that read more than the stream they append to ("the last administrator keeps the
-- role"): a row per held lock, taken with a conditional insert, given back with a delete, expiring so that a
-- holder that died blocks nobody for long.
CREATE TABLE command_locks (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
