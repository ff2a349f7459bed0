-- Nothing to do on SQLite. On PostgreSQL this migration creates the locked path of an append
-- (`lawha_batch_state`, `lawha_append_unlock`) for several processes appending at once; SQLite's single writer
-- serializes appends by itself. The file exists so that both backends carry the same list of migrations.
SELECT 1;
