//! A PostgreSQL database as a backup source: `pg_dump --format=custom --compress=0` streamed into the archive
//! pipeline, which compresses it with zstd (pg_dump's own compression would only slow that down). The custom
//! format is what `pg_restore` reads, table by table, into a database of any name.
//!
//! The connection goes as `--host/--port/--username/--dbname` with the password in `PGPASSWORD`; `--no-password`
//! makes a missing or wrong password fail at once instead of prompting. The number of tables is counted with
//! `psql` after the dump, best effort: it only feeds the manifest's `entries`.

use std::{io::Write, path::PathBuf};

use super::{
    Source, SourceDescription, SourceStats,
    process::{
        Tool, tool_version,
        url::{DatabaseKind, DatabaseUrl, Endpoint},
    },
};
use crate::{BackupError, messages};

/// The Debian package that provides the PostgreSQL tools, named when one is missing.
pub const PACKAGE: &str = "postgresql-client";

/// How long the tools wait for a connection when the URL sets no `connect_timeout`, in seconds.
const DEFAULT_CONNECT_TIMEOUT: &str = "30";

/// The query counting a database's tables.
const COUNT_TABLES: &str =
    "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')";

/// A PostgreSQL database, dumped with `pg_dump`.
#[derive(Debug, Clone)]
pub struct PostgresSource {
    /// The database to dump.
    url: DatabaseUrl,
    /// The `pg_dump` to run: `pg_dump` on `PATH` unless [`PostgresSource::with_program`] chose another.
    pg_dump: PathBuf,
    /// The `psql` that counts the tables.
    psql: PathBuf,
}

impl PostgresSource {
    /// The database of `url` (`postgres://user:password@host:5432/appdb`); fails when the URL is not a
    /// PostgreSQL URL naming a database.
    pub fn new(url: &str) -> Result<Self, BackupError> {
        let url = DatabaseUrl::parse(url)?;
        if url.kind != DatabaseKind::Postgres {
            return Err(BackupError::Invalid(messages::url_not_postgres(url.redacted())));
        }
        url.require_database()?;
        Ok(Self { url, pg_dump: "pg_dump".into(), psql: "psql".into() })
    }

    /// Runs `program` instead of `pg_dump` from `PATH` (a specific server version's, or one a test makes missing).
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.pg_dump = program.into();
        self
    }

    /// The parsed connection URL.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    fn count_tables(&self) -> Result<u64, BackupError> {
        let output = connect(Tool::new(&self.psql, PACKAGE), &self.url)
            .args(["--no-psqlrc", "--tuples-only", "--no-align", "--quiet", "--command", COUNT_TABLES])
            .arg(dbname_arg(&self.url.database))
            .output(Vec::new())?;
        output.trim().parse().map_err(|_| BackupError::Database {
            location: self.url.redacted(),
            problem: messages::count_tables_not_a_number(output.trim()),
        })
    }
}

impl Source for PostgresSource {
    fn describe(&self) -> SourceDescription {
        SourceDescription { kind: "postgres".into(), location: self.url.redacted() }
    }

    fn extension(&self) -> &'static str {
        "pgdump"
    }

    fn tool_versions(&self) -> Result<Vec<(String, String)>, BackupError> {
        Ok(vec![("pg_dump".into(), tool_version(&self.pg_dump, "--version", PACKAGE)?)])
    }

    fn write_to(&mut self, out: &mut dyn Write) -> Result<SourceStats, BackupError> {
        let bytes = dump_command(&self.pg_dump, &self.url).stream_to(out)?;
        let entries = self.count_tables().unwrap_or_else(|e| {
            tracing::warn!(database = %self.url.redacted(), error = %e, "counting the dumped tables failed");
            0
        });
        Ok(SourceStats { entries, bytes, skipped: Vec::new() })
    }
}

/// `pg_dump --format=custom --compress=0 --no-password … --dbname=<db>` of `url`'s database, to stdout.
pub fn dump_command(pg_dump: impl Into<PathBuf>, url: &DatabaseUrl) -> Tool {
    connect(Tool::new(pg_dump, PACKAGE), url).args(["--format=custom", "--compress=0"]).arg(dbname_arg(&url.database))
}

/// `tool` with `url`'s server and credentials: `--host`, `--port`, `--username`, `--no-password`, the password
/// in `PGPASSWORD` (removed when the URL has none) and the URL's parameters as `PGSSLMODE`, `PGCONNECT_TIMEOUT`
/// and `PGAPPNAME`. The database is left to the caller ([`dbname_arg`]).
pub fn connect(tool: Tool, url: &DatabaseUrl) -> Tool {
    let mut tool = match &url.endpoint {
        Endpoint::Tcp { host, port } => tool.arg(format!("--host={host}")).arg(format!("--port={port}")),
        Endpoint::Socket(dir) => {
            let mut host = std::ffi::OsString::from("--host=");
            host.push(dir);
            tool.arg(host)
        }
    };
    if let Some(user) = &url.user {
        tool = tool.arg(format!("--username={user}"));
    }
    tool = tool.arg("--no-password").secret_env("PGPASSWORD", url.password.as_ref().map(|p| p.expose()));
    if let Some(mode) = url.parameter("sslmode") {
        tool = tool.env("PGSSLMODE", mode);
    }
    tool = tool.env("PGCONNECT_TIMEOUT", url.parameter("connect_timeout").unwrap_or(DEFAULT_CONNECT_TIMEOUT));
    if let Some(name) = url.parameter("application_name") {
        tool = tool.env("PGAPPNAME", name);
    }
    tool
}

/// `--dbname=<name>`; a name libpq would take for a connection string (one holding `=` or starting with
/// `postgres://`) is passed as `dbname='<name>'`, quoted as libpq quotes.
pub fn dbname_arg(name: &str) -> String {
    if name.contains('=') || name.starts_with("postgres://") || name.starts_with("postgresql://") {
        format!("--dbname=dbname='{}'", name.replace('\\', "\\\\").replace('\'', "\\'"))
    } else {
        format!("--dbname={name}")
    }
}
