//! The database sources and restores against real servers on loopback: PostgreSQL (the store's test kit,
//! `LAWHA_TEST_DATABASE_URL`), MariaDB (`LAWHA_TEST_MYSQL_URL`, default `mysql://root@127.0.0.1:3306`) and
//! SQLite files. A test whose server is unreachable fails, naming the server and the variable to set; none skips.
//!
//! One test binary (CI builds few), a module per database under `databases/`.

#[path = "databases/failures.rs"]
mod failures;
#[path = "databases/mysql.rs"]
mod mysql;
#[path = "databases/pipeline.rs"]
mod pipeline;
#[path = "databases/postgres.rs"]
mod postgres;
#[path = "databases/sqlite.rs"]
mod sqlite;
#[path = "databases/support.rs"]
mod support;
#[path = "databases/urls.rs"]
mod urls;
