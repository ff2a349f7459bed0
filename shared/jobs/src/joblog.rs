//! The job log: output lines of running jobs (progress, what a tool said), appended by workers to the `job_log`
//! table beside the event log. Lines are not facts, so they stay out of the log; the API pages them by id and
//! streams them over SSE. Nothing updates or deletes a line.
//!
//! A line is a [`Message`] (its code and arguments in the `message` column, rendered in the reader's language
//! when shown); `line` keeps a plain rendering for whoever reads the table directly. Lines written before
//! messages existed have text only.

use chrono::Utc;
use lawha_domain::{Arg, Message};
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
    /// The plain rendering (the text itself for lines written before messages).
    pub line: String,
    /// The message, for lines written since messages exist.
    pub message: Option<Message>,
}

impl JobLog {
    /// The log in the database behind `pool` (the read-model pool of `lawha_store::Database`).
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Appends one line for `job` (its texts cut to [`MAX_LINE`]; NUL characters, which PostgreSQL refuses in
    /// text, become U+FFFD).
    pub async fn write(&self, job: Uuid, attempt: u32, line: &Message) -> Result<(), sqlx::Error> {
        let line = clean_message(line);
        sqlx::query("INSERT INTO job_log (job_id, attempt, at, line, message) VALUES ($1, $2, $3, $4, $5)")
            .bind(job.to_string())
            .bind(i64::from(attempt))
            .bind(Utc::now().timestamp_micros())
            .bind(clean(&line.to_string()))
            .bind(serde_json::to_string(&line).unwrap_or_default())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Lines of `job` after the cursor `after`, oldest first, at most `limit`.
    pub async fn read(&self, job: Uuid, after: i64, limit: i64) -> Result<Vec<LogLine>, sqlx::Error> {
        let rows: Vec<(i64, i64, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id, attempt, at, line, message FROM job_log WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(job.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, attempt, at, line, message)| LogLine {
                id,
                attempt,
                at,
                line,
                message: parse(message.as_deref()),
            })
            .collect())
    }
}

/// A stored message column: `None` for lines written before messages (or a value that does not decode).
pub fn parse(message: Option<&str>) -> Option<Message> {
    message.and_then(|m| serde_json::from_str(m).ok())
}

/// The message with every text argument cleaned like a line.
fn clean_message(message: &Message) -> Message {
    let mut message = message.clone();
    for arg in message.args.values_mut() {
        match arg {
            Arg::Text(text) => *text = clean(text),
            Arg::Message(inner) => **inner = clean_message(inner),
            Arg::List(items) => items.iter_mut().for_each(|m| *m = clean_message(m)),
            Arg::Number(_) => {}
        }
    }
    message
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
