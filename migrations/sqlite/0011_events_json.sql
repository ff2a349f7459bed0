-- Nothing to do on SQLite. On PostgreSQL this migration turns the events' data and metadata from jsonb into json
-- (the canonical text the chain covers, stored as it is); SQLite always kept that text. The file exists so that
-- both backends carry the same list of migrations.
SELECT 1;
