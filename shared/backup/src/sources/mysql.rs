//! A MariaDB or MySQL database as a backup source: `mariadb-dump` (or `mysqldump` where MariaDB's is not
//! installed) writes SQL into the archive pipeline. `--single-transaction` reads InnoDB tables in one consistent
//! snapshot without locking them; routines, triggers and events come along; binary columns are written as hex,
//! so the dump is plain ASCII whatever the data. The dump holds no `CREATE DATABASE`: it restores into a
//! database of any name.
//!
//! The connection goes as `--host --port` (or `--socket`) and `--user` with the password in `MYSQL_PWD`. As
//! everywhere with MySQL clients, the host `localhost` means the default unix socket; `127.0.0.1` means TCP.

use std::{ffi::OsString, io::Write, path::PathBuf};

use super::{
    Source, SourceDescription, SourceStats,
    process::{
        Tool, tool_version,
        url::{DatabaseKind, DatabaseUrl, Endpoint},
    },
};
use crate::{BackupError, messages};

/// The Debian package that provides the MariaDB tools, named when one is missing (`mysql-client` provides the
/// MySQL ones, which are tried too).
pub const PACKAGE: &str = "mariadb-client";

/// The dump tools tried in order when none was chosen.
pub const DUMP_PROGRAMS: [&str; 2] = ["mariadb-dump", "mysqldump"];
/// The command-line clients tried in order.
const CLIENT_PROGRAMS: [&str; 2] = ["mariadb", "mysql"];

/// A MariaDB/MySQL database, dumped with `mariadb-dump`.
#[derive(Debug, Clone)]
pub struct MysqlSource {
    /// The database to dump.
    url: DatabaseUrl,
    /// The dump program [`MysqlSource::with_program`] chose; `None` tries `mariadb-dump`, then `mysqldump`.
    program: Option<PathBuf>,
}

impl MysqlSource {
    /// The database of `url` (`mysql://user:password@host:3306/appdb`, or `mariadb://`); fails when the URL is
    /// not a MySQL URL naming a database.
    pub fn new(url: &str) -> Result<Self, BackupError> {
        let url = DatabaseUrl::parse(url)?;
        if url.kind != DatabaseKind::Mysql {
            return Err(BackupError::Invalid(messages::url_not_mysql(url.redacted())));
        }
        url.require_database()?;
        Ok(Self { url, program: None })
    }

    /// Runs `program` instead of looking for `mariadb-dump` and `mysqldump` on `PATH`.
    pub fn with_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    /// The parsed connection URL.
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    fn programs(&self) -> Vec<PathBuf> {
        match &self.program {
            Some(program) => vec![program.clone()],
            None => DUMP_PROGRAMS.iter().map(PathBuf::from).collect(),
        }
    }
}

impl Source for MysqlSource {
    fn describe(&self) -> SourceDescription {
        SourceDescription { kind: "mysql".into(), location: self.url.redacted() }
    }

    fn extension(&self) -> &'static str {
        "sql"
    }

    fn tool_versions(&self) -> Result<Vec<(String, String)>, BackupError> {
        first_installed(&self.programs(), |program| {
            let version = tool_version(program, "--version", PACKAGE)?;
            Ok(vec![(program.display().to_string(), version)])
        })
    }

    fn write_to(&mut self, out: &mut dyn Write) -> Result<SourceStats, BackupError> {
        // A missing program fails before a byte is written, so trying the next one is safe.
        let bytes = first_installed(&self.programs(), |program| dump_command(program, &self.url).stream_to(out))?;
        let entries = count_tables(&self.url).unwrap_or_else(|e| {
            tracing::warn!(source.location = %self.url.redacted(), error = %e, "counting the dumped tables failed");
            0
        });
        Ok(SourceStats { entries, bytes, skipped: Vec::new() })
    }
}

/// `mariadb-dump --single-transaction --routines --triggers --events --hex-blob … <db>` of `url`'s database.
pub fn dump_command(program: impl Into<PathBuf>, url: &DatabaseUrl) -> Tool {
    connect(Tool::new(program, PACKAGE), url)
        .args(["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob"])
        .arg("--default-character-set=utf8mb4")
        .arg("--")
        .arg(&url.database)
}

/// The `mariadb` client (or `mysql`) on `url`'s server, in batch mode, without a database: callers add
/// `--database` or `--execute`.
pub fn client(url: &DatabaseUrl, program: &std::path::Path) -> Tool {
    connect(Tool::new(program, PACKAGE), url).args([
        "--batch",
        "--skip-column-names",
        "--default-character-set=utf8mb4",
    ])
}

/// Runs `run` with the first of `programs` that is installed; `MissingTool` names the first one.
pub fn first_installed<T>(
    programs: &[PathBuf],
    mut run: impl FnMut(&std::path::Path) -> Result<T, BackupError>,
) -> Result<T, BackupError> {
    let mut first_missing = None;
    for program in programs {
        match run(program) {
            Err(e @ BackupError::MissingTool { .. }) => {
                first_missing.get_or_insert(e);
            }
            other => return other,
        }
    }
    Err(first_missing.unwrap_or_else(|| BackupError::Invalid(messages::no_mariadb_program())))
}

/// The client programs tried in order.
pub fn client_programs() -> Vec<PathBuf> {
    CLIENT_PROGRAMS.iter().map(PathBuf::from).collect()
}

/// The number of base tables in `url`'s database.
pub fn count_tables(url: &DatabaseUrl) -> Result<u64, BackupError> {
    let query = format!(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = {} AND table_type = 'BASE TABLE'",
        string_literal(&url.database)
    );
    let output = first_installed(&client_programs(), |program| {
        client(url, program).arg("--execute").arg(&query).output(Vec::new())
    })?;
    output.trim().parse().map_err(|_| BackupError::Database {
        location: url.redacted(),
        problem: messages::count_tables_not_a_number(output.trim()),
    })
}

/// `text` as a SQL string that means the same whatever the server's `sql_mode`: a hex literal converted to
/// utf8mb4 (`CONVERT(X'6170…' USING utf8mb4)`), which needs no escaping at all.
pub fn string_literal(text: &str) -> String {
    format!("CONVERT(X'{}' USING utf8mb4)", hex::encode(text.as_bytes()))
}

/// `text` as an identifier: in backquotes, a backquote doubled.
pub fn identifier(text: &str) -> String {
    format!("`{}`", text.replace('`', "``"))
}

/// `tool` with `url`'s server and credentials: `--host --port` or `--socket`, `--user`, the password in
/// `MYSQL_PWD` (removed when the URL has none).
fn connect(tool: Tool, url: &DatabaseUrl) -> Tool {
    let mut tool = match &url.endpoint {
        Endpoint::Tcp { host, port } => tool.arg(format!("--host={host}")).arg(format!("--port={port}")),
        Endpoint::Socket(path) => {
            let mut socket = OsString::from("--socket=");
            socket.push(path);
            tool.arg(socket)
        }
    };
    if let Some(user) = &url.user {
        tool = tool.arg(format!("--user={user}"));
    }
    tool.secret_env("MYSQL_PWD", url.password.as_ref().map(|p| p.expose()))
}
