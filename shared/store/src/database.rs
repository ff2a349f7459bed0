//! Opening the database a URL names: the typed pool for the event log, an `Any` pool for read models (whose
//! SQL is written once for both backends), migrations and the readiness checks.

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    AnyPool, PgPool, SqlitePool,
    any::AnyPoolOptions,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::{ChainKey, EventStore, StoreError, postgres::PgStore, sqlite::SqliteStore};

static PG_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Which engine holds the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Production.
    Postgres,
    /// The embedded default.
    Sqlite,
}

impl Backend {
    /// The backend a URL names.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// How to open the pools.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Upper bound of each pool.
    pub max_connections: u32,
    /// How long a caller waits for a connection before the request fails (and readiness says so).
    pub acquire_timeout: Duration,
    /// The audit chain key (invariant 7).
    pub chain_key: ChainKey,
}

/// Migrations not yet applied, or applied but failed; readiness needs both empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions this build has that the database lacks.
    pub pending: Vec<i64>,
    /// Versions recorded as failed (a migration that stopped half-way).
    pub failed: Vec<i64>,
}

impl MigrationStatus {
    /// True when the schema is exactly what this build expects.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.failed.is_empty()
    }
}

/// The opened database: the log and the read-model pool.
#[derive(Debug, Clone)]
pub struct Database {
    /// The event log.
    pub events: Arc<dyn EventStore>,
    /// Read models and checkpoints; the same database, reached through sqlx's `Any` driver.
    pub read_models: AnyPool,
    backend: Backend,
    typed: Typed,
    /// The projections whose read models changed, in this process and (PostgreSQL) in every other one.
    changes: ReadModelChanges,
}

/// Announces which projection's read model a committed transaction changed, to every process on the database:
/// caches of a read model (the token cache, the audit page cache) drop what it changed at once, not after their
/// lifetime. In this process the runner announces right after its commit; other processes hear it through
/// PostgreSQL's `pg_notify` on [`READ_MODELS_CHANNEL`], which is delivered when the transaction commits.
#[derive(Debug, Clone)]
pub struct ReadModelChanges(tokio::sync::broadcast::Sender<String>);

/// The PostgreSQL channel read-model changes are announced on.
pub const READ_MODELS_CHANNEL: &str = "lawha_read_models";

/// The name announced when every read model may have changed (a listener reconnected and may have missed some).
pub const ALL_READ_MODELS: &str = "*";

impl ReadModelChanges {
    fn new() -> Self {
        Self(tokio::sync::broadcast::channel(256).0)
    }

    /// Announces that `projection`'s read model changed (in this process; see [`Database::announce_in`] for the
    /// others).
    pub fn announce(&self, projection: &str) {
        // Nobody listening is fine: then nobody caches.
        let _ = self.0.send(projection.to_owned());
    }

    /// The names of projections whose read models change from now on. A receiver that lags behind loses names:
    /// it sees `Lagged` and must treat every read model as changed.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.0.subscribe()
    }
}

#[derive(Debug, Clone)]
enum Typed {
    /// Reads, and the appender's own pool.
    Pg(PgPool, PgPool),
    Sqlite(SqlitePool),
}

/// Connections of the PostgreSQL appender: two calls in flight and a read ahead of them (see `postgres/pipeline.rs`).
const APPEND_CONNECTIONS: u32 = 3;

impl Database {
    /// Connects (creating a SQLite file and its folder when needed). Does not migrate: see [`Self::migrate`].
    pub async fn connect(url: &str, options: DatabaseOptions) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let typed = match backend {
            Backend::Postgres => {
                // Lookups by `= ANY($1)` must use their indexes whatever the table looked like when a cached
                // statement was first planned: a generic plan made while `events` was empty stays a sequential
                // scan until the next ANALYZE, and appends then slow down with every row (seen in the bench).
                let mut connect = PgConnectOptions::from_str(url)?
                    .application_name("lawha")
                    .options([("plan_cache_mode", "force_custom_plan")]);
                // TLS to a server on this machine protects nothing, and it costs: sqlx 0.9.0 does not set
                // TCP_NODELAY (sqlx issue 4335), so a message that spans two TLS records (an append batch over
                // 16 KiB) waits 40 ms for the server's delayed ACK. An explicit `sslmode` in the URL still wins.
                if !url.contains("sslmode=") && is_loopback(connect.get_host()) {
                    connect = connect.ssl_mode(sqlx::postgres::PgSslMode::Disable);
                }
                // No ping before every acquire: the appender acquires once per batch, and the ping was a round trip
                // inside the append lock's critical path. A dead connection fails its query instead, is dropped,
                // and the next acquire opens a fresh one.
                let pool = |size: u32| {
                    PgPoolOptions::new()
                        .test_before_acquire(false)
                        .max_connections(size)
                        .acquire_timeout(options.acquire_timeout)
                };
                let reads = pool(options.max_connections).connect_with(connect.clone()).await?;
                Typed::Pg(reads, pool(APPEND_CONNECTIONS).connect_lazy_with(connect))
            }
            Backend::Sqlite => {
                let connect = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10));
                if let Some(dir) = connect.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::from(sqlx::Error::Io(e)))?;
                }
                Typed::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(options.max_connections)
                        .acquire_timeout(options.acquire_timeout)
                        .connect_with(connect)
                        .await?,
                )
            }
        };
        let read_models = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy(url)?;
        let changes = ReadModelChanges::new();
        let events: Arc<dyn EventStore> = match &typed {
            Typed::Pg(pool, appends) => {
                Arc::new(PgStore::new(pool.clone(), appends.clone(), options.chain_key, changes.clone()))
            }
            Typed::Sqlite(pool) => Arc::new(SqliteStore::new(pool.clone(), options.chain_key)),
        };
        Ok(Self { events, read_models, backend, typed, changes })
    }

    /// Which projections' read models change, in every process on this database.
    pub fn read_model_changes(&self) -> &ReadModelChanges {
        &self.changes
    }

    /// Inside a projection's transaction: makes its commit announce the change to the other processes (a
    /// `pg_notify`, delivered with the commit; nothing on SQLite, which has one process). The runner announces
    /// in this process itself, after the commit.
    pub async fn announce_in(&self, tx: &mut sqlx::AnyConnection, projection: &str) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)").bind(READ_MODELS_CHANNEL).bind(projection).execute(tx).await?;
        }
        Ok(())
    }

    /// The engine behind this database.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every migration this build carries (idempotent; PostgreSQL serializes concurrent runners).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.typed {
            Typed::Pg(pool, _) => PG_MIGRATIONS.run(pool).await?,
            Typed::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Which migrations are missing or failed.
    pub async fn migration_status(&self) -> Result<MigrationStatus, StoreError> {
        let (migrator, applied): (&Migrator, Vec<(i64, bool)>) = match &self.typed {
            Typed::Pg(pool, _) => (&PG_MIGRATIONS, applied_rows(sqlx::query_as(APPLIED).fetch_all(pool).await)?),
            Typed::Sqlite(pool) => (&SQLITE_MIGRATIONS, applied_rows(sqlx::query_as(APPLIED).fetch_all(pool).await)?),
        };
        let mut status = MigrationStatus::default();
        for migration in migrator.iter() {
            match applied.iter().find(|(v, _)| *v == migration.version) {
                None => status.pending.push(migration.version),
                Some((v, false)) => status.failed.push(*v),
                Some(_) => {}
            }
        }
        Ok(status)
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.typed {
            Typed::Pg(pool, _) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
            Typed::Sqlite(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// The PostgreSQL pool, for tools that need engine-specific SQL (the benchmark, tests).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.typed {
            Typed::Pg(pool, _) => Some(pool),
            Typed::Sqlite(_) => None,
        }
    }

    /// The SQLite pool, for tools that need engine-specific SQL (tests).
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.typed {
            Typed::Sqlite(pool) => Some(pool),
            Typed::Pg(..) => None,
        }
    }

    /// Closes every pool, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.read_models.close().await;
        match &self.typed {
            Typed::Pg(pool, appends) => {
                appends.close().await;
                pool.close().await;
            }
            Typed::Sqlite(pool) => pool.close().await,
        }
    }
}

/// Whether a PostgreSQL host is this machine (a name, an address, or a Unix socket directory).
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Reads `_sqlx_migrations`; a database without the table has nothing applied.
fn applied_rows(result: Result<Vec<(i64, bool)>, sqlx::Error>) -> Result<Vec<(i64, bool)>, StoreError> {
    match result {
        Ok(rows) => Ok(rows),
        Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => Ok(vec![]),
        Err(e) => Err(e.into()),
    }
}

const APPLIED: &str = "SELECT version, success FROM _sqlx_migrations";

#[cfg(test)]
mod tests {
    use super::*;

    /// Both backends carry the same migrations, by version and name: a migration written for one and forgotten for
    /// the other fails here (where the SQL differs, each has its own text; where one backend has nothing to do,
    /// its file says why).
    #[test]
    fn both_backends_have_the_same_migrations() {
        let list = |migrator: &Migrator| -> Vec<(i64, String)> {
            migrator.iter().map(|m| (m.version, m.description.to_string())).collect()
        };
        let (pg, sqlite) = (list(&PG_MIGRATIONS), list(&SQLITE_MIGRATIONS));
        assert!(pg.len() >= 12, "the migrations were not found: {pg:?}");
        let only_pg: Vec<_> = pg.iter().filter(|m| !sqlite.contains(m)).collect();
        let only_sqlite: Vec<_> = sqlite.iter().filter(|m| !pg.contains(m)).collect();
        assert!(only_pg.is_empty(), "PostgreSQL migrations without a SQLite twin: {only_pg:?}");
        assert!(only_sqlite.is_empty(), "SQLite migrations without a PostgreSQL twin: {only_sqlite:?}");
    }
}
