//! The job log: output lines of running jobs (progress, tool output), appended by workers to the `job_log` table
//! beside the event log. Lines are not facts, so they stay out of the log; the API pages them by id and streams
//! them over SSE. Nothing updates or deletes a line.

use chrono::Utc;
use sqlx::AnyPool;
use uuid::Uuid;

/// The longest line kept, in bytes; longer lines are cut (at a character boundary) and marked.
pub const MAX_LINE: usize = 4096;

/// Appends and reads job log lines.
#[derive(Debug, Clone)]
pub struct JobLog {
    pool: AnyPool,
}

/// One stored line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogLine {
    /// The cursor: lines of one job have increasing ids.
    pub id: i64,
    /// The attempt that wrote it.
    pub attempt: i64,
    /// When, in microseconds since the epoch.
    pub at: i64,
    /// The text.
    pub line: String,
}

impl JobLog {
    /// The log in the database behind `pool` (the read-model pool of `lawha_store::Database`).
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Appends one line for `job` (NUL characters, which PostgreSQL refuses in text, become U+FFFD).
    pub async fn write(&self, job: Uuid, attempt: u32, line: &str) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO job_log (job_id, attempt, at, line) VALUES ($1, $2, $3, $4)")
            .bind(job.to_string())
            .bind(i64::from(attempt))
            .bind(Utc::now().timestamp_micros())
            .bind(clean(line))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Lines of `job` after the cursor `after`, oldest first, at most `limit`.
    pub async fn read(&self, job: Uuid, after: i64, limit: i64) -> Result<Vec<LogLine>, sqlx::Error> {
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT id, attempt, at, line FROM job_log WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(job.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(id, attempt, at, line)| LogLine { id, attempt, at, line }).collect())
    }
}

fn clean(line: &str) -> String {
    let line = line.trim_end_matches(['\n', '\r']).replace('\0', "\u{fffd}");
    if line.len() <= MAX_LINE {
        return line;
    }
    let mut cut = MAX_LINE;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{} [cut: {} more bytes]", &line[..cut], line.len() - cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_their_newline_and_nul_and_long_ones_are_cut_at_a_character() {
        assert_eq!(clean("done\n"), "done");
        assert_eq!(clean("a\0b"), "a\u{fffd}b");
        let long = "é".repeat(3000);
        let cut = clean(&long);
        assert!(cut.len() < long.len() && cut.ends_with("more bytes]"), "{}", &cut[cut.len() - 30..]);
    }
}
