//! The rows of the jobs read model in memory, and the statements that read and write a batch of them: the rows a
//! batch touches are read once, changed in memory event by event, and written back in a few multi-row statements,
//! inside the runner's transaction (which holds the projection's checkpoint, so no other runner writes them
//! meanwhile).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lawha_store::projection::{statement_chunks, values_placeholders};
use sqlx::{AnyConnection, Row as _, any::AnyRow};

/// The columns of `jobs`, in the order [`Job`] binds and reads them.
pub(crate) const JOB_COLUMNS: &str = "job_id, kind, queue, state, attempt, max_attempts, correlation_id, requested_at, \
     requested_by, request_position, started_at, finished_at, next_run_at, last_error, duration_ms, output, \
     stream_version, updated_at";
const JOB_WIDTH: usize = 18;

/// One row of `jobs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    pub job_id: String,
    pub kind: String,
    pub queue: String,
    pub state: String,
    pub attempt: i64,
    pub max_attempts: i64,
    pub correlation_id: Option<String>,
    pub requested_at: i64,
    pub requested_by: String,
    pub request_position: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub next_run_at: Option<i64>,
    pub last_error: Option<String>,
    pub duration_ms: Option<i64>,
    pub output: Option<String>,
    /// The last version of the job's stream applied to the row.
    pub stream_version: i64,
    pub updated_at: i64,
}

impl Job {
    /// A row selected with [`JOB_COLUMNS`], in that order (the reads of the jobs API use it too).
    pub(crate) fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            job_id: row.try_get(0)?,
            kind: row.try_get(1)?,
            queue: row.try_get(2)?,
            state: row.try_get(3)?,
            attempt: row.try_get(4)?,
            max_attempts: row.try_get(5)?,
            correlation_id: row.try_get(6)?,
            requested_at: row.try_get(7)?,
            requested_by: row.try_get(8)?,
            request_position: row.try_get(9)?,
            started_at: row.try_get(10)?,
            finished_at: row.try_get(11)?,
            next_run_at: row.try_get(12)?,
            last_error: row.try_get(13)?,
            duration_ms: row.try_get(14)?,
            output: row.try_get(15)?,
            stream_version: row.try_get(16)?,
            updated_at: row.try_get(17)?,
        })
    }
}

/// What one fact says of an attempt; `None` keeps what the row has (the upsert's COALESCE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Attempt {
    pub worker: Option<String>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub outcome: String,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
}

impl Attempt {
    /// This change followed by `later`, as one change: what the two upserts leave, in one.
    fn then(self, later: Attempt) -> Attempt {
        Attempt {
            worker: later.worker.or(self.worker),
            started_at: later.started_at.or(self.started_at),
            finished_at: later.finished_at.or(self.finished_at),
            outcome: later.outcome,
            error: later.error.or(self.error),
            duration_ms: later.duration_ms.or(self.duration_ms),
        }
    }
}

/// The rows a batch works on: those it read (or created), which it changed, and what its facts say of attempts,
/// one change per attempt (so a statement never touches a row twice, which PostgreSQL refuses).
#[derive(Debug, Default)]
pub(super) struct Rows {
    jobs: HashMap<String, Job>,
    changed: BTreeSet<String>,
    attempts: BTreeMap<(String, i64), Attempt>,
    /// Attempts found abandoned, whose duration is from their start to their end.
    abandoned: BTreeSet<(String, i64)>,
}

impl Rows {
    /// Reads the rows of `ids` (each once).
    pub async fn load(tx: &mut AnyConnection, mut ids: Vec<String>) -> Result<Self, sqlx::Error> {
        ids.sort_unstable();
        ids.dedup();
        let mut jobs = HashMap::with_capacity(ids.len());
        let postgres = tx.backend_name() == "PostgreSQL";
        for chunk in statement_chunks(&ids) {
            let ids = values_placeholders(1, chunk.len());
            // On PostgreSQL one primary-key probe per id (a LATERAL subquery with LIMIT is never turned into a join):
            // `IN (…)` got a sequential scan and a hash join whenever the plan was made without statistics. SQLite
            // looks an IN list up in the index.
            let sql = if postgres {
                format!(
                    "SELECT j.* FROM ({ids}) AS wanted(id) \
                     CROSS JOIN LATERAL (SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = wanted.id LIMIT 1) j"
                )
            } else {
                format!("SELECT {JOB_COLUMNS} FROM jobs WHERE job_id IN ({ids})")
            };
            // Fixed text with numbered placeholders; the ids are binds.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id.clone());
            }
            for row in query.fetch_all(&mut *tx).await? {
                let job = Job::from_row(&row)?;
                jobs.insert(job.job_id.clone(), job);
            }
        }
        Ok(Self { jobs, changed: BTreeSet::new(), attempts: BTreeMap::new(), abandoned: BTreeSet::new() })
    }

    /// Adds `job` unless a row for its id exists (INSERT … ON CONFLICT DO NOTHING).
    pub fn insert(&mut self, job: Job) {
        if !self.jobs.contains_key(&job.job_id) {
            self.changed.insert(job.job_id.clone());
            self.jobs.insert(job.job_id.clone(), job);
        }
    }

    /// Applies `change` to the row of `id` if it is behind `version` (then moved to it, updated at `at`); returns
    /// whether it changed.
    pub fn update(&mut self, id: &str, version: i64, at: i64, change: impl FnOnce(&mut Job)) -> bool {
        let Some(job) = self.jobs.get_mut(id).filter(|j| j.stream_version < version) else { return false };
        change(job);
        job.stream_version = version;
        job.updated_at = at;
        self.changed.insert(id.to_owned());
        true
    }

    /// Records what a fact says of an attempt, after what earlier facts of the batch said of it.
    pub fn attempt(&mut self, id: &str, attempt: i64, change: Attempt) {
        let key = (id.to_owned(), attempt);
        // A later fact of the attempt (its late success) says how long it ran.
        self.abandoned.remove(&key);
        let known = self.attempts.entry(key).or_default();
        *known = std::mem::take(known).then(change);
    }

    /// Marks the attempt as abandoned (after [`Self::attempt`] recorded its end): its duration becomes the time
    /// from its start to its end, so the two agree.
    pub fn abandoned(&mut self, id: &str, attempt: i64) {
        self.abandoned.insert((id.to_owned(), attempt));
    }

    /// Writes every changed row and attempt.
    pub async fn store(self, tx: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let jobs: Vec<&Job> = self.changed.iter().filter_map(|id| self.jobs.get(id)).collect();
        let update = JOB_COLUMNS.split(", ").skip(1).map(|c| format!("{c} = excluded.{c}")).collect::<Vec<_>>();
        for chunk in statement_chunks(&jobs) {
            let sql = format!(
                "INSERT INTO jobs ({JOB_COLUMNS}) {} ON CONFLICT (job_id) DO UPDATE SET {}",
                values_placeholders(JOB_WIDTH, chunk.len()),
                update.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for j in chunk {
                query = query
                    .bind(j.job_id.clone())
                    .bind(j.kind.clone())
                    .bind(j.queue.clone())
                    .bind(j.state.clone())
                    .bind(j.attempt)
                    .bind(j.max_attempts)
                    .bind(j.correlation_id.clone())
                    .bind(j.requested_at)
                    .bind(j.requested_by.clone())
                    .bind(j.request_position)
                    .bind(j.started_at)
                    .bind(j.finished_at)
                    .bind(j.next_run_at)
                    .bind(j.last_error.clone())
                    .bind(j.duration_ms)
                    .bind(j.output.clone())
                    .bind(j.stream_version)
                    .bind(j.updated_at);
            }
            query.execute(&mut *tx).await?;
        }
        let attempts: Vec<_> = self.attempts.iter().collect();
        for chunk in statement_chunks(&attempts) {
            let sql = format!(
                "INSERT INTO job_attempts (job_id, attempt, worker, started_at, finished_at, outcome, error, \
                 duration_ms) {} ON CONFLICT (job_id, attempt) DO UPDATE SET \
                 worker = COALESCE(excluded.worker, job_attempts.worker), \
                 started_at = COALESCE(excluded.started_at, job_attempts.started_at), \
                 finished_at = COALESCE(excluded.finished_at, job_attempts.finished_at), \
                 outcome = excluded.outcome, error = COALESCE(excluded.error, job_attempts.error), \
                 duration_ms = COALESCE(excluded.duration_ms, job_attempts.duration_ms)",
                values_placeholders(8, chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((id, attempt), a) in chunk {
                query = query
                    .bind(id.clone())
                    .bind(*attempt)
                    .bind(a.worker.clone())
                    .bind(a.started_at)
                    .bind(a.finished_at)
                    .bind(a.outcome.clone())
                    .bind(a.error.clone())
                    .bind(a.duration_ms);
            }
            query.execute(&mut *tx).await?;
        }
        for (id, attempt) in &self.abandoned {
            sqlx::query(
                "UPDATE job_attempts SET duration_ms = (finished_at - started_at) / 1000 \
                 WHERE job_id = $1 AND attempt = $2 AND started_at IS NOT NULL AND finished_at IS NOT NULL",
            )
            .bind(id.clone())
            .bind(*attempt)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_attempt_changes_fold_like_two_upserts() {
        let started =
            Attempt { worker: Some("w".into()), started_at: Some(1), outcome: "running".into(), ..Attempt::default() };
        let finished = Attempt {
            finished_at: Some(5),
            outcome: "failed".into(),
            error: Some("boom".into()),
            duration_ms: Some(4),
            ..Attempt::default()
        };
        let both = started.then(finished);
        assert_eq!(both.worker.as_deref(), Some("w"));
        assert_eq!(both.started_at, Some(1));
        assert_eq!(both.finished_at, Some(5));
        assert_eq!(both.outcome, "failed");
        assert_eq!(both.error.as_deref(), Some("boom"));
        assert_eq!(both.duration_ms, Some(4));
    }
}
