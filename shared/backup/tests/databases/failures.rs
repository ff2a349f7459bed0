//! Failure honesty: an unreachable server is reported with the tool's own words, a missing tool as missing, and
//! a password never shows up in an error or a description.

use lawha_backup::{
    BackupError,
    error::CommandStatus,
    messages::{self, actions},
    restore::database::{restore_mysql, restore_postgres},
    sources::{Source, mysql::MysqlSource, postgres::PostgresSource, process::url::DatabaseUrl},
};

use super::support::{MyDb, PgDb, closed_port, mysql_server, tcp_endpoint};

const PASSWORD: &str = "s3cret-pw";

/// The error of dumping `source` into a buffer.
fn dump_error(mut source: impl Source) -> BackupError {
    source.write_to(&mut Vec::new()).expect_err("the dump cannot succeed")
}

fn assert_no_password(what: &str, text: &str) {
    assert!(!text.contains(PASSWORD), "{what} shows the password: {text}");
}

#[test]
fn an_unreachable_postgres_server_fails_with_pg_dumps_own_words() {
    let url = format!("postgres://postgres@127.0.0.1:{}/appdb", closed_port());

    let error = dump_error(PostgresSource::new(&url).expect("a URL"));

    let BackupError::Command { command, status, stderr } = &error else { panic!("not a command failure: {error:?}") };
    assert!(command.starts_with("pg_dump --host=127.0.0.1"), "{command}");
    assert_eq!(*status, CommandStatus::Exited(1));
    assert!(stderr.contains("Connection refused"), "the stderr tail says why: {stderr}");
}

#[test]
fn an_unreachable_mariadb_server_fails_with_the_dump_tools_own_words() {
    let url = format!("mysql://root@127.0.0.1:{}/appdb", closed_port());

    let error = dump_error(MysqlSource::new(&url).expect("a URL"));

    let BackupError::Command { command, stderr, .. } = &error else { panic!("not a command failure: {error:?}") };
    assert!(command.starts_with("mariadb-dump --host=127.0.0.1"), "{command}");
    assert!(stderr.contains("Can't connect"), "the stderr tail says why: {stderr}");
}

#[test]
fn a_missing_dump_tool_is_reported_as_missing_with_what_to_install() {
    let empty = tempfile::tempdir().expect("an empty directory");
    let pg = PostgresSource::new("postgres://postgres@127.0.0.1/appdb").expect("a URL");
    let my = MysqlSource::new("mysql://root@127.0.0.1/appdb").expect("a URL");

    let pg_error = dump_error(pg.with_program(empty.path().join("pg_dump")));
    let my_error = dump_error(my.with_program(empty.path().join("mariadb-dump")));

    let BackupError::MissingTool { program, package } = &pg_error else { panic!("not a missing tool: {pg_error:?}") };
    assert!(program.ends_with("/pg_dump") && package == "postgresql-client", "{pg_error}");
    assert_eq!(pg_error.message(), messages::missing_tool(program, "postgresql-client"));
    let BackupError::MissingTool { package, .. } = &my_error else { panic!("not a missing tool: {my_error:?}") };
    assert_eq!(package, "mariadb-client", "{my_error}");
}

#[test]
fn a_rejected_password_appears_in_no_error_and_no_description() {
    let _pg_server = PgDb::create();
    let pg_at = tcp_endpoint(&lawha_store::testkit::admin_url());
    let my_at = tcp_endpoint(&mysql_server().redacted());
    let pg_url = format!("postgres://lawha_nobody:{PASSWORD}@{pg_at}/postgres");
    let my_url = format!("mysql://root:{PASSWORD}@{my_at}/mysql");
    let pg = PostgresSource::new(&pg_url).expect("a URL");
    let my = MysqlSource::new(&my_url).expect("a URL");
    assert_eq!(pg.describe().location, pg_url.replace(PASSWORD, "***"));
    assert_no_password("a description", &format!("{:?} {:?}", pg.describe(), my.describe()));
    assert_no_password("a source's Debug", &format!("{pg:?} {my:?}"));

    let errors = [
        dump_error(pg),
        dump_error(my),
        restore_postgres(&mut &b"PGDMP"[..], &pg_url).expect_err("rejected"),
        restore_mysql(&mut &b"SELECT 1;"[..], &my_url).expect_err("rejected"),
    ];

    for error in &errors {
        assert_no_password("an error", &format!("{error} {error:?} {:?}", error.message()));
    }
    assert!(errors[0].to_string().contains("role \"lawha_nobody\" does not exist"), "{}", errors[0]);
    assert!(errors[1].to_string().contains("Access denied"), "{}", errors[1]);
}

#[test]
fn a_password_in_a_mariadb_url_reaches_the_server() {
    let db = MyDb::create();
    let user = format!("lawha_u{}", &db.name[11..19]);
    db.sql(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'; GRANT ALL ON `{}`.* TO '{user}'@'%';",
        db.name
    ));
    db.sql("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
    let server = tcp_endpoint(&mysql_server().redacted());
    let url = format!("mysql://{user}:{}@{server}/{}", PASSWORD.replace('-', "%2D"), db.name);

    let mut dump = Vec::new();
    let dumped = MysqlSource::new(&url).expect("a URL").write_to(&mut dump);
    db.sql(&format!("DROP USER '{user}'@'%';"));

    assert_eq!(dumped.expect("the dump with a password").entries, 1);
    assert!(String::from_utf8_lossy(&dump).contains("INSERT INTO `t` VALUES"));
    assert!(DatabaseUrl::parse(&url).expect("a URL").redacted().contains(":***@"));
}

/// A destination that is full from the first byte.
struct FullDisk;

impl std::io::Write for FullDisk {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(28))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_destination_is_reported_as_a_full_disk_not_as_a_dump_failure() {
    let db = PgDb::create();
    db.psql("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 1000);");
    let mut source = PostgresSource::new(&db.url).expect("a URL");

    let error = source.write_to(&mut FullDisk).expect_err("nothing can be written");

    assert!(
        matches!(&error, BackupError::DiskFull { action, path }
            if *action == actions::WRITING_THE_OUTPUT_OF && path.as_os_str() == "pg_dump"),
        "{error:?}"
    );
    assert_eq!(error.message(), messages::disk_full("writing_the_output_of", "pg_dump"));
    assert!(
        error.to_string().starts_with("no space left on the destination while writing the output of pg_dump"),
        "{error}"
    );
}
