//! MariaDB/MySQL: the target's existence and its `CREATE DATABASE` statement (character set, collation) are asked
//! with the `mariadb` client; the safety dump is `mariadb-dump` with the source's options; the restore is the
//! client fed the SQL on stdin with `--database`, stopping at the first error.
//!
//! MariaDB commits every DDL statement on its own, so a restore that fails half-way has changed the target.
//! Putting the safety dump back therefore drops the database, recreates it as it was declared and loads the
//! safety dump into it: tables the failed restore added are gone too.

use std::{
    fs::File,
    io::Read,
    path::{Path, PathBuf},
};

use super::{Recovery, RestoreOptions, RestoreStats, SafetyDump, failed, no_safety_dump, put_back, succeeded};
use crate::{
    BackupError,
    messages::{self, actions},
    sources::{
        mysql::{
            DUMP_PROGRAMS, PACKAGE, client, client_programs, dump_command, first_installed, identifier, string_literal,
        },
        process::{
            Tool,
            url::{DatabaseKind, DatabaseUrl},
        },
    },
};

/// See [`RestoreOptions::restore_mysql`].
pub(super) fn restore(
    options: &RestoreOptions,
    dump: &mut dyn Read,
    target_url: &str,
) -> Result<RestoreStats, BackupError> {
    let url = DatabaseUrl::parse(target_url)?;
    if url.kind != DatabaseKind::Mysql {
        return Err(BackupError::Invalid(messages::url_not_mysql(url.redacted())));
    }
    let database = url.require_database()?.to_owned();
    let exists = execute(
        &url,
        &format!("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = {}", string_literal(&database)),
    )?;
    let mut declared = None;
    let safety = if exists.trim() == "1" {
        declared = Some(create_statement(&url)?);
        let mut safety = SafetyDump::create(options.safety_dir.as_deref(), &database, "safety.sql")?;
        let mut file = File::create(&safety.path).map_err(|e| BackupError::io(actions::CREATING, &safety.path, e))?;
        let programs: Vec<_> = DUMP_PROGRAMS.iter().map(PathBuf::from).collect();
        let dumped = first_installed(&programs, |program| dump_command(program, &url).stream_to(&mut file));
        safety.bytes = dumped.map_err(|cause| no_safety_dump(url.redacted(), &cause))?;
        file.sync_all().map_err(|e| BackupError::io(actions::SYNCING, &safety.path, e))?;
        Some(safety)
    } else {
        execute(&url, &format!("CREATE DATABASE {}", identifier(&database)))?;
        None
    };
    let created = safety.is_none();
    match load(&url, dump) {
        Ok(bytes) => Ok(succeeded(options, bytes, safety, created)),
        Err(cause) => {
            let drop_database = format!("DROP DATABASE IF EXISTS {}", identifier(&database));
            let recovery = match (safety, declared) {
                (Some(safety), Some(declared)) => put_back(safety, |path| {
                    execute(&url, &format!("{drop_database}; {declared}"))?;
                    let mut file =
                        File::open(path).map_err(|e| BackupError::io(actions::OPENING_THE_SAFETY_DUMP, path, e))?;
                    load(&url, &mut file).map(drop)
                }),
                _ => match execute(&url, &drop_database) {
                    Ok(_) => Recovery::Dropped,
                    Err(error) => Recovery::Failed { error, kept: None },
                },
            };
            Err(failed(url.redacted(), &cause, recovery))
        }
    }
}

/// Feeds `sql` to the client on the target database; returns the bytes fed. The SQL comes from an archive, so
/// the client may not read local files for it (`--local-infile=0`) and, where it knows `--sandbox` (MariaDB
/// 10.5.25, 10.6.18, 10.11.8 and later), runs no client command that touches the file system or a shell (`\!`,
/// `source`, `tee`).
fn load(url: &DatabaseUrl, sql: &mut dyn Read) -> Result<u64, BackupError> {
    first_installed(&client_programs(), |program| {
        let mut tool = client(url, program).arg("--local-infile=0");
        if supports_sandbox(program) {
            tool = tool.arg("--sandbox");
        }
        tool.arg("--database").arg(&url.database).feed(sql)
    })
}

/// Whether `program --help` lists `--sandbox`; false when it cannot be asked (a missing program then fails as
/// missing when it is run).
pub(crate) fn supports_sandbox(program: &Path) -> bool {
    Tool::new(program, PACKAGE).arg("--help").output(Vec::new()).is_ok_and(|help| help.contains("--sandbox"))
}

/// Runs `sql` with the client, without a database; returns its output.
fn execute(url: &DatabaseUrl, sql: &str) -> Result<String, BackupError> {
    first_installed(&client_programs(), |program| client(url, program).arg("--execute").arg(sql).output(Vec::new()))
}

/// The target's `CREATE DATABASE …` statement as the server reports it (`SHOW CREATE DATABASE`), to recreate
/// it with its character set and collation.
fn create_statement(url: &DatabaseUrl) -> Result<String, BackupError> {
    let output = execute(url, &format!("SHOW CREATE DATABASE {}", identifier(&url.database)))?;
    // Batch mode prints `<name>\t<statement>`, with tabs and newlines inside the statement escaped.
    output
        .trim_end()
        .split_once('\t')
        .map(|(_, statement)| statement.replace("\\n", "\n").replace("\\t", "\t"))
        .filter(|statement| statement.starts_with("CREATE DATABASE"))
        .ok_or_else(|| BackupError::Database {
            location: url.redacted(),
            problem: messages::show_create_database_unexpected(output.trim()),
        })
}
