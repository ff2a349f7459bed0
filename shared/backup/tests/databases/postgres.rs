//! PostgreSQL: a dump restored into a new database, over an existing one, and a failed restore put back.

use lawha_backup::{
    messages,
    restore::database::{RestoreOptions, restore_postgres},
    sources::{Source as _, postgres::PostgresSource},
};

use super::support::{PgDb, database_problem, nested, text};

const TABLES: [&str; 3] = ["people", "files", "docs"];
const SEQUENCES: [&str; 1] = ["invoice_no"];

/// Tables with text, dates, bytea (every byte value), json and jsonb, a serial and a free-standing sequence.
fn seed(db: &PgDb) {
    db.psql(
        "CREATE TABLE people (id serial PRIMARY KEY, name text NOT NULL, born date);
         INSERT INTO people (name, born) SELECT 'person ' || i || ' ünïcødé ✓', DATE '1970-01-01' + i
           FROM generate_series(1, 500) i;
         CREATE TABLE files (id int PRIMARY KEY, data bytea NOT NULL);
         INSERT INTO files SELECT i, decode(repeat(lpad(to_hex(i % 256), 2, '0'), i % 50 + 1), 'hex')
           FROM generate_series(0, 299) i;
         INSERT INTO files SELECT 1000, string_agg(set_byte('\\x00'::bytea, 0, b), ''::bytea ORDER BY b)
           FROM generate_series(0, 255) b;
         CREATE TABLE docs (id int PRIMARY KEY, body json, meta jsonb);
         INSERT INTO docs SELECT i, json_build_object('n', i, 'tags', json_build_array('a', i)),
           jsonb_build_object('quote', 'it''s \"quoted\"', 'i', i) FROM generate_series(1, 50) i;
         CREATE SEQUENCE invoice_no START 7;
         SELECT setval('invoice_no', 41);",
    );
}

fn dump(db: &PgDb) -> Vec<u8> {
    let mut source = PostgresSource::new(&db.url).expect("a PostgreSQL URL");
    let mut out = Vec::new();
    let stats = source.write_to(&mut out).expect("the dump");
    assert_eq!(stats.bytes, out.len() as u64);
    assert_eq!(stats.entries, 3, "three tables were dumped");
    assert!(out.starts_with(b"PGDMP"), "a custom-format dump starts with PGDMP");
    out
}

#[test]
fn a_postgres_dump_restores_into_a_new_database_with_every_row_and_sequence() {
    let source = PgDb::create();
    seed(&source);
    let before = source.fingerprint(&TABLES, &SEQUENCES);
    let dump = dump(&source);

    let target = PgDb::reserve();
    let stats = restore_postgres(&mut dump.as_slice(), &target.url).expect("the restore");

    assert_eq!(target.fingerprint(&TABLES, &SEQUENCES), before);
    assert_eq!(target.psql("SELECT nextval('people_id_seq');"), "501", "the serial goes on where it was");
    assert!(stats.created_target, "the target did not exist");
    assert!(!stats.safety_dump_taken, "there was nothing to keep safe");
    assert_eq!(stats.bytes, dump.len() as u64);
    let versions = PostgresSource::new(&source.url).expect("a URL").tool_versions().expect("pg_dump's version");
    assert!(versions[0].1.starts_with("pg_dump (PostgreSQL) "), "{versions:?}");
}

#[test]
fn a_postgres_restore_over_an_existing_database_replaces_its_tables_after_a_safety_dump() {
    let source = PgDb::create();
    seed(&source);
    let before = source.fingerprint(&TABLES, &SEQUENCES);
    let dump = dump(&source);
    let target = PgDb::create();
    target.psql("CREATE TABLE people (id int PRIMARY KEY, name text); INSERT INTO people VALUES (1, 'old');");
    let safety_dir = tempfile::tempdir().expect("a temporary directory");
    let options = RestoreOptions { safety_dir: Some(safety_dir.path().to_path_buf()), keep_safety_dump: true };

    let stats = options.restore_postgres(&mut dump.as_slice(), &target.url).expect("the restore");

    assert_eq!(target.fingerprint(&TABLES, &SEQUENCES), before);
    assert!(stats.safety_dump_taken && !stats.created_target);
    let kept = stats.safety_dump_path.expect("the safety dump was kept, as asked");
    assert!(kept.starts_with(safety_dir.path()), "{} is in the safety directory", kept.display());
    assert_eq!(std::fs::metadata(&kept).expect("the kept safety dump").len(), stats.safety_dump_bytes);
}

#[test]
fn a_failing_postgres_restore_leaves_the_target_with_its_previous_rows() {
    let source = PgDb::create();
    seed(&source);
    let dump = dump(&source);
    let corrupt = &dump[..dump.len() * 2 / 3];
    let target = PgDb::create();
    target.psql(
        "CREATE TABLE people (id int PRIMARY KEY, name text); INSERT INTO people VALUES (1, 'old'), (2, 'rows');",
    );
    let before = target.fingerprint(&["people"], &[]);

    let error = restore_postgres(&mut &corrupt[..], &target.url).expect_err("a truncated dump cannot restore");

    let problem = database_problem(&error);
    assert_eq!(problem.code, "engine.restore_failed", "{error}");
    let cause = nested(problem, "cause");
    assert!(cause.code.starts_with("engine.command_failed"), "{error}");
    assert!(text(cause, "command").starts_with("pg_restore"), "{error}");
    assert_eq!(*nested(problem, "outcome"), messages::restore_put_back(), "{error}");
    assert_eq!(target.fingerprint(&["people"], &[]), before);
    assert_eq!(target.psql("SELECT count(*) FROM pg_tables WHERE tablename IN ('files', 'docs');"), "0");
}

#[test]
fn a_failing_postgres_restore_into_a_new_database_drops_it_again() {
    let target = PgDb::reserve();
    let _server = PgDb::create();

    let error = restore_postgres(&mut &b"PGDMP not really"[..], &target.url).expect_err("garbage cannot restore");

    let problem = database_problem(&error);
    assert_eq!(problem.code, "engine.restore_failed", "{error}");
    assert_eq!(*nested(problem, "outcome"), messages::restore_dropped(), "{error}");
    let exists = super::support::psql(
        &lawha_store::testkit::admin_url(),
        &format!("SELECT count(*) FROM pg_database WHERE datname = '{}';", target.name),
    );
    assert_eq!(exists, "0");
}
