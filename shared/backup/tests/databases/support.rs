//! Databases of their own for each test: created under a unique name `lawha_test_<uuid>`, dropped on drop.

use std::{path::Path, process::Command};

use lawha_backup::{
    BackupError,
    sources::{
        mysql::client,
        process::url::{DatabaseUrl, Endpoint},
    },
};
use lawha_domain::{Arg, Message};
use lawha_store::testkit;

/// The variable naming the MariaDB server the tests create their databases on.
pub const MYSQL_URL_VAR: &str = "LAWHA_TEST_MYSQL_URL";
/// The server used when [`MYSQL_URL_VAR`] is not set.
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306";

/// A fresh database name.
pub fn unique_name() -> String {
    format!("lawha_test_{}", uuid::Uuid::new_v4().simple())
}

/// A PostgreSQL database of the test's own on the test kit's server, dropped on drop.
#[derive(Debug)]
pub struct PgDb {
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl PgDb {
    /// Creates an empty database (the test kit panics, naming the server and its variable, when unreachable).
    pub fn create() -> PgDb {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let url = runtime.block_on(testkit::create_pg_database());
        let name = url.split('?').next().and_then(|u| u.rsplit('/').next()).expect("a database name").to_owned();
        PgDb { name, url }
    }

    /// A name on the same server that no database has yet; dropped on drop should a restore create it.
    pub fn reserve() -> PgDb {
        let name = unique_name();
        PgDb { url: testkit::pg_database_url(&name), name }
    }

    /// Runs `sql` with psql on this database; panics with psql's stderr when it fails.
    pub fn psql(&self, sql: &str) -> String {
        psql(&self.url, sql)
    }

    /// Each table's row count and the md5 of its rows in `id` order, and each sequence's last value.
    pub fn fingerprint(&self, tables: &[&str], sequences: &[&str]) -> Vec<String> {
        let mut found: Vec<String> = tables
            .iter()
            .map(|t| {
                self.psql(&format!("SELECT '{t}', count(*), md5(string_agg(x::text, '|' ORDER BY x.id)) FROM {t} x;"))
            })
            .collect();
        found.extend(sequences.iter().map(|s| self.psql(&format!("SELECT '{s}', last_value FROM {s};"))));
        found
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = run_psql(&testkit::admin_url(), &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE);", self.name));
    }
}

/// Runs `sql` with psql on the database of `url`; panics with psql's stderr when it fails.
pub fn psql(url: &str, sql: &str) -> String {
    run_psql(url, sql).unwrap_or_else(|e| panic!("psql on {url} failed: {e}\n{sql}"))
}

fn run_psql(url: &str, sql: &str) -> Result<String, String> {
    let output = Command::new("psql")
        .args(["--no-psqlrc", "--tuples-only", "--no-align", "--quiet", "--set=ON_ERROR_STOP=1"])
        .arg(format!("--dbname={url}"))
        .arg("--command")
        .arg(sql)
        .output()
        .map_err(|e| format!("psql could not start: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The MariaDB server of [`MYSQL_URL_VAR`] (or [`DEFAULT_MYSQL_URL`]), checked to answer.
// Tests receive no Config, so this one function reads the process environment directly.
#[allow(clippy::disallowed_methods)]
pub fn mysql_server() -> DatabaseUrl {
    let text = std::env::var(MYSQL_URL_VAR).ok().filter(|v| !v.trim().is_empty());
    let text = text.unwrap_or_else(|| DEFAULT_MYSQL_URL.to_owned());
    let url = DatabaseUrl::parse(&text).unwrap_or_else(|e| panic!("{MYSQL_URL_VAR} is not a MySQL URL: {e}"));
    if let Err(e) = client(&url, Path::new("mariadb")).arg("--execute=SELECT 1").output(Vec::new()) {
        panic!(
            "this test needs MariaDB, which is unreachable at {} ({e}). Set {MYSQL_URL_VAR} to the URL of a MariaDB \
             server whose user may create databases (default {DEFAULT_MYSQL_URL}), or start the local one: \
             service mariadb start",
            url.redacted()
        );
    }
    url
}

/// A MariaDB database of the test's own, dropped on drop.
#[derive(Debug)]
pub struct MyDb {
    /// The server, without a database.
    server: DatabaseUrl,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl MyDb {
    /// Creates an empty database (utf8mb4).
    pub fn create() -> MyDb {
        let db = MyDb::reserve();
        db.server_sql(&format!("CREATE DATABASE `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", db.name));
        db
    }

    /// A name on the same server that no database has yet; dropped on drop should a restore create it.
    pub fn reserve() -> MyDb {
        let server = mysql_server();
        let name = unique_name();
        let url = server.with_database(&name).redacted();
        let url = match &server.password {
            Some(p) => url.replacen(":***@", &format!(":{}@", p.expose()), 1),
            None => url,
        };
        MyDb { server, name, url }
    }

    /// Runs `sql` on this database; panics with the client's error when it fails.
    pub fn sql(&self, sql: &str) -> String {
        let tool = client(&self.server, Path::new("mariadb")).arg("--database").arg(&self.name);
        tool.output(sql.as_bytes().to_vec()).unwrap_or_else(|e| panic!("SQL on {} failed: {e}\n{sql}", self.name))
    }

    fn server_sql(&self, sql: &str) -> String {
        let tool = client(&self.server, Path::new("mariadb")).arg("--execute").arg(sql);
        tool.output(Vec::new()).unwrap_or_else(|e| panic!("SQL on the server failed: {e}\n{sql}"))
    }
}

impl Drop for MyDb {
    fn drop(&mut self) {
        let _ = client(&self.server, Path::new("mariadb"))
            .arg("--execute")
            .arg(format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .output(Vec::new());
    }
}

/// A TCP port on loopback that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a port");
    listener.local_addr().expect("its address").port()
}

/// The host and port of a server URL, for building others like it (`host:port`).
pub fn tcp_endpoint(url: &str) -> String {
    let url = DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{e}"));
    match &url.endpoint {
        Endpoint::Tcp { host, port } => format!("{host}:{port}"),
        Endpoint::Socket(_) => panic!("these tests need a server on TCP, not {}", url.redacted()),
    }
}

/// The problem a [`BackupError::Database`] reports; panics on any other error.
pub fn database_problem(error: &BackupError) -> &Message {
    match error {
        BackupError::Database { problem, .. } => problem,
        other => panic!("not a database failure: {other:?}"),
    }
}

/// The argument `name` of `message`, which must be a nested message.
pub fn nested<'a>(message: &'a Message, name: &str) -> &'a Message {
    match message.arg(name) {
        Some(Arg::Message(inner)) => inner,
        other => panic!("{message}: {name} is {other:?}, not a message"),
    }
}

/// The argument `name` of `message`, which must be text.
pub fn text<'a>(message: &'a Message, name: &str) -> &'a str {
    match message.arg(name) {
        Some(Arg::Text(text)) => text,
        other => panic!("{message}: {name} is {other:?}, not text"),
    }
}
