-- Nothing to do on SQLite. On PostgreSQL this migration creates `lawha_append`, the function that appends a batch
-- under the append lock in one round trip; SQLite has a single writer (`BEGIN IMMEDIATE`) and no functions.
-- The file exists so that both backends carry the same list of migrations (a test checks it).
SELECT 1;
