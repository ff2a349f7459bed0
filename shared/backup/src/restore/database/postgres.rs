//! PostgreSQL: the target's existence is asked on the `postgres` maintenance database with `psql`, which also
//! creates (and, after a failure, drops) a missing target; the safety dump is `pg_dump --format=custom`; the
//! restore is `pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error` fed on stdin, so a
//! failed restore changes nothing, and putting the safety dump back is a second, checked guarantee.

use std::{fs::File, io::Read, path::Path};

use super::{Recovery, RestoreOptions, RestoreStats, SafetyDump, failed, no_safety_dump, put_back, succeeded};
use crate::{
    BackupError,
    messages::{self, actions},
    sources::{
        postgres::{PACKAGE, connect, dbname_arg, dump_command},
        process::{
            Tool,
            url::{DatabaseKind, DatabaseUrl},
        },
    },
};

/// The database `psql` connects to for asking about, creating and dropping the target.
const MAINTENANCE_DATABASE: &str = "postgres";

/// See [`RestoreOptions::restore_postgres`].
pub(super) fn restore(
    options: &RestoreOptions,
    dump: &mut dyn Read,
    target_url: &str,
) -> Result<RestoreStats, BackupError> {
    let url = DatabaseUrl::parse(target_url)?;
    if url.kind != DatabaseKind::Postgres {
        return Err(BackupError::Invalid(messages::url_not_postgres(url.redacted())));
    }
    let database = url.require_database()?.to_owned();
    let exists = maintenance(&url, "SELECT count(*) FROM pg_catalog.pg_database WHERE datname = :'target';")?;
    let safety = if exists.trim() == "1" {
        let mut safety = SafetyDump::create(options.safety_dir.as_deref(), &database, "safety.pgdump")?;
        let mut file = File::create(&safety.path).map_err(|e| BackupError::io(actions::CREATING, &safety.path, e))?;
        let dumped = dump_command("pg_dump", &url).stream_to(&mut file);
        safety.bytes = dumped.map_err(|cause| no_safety_dump(url.redacted(), &cause))?;
        file.sync_all().map_err(|e| BackupError::io(actions::SYNCING, &safety.path, e))?;
        Some(safety)
    } else {
        maintenance(&url, "CREATE DATABASE :\"target\";")?;
        None
    };
    let created = safety.is_none();
    let restored = restore_command(&url).args(["--no-owner", "--exit-on-error"]).feed(dump);
    match restored {
        Ok(bytes) => Ok(succeeded(options, bytes, safety, created)),
        Err(cause) => {
            let recovery = match safety {
                Some(safety) => put_back(safety, |path| feed_file(&restore_command(&url), path)),
                None => match maintenance(&url, "DROP DATABASE IF EXISTS :\"target\";") {
                    Ok(_) => Recovery::Dropped,
                    Err(error) => Recovery::Failed { error, kept: None },
                },
            };
            Err(failed(url.redacted(), &cause, recovery))
        }
    }
}

/// `pg_restore --clean --if-exists --single-transaction --dbname=<target>`, reading the dump from stdin. The
/// safety dump goes back through it as it is, owners included; the restore adds `--no-owner`.
fn restore_command(url: &DatabaseUrl) -> Tool {
    connect(Tool::new("pg_restore", PACKAGE), url)
        .args(["--clean", "--if-exists", "--single-transaction"])
        .arg(dbname_arg(&url.database))
}

/// Runs `tool` with the file at `path` on stdin.
fn feed_file(tool: &Tool, path: &Path) -> Result<(), BackupError> {
    let mut file = File::open(path).map_err(|e| BackupError::io(actions::OPENING_THE_SAFETY_DUMP, path, e))?;
    tool.feed(&mut file).map(drop)
}

/// Runs `script` with `psql` on the maintenance database of `url`'s server, the target's name in the psql
/// variable `target` (`:'target'` quotes it as a literal, `:"target"` as an identifier); returns the output.
fn maintenance(url: &DatabaseUrl, script: &str) -> Result<String, BackupError> {
    let admin = url.with_database(MAINTENANCE_DATABASE);
    connect(Tool::new("psql", PACKAGE), &admin)
        .args(["--no-psqlrc", "--tuples-only", "--no-align", "--quiet", "--set=ON_ERROR_STOP=1"])
        .arg(format!("--set=target={}", url.database))
        .arg(dbname_arg(MAINTENANCE_DATABASE))
        .output(format!("{script}\n").into_bytes())
}
