-- A job's log lines become messages: a code and its arguments (JSON text, `{"code": "…", "args": {…}}`), rendered
-- in the reader's language when the line is shown, so a job's progress reads in Arabic on an Arabic page. `line`
-- keeps a plain rendering for whoever reads the table directly; lines written before have no message, and their
-- text is shown as it is.
ALTER TABLE job_log ADD COLUMN message TEXT;
