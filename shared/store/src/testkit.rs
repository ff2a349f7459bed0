//! Test helpers for every crate whose tests need a real event store: a fresh PostgreSQL database or SQLite file
//! per test, migrated, opened with a fixed chain key, and cleaned up on drop.
//!
//! PostgreSQL is found through `LAWHA_TEST_DATABASE_URL` (default [`DEFAULT_ADMIN_URL`]); tests that cannot
//! reach it panic with a message naming the server, the URL tried and how to start it. They never skip.

use std::{str::FromStr as _, time::Duration};

use lawha_domain::{Metadata, NewEvent};
use sqlx::{Connection as _, Executor as _, postgres::PgConnectOptions};

use crate::{ChainKey, Database, DatabaseOptions};

/// The server tests use when `LAWHA_TEST_DATABASE_URL` is not set.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The variable naming the PostgreSQL server tests create their databases on.
pub const ADMIN_URL_VAR: &str = "LAWHA_TEST_DATABASE_URL";

/// The secret every test database's chain key is derived from.
const TEST_SECRET: &[u8] = b"lawha-test-secret-key-0123456789abcdef";

/// A migrated, connected database of its own. A PostgreSQL one is dropped from the server on drop; a SQLite one
/// lives in a temporary directory removed on drop.
#[derive(Debug)]
pub struct TestDb {
    /// The opened database.
    pub db: Database,
    /// The URL it was opened with (to open a second handle, or to start an app on it).
    pub url: String,
    /// The PostgreSQL database's name, to drop on drop.
    pg_name: Option<String>,
    /// The SQLite file's directory, removed on drop.
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh database `lawha_test_<uuid>` on the PostgreSQL server of [`admin_url`], migrated.
    pub async fn postgres() -> TestDb {
        let url = create_pg_database().await;
        let pg_name = database_name(&url);
        let db = connect_url(&url).await;
        db.migrate().await.unwrap_or_else(|e| panic!("migrating the test database {pg_name} failed: {e}"));
        TestDb { db, url, pg_name: Some(pg_name), _dir: None }
    }

    /// A fresh SQLite file in a temporary directory, migrated.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("lawha-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("creating a temporary directory for a SQLite test database failed: {e}"));
        let url = format!("sqlite://{}", dir.path().join("events.db").display());
        let db = connect_url(&url).await;
        db.migrate().await.unwrap_or_else(|e| panic!("migrating the test database {url} failed: {e}"));
        TestDb { db, url, pg_name: None, _dir: Some(dir) }
    }

    /// The chain key this database's events are chained with.
    pub fn chain_key(&self) -> ChainKey {
        chain_key()
    }

    /// A copy of this database as it is now, as a dump taken now would restore it later: on PostgreSQL a database
    /// created from this one as its template (this handle is closed for it and opened again), on SQLite a file
    /// written by `VACUUM INTO`. Migrated like this one; cleaned up on drop like every test database.
    pub async fn copy(&mut self) -> TestDb {
        if let Some(source) = &self.pg_name {
            self.db.close().await;
            let name = format!("lawha_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin_url()).await.expect("connecting to copy a database");
            let terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE datname = $1 AND pid <> pg_backend_pid()";
            let create = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{source}\"");
            let mut outcome = Err(sqlx::Error::PoolClosed);
            // The closed handle's notification listener reconnects on its own until the handle is dropped.
            for _ in 0..10 {
                sqlx::query(terminate).bind(source).execute(&mut conn).await.expect("ending the source's connections");
                outcome = conn.execute(sqlx::AssertSqlSafe(create.as_str())).await.map(drop);
                if outcome.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            outcome.unwrap_or_else(|e| panic!("copying the test database {source} failed: {e}"));
            let _ = conn.close().await;
            self.db = connect_url(&self.url).await;
            let url = pg_database_url(&name);
            TestDb { db: connect_url(&url).await, url, pg_name: Some(name), _dir: None }
        } else {
            let dir = tempfile::Builder::new().prefix("lawha-test-").tempdir().expect("a temporary directory");
            let path = dir.path().join("events.db");
            let pool = self.db.sqlite_pool().expect("a SQLite test database has a SQLite pool");
            sqlx::query("VACUUM INTO $1")
                .bind(path.display().to_string())
                .execute(pool)
                .await
                .expect("copying the SQLite test database");
            let url = format!("sqlite://{}", path.display());
            TestDb { db: connect_url(&url).await, url, pg_name: None, _dir: Some(dir) }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        let admin = admin_url();
        // Drop runs inside the test's runtime, which must not be blocked on; a thread of its own with its own
        // runtime does the work and is joined, so the database is gone when the test ends.
        let worker = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async move {
                let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await else { return };
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                // A connection of the test's pool may reconnect in the meantime; a second try settles it.
                for _ in 0..3 {
                    if conn.execute(sqlx::AssertSqlSafe(sql.as_str())).await.is_ok() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                let _ = conn.close().await;
            });
        });
        let _ = worker.join();
    }
}

/// The chain key every test database uses.
pub fn chain_key() -> ChainKey {
    ChainKey::derive(TEST_SECRET)
}

/// The options every test database is opened with: the test chain key, 20 connections, 5 s acquire timeout.
pub fn options() -> DatabaseOptions {
    DatabaseOptions { max_connections: 20, acquire_timeout: Duration::from_secs(5), chain_key: chain_key() }
}

/// The PostgreSQL server tests create their databases on: `LAWHA_TEST_DATABASE_URL`, or [`DEFAULT_ADMIN_URL`].
// Tests receive no Config, so this one function reads the process environment directly.
#[allow(clippy::disallowed_methods)]
pub fn admin_url() -> String {
    std::env::var(ADMIN_URL_VAR).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| DEFAULT_ADMIN_URL.to_owned())
}

/// The URL of database `name` on the server of [`admin_url`] (same credentials, host and parameters).
pub fn pg_database_url(name: &str) -> String {
    with_database(&admin_url(), name)
}

fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = admin.split_once('?').map_or((admin, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Creates an empty database `lawha_test_<uuid>` on the server of [`admin_url`] and returns its URL. Nothing is
/// migrated and nothing drops it later: [`TestDb::postgres`] is the self-cleaning form.
pub async fn create_pg_database() -> String {
    let admin = admin_url();
    let options = PgConnectOptions::from_str(&admin)
        .unwrap_or_else(|e| panic!("{ADMIN_URL_VAR}={:?} is not a PostgreSQL URL: {e}", without_password(&admin)));
    let mut conn = match tokio::time::timeout(Duration::from_secs(10), sqlx::PgConnection::connect_with(&options)).await
    {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => unreachable_postgres(&admin, &e.to_string()),
        Err(_) => unreachable_postgres(&admin, "no answer within 10 s"),
    };
    let name = format!("lawha_test_{}", uuid::Uuid::new_v4().simple());
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).await.unwrap_or_else(|e| {
        panic!("creating the test database {name} on PostgreSQL at {} failed: {e}", without_password(&admin))
    });
    let _ = conn.close().await;
    pg_database_url(&name)
}

fn unreachable_postgres(url: &str, error: &str) -> ! {
    let url = without_password(url);
    panic!(
        "this test needs PostgreSQL, which is unreachable at {url} ({error}). Set {ADMIN_URL_VAR} to the URL of a \
         PostgreSQL server whose user may create databases (default {DEFAULT_ADMIN_URL}), or start the local one: \
         pg_ctlcluster --skip-systemctl-redirect 15 main start"
    )
}

/// Opens `url` with the test [`options`]; does not migrate.
pub async fn connect_url(url: &str) -> Database {
    match Database::connect(url, options()).await {
        Ok(db) => db,
        Err(e) if url.starts_with("postgres") => unreachable_postgres(url, &e.to_string()),
        Err(e) => panic!("opening the test database {url} failed: {e}"),
    }
}

/// A new event with a fresh id, schema version 1 and empty metadata.
pub fn event(event_type: impl Into<String>, data: serde_json::Value) -> NewEvent {
    NewEvent::new(event_type, data, Metadata::default())
}

/// The database name at the end of a PostgreSQL URL.
fn database_name(url: &str) -> String {
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    base.rsplit('/').next().unwrap_or_default().to_owned()
}

/// The URL with any password replaced by `***`, for messages.
fn without_password(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..].find(['/', '?']).map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@').map(|at| start + at) {
        Some(at) => match url[start..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..start + colon], &url[at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Instantiates every behaviour (an `async fn(TestDb)`) for both backends, as `mod postgres` and `mod sqlite`, each
/// test on a fresh database of its own.
#[macro_export]
macro_rules! on_both_backends {
    ($($behaviour:ident),* $(,)?) => {
        $crate::on_both_backends!(@backend postgres: $($behaviour),*);
        $crate::on_both_backends!(@backend sqlite: $($behaviour),*);
    };
    (@backend $backend:ident: $($behaviour:ident),*) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $behaviour() {
                    let test_db = $crate::testkit::TestDb::$backend().await;
                    Box::pin(super::$behaviour(test_db)).await;
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_keeps_the_server_credentials_and_parameters() {
        let cases = [
            ("postgres://postgres@127.0.0.1:5432/postgres", "postgres://postgres@127.0.0.1:5432/x"),
            ("postgres://u:p@h:1", "postgres://u:p@h:1/x"),
            ("postgresql://u@h/db?sslmode=disable", "postgresql://u@h/x?sslmode=disable"),
        ];
        for (admin, expected) in cases {
            assert_eq!(with_database(admin, "x"), expected);
            assert_eq!(database_name(expected), "x");
        }
    }

    #[test]
    fn messages_never_show_a_password() {
        assert_eq!(without_password("postgres://u:s3cret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(without_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(without_password("postgres://h:5432/db"), "postgres://h:5432/db");
    }
}
