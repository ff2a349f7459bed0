//! MariaDB: a dump restored into a new database, and a failed restore that had already changed the target put
//! back from the safety dump.

use lawha_backup::{
    messages,
    restore::database::restore_mysql,
    sources::{Source as _, mysql::MysqlSource},
};

use super::support::{MyDb, database_problem, nested, text};

/// Tables with utf8mb4 text (emoji included), a BLOB holding every byte value, JSON, an auto-increment key and
/// a trigger.
fn seed(db: &MyDb) {
    db.sql(
        "CREATE TABLE people (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(200) NOT NULL, born DATE)
           CHARACTER SET utf8mb4;
         INSERT INTO people (name, born) SELECT CONCAT('person ', seq, ' ünïcødé 🦀✓'), DATE '1970-01-01' + INTERVAL seq DAY
           FROM seq_1_to_500;
         CREATE TABLE files (id INT PRIMARY KEY, data LONGBLOB NOT NULL);
         INSERT INTO files SELECT seq, REPEAT(CHAR(seq % 256), seq % 50 + 1) FROM seq_0_to_299;
         INSERT INTO files SELECT 1000, GROUP_CONCAT(CHAR(seq) ORDER BY seq SEPARATOR '') FROM seq_0_to_255;
         CREATE TABLE docs (id INT PRIMARY KEY, body JSON, note TEXT CHARACTER SET utf8mb4);
         INSERT INTO docs SELECT seq, JSON_OBJECT('n', seq, 'quote', 'it''s \"quoted\"'), '😀 emoji' FROM seq_1_to_50;
         CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, person INT);
         CREATE TRIGGER people_audit AFTER INSERT ON people FOR EACH ROW INSERT INTO audit (person) VALUES (NEW.id);",
    );
}

/// Each table's row count and the MD5 of its rows in `id` order (binary columns in hex).
fn fingerprint(db: &MyDb) -> Vec<String> {
    let queries = [
        "SELECT COUNT(*), MD5(GROUP_CONCAT(CONCAT_WS(',', id, HEX(name), born) ORDER BY id SEPARATOR '|')) FROM people",
        "SELECT COUNT(*), MD5(GROUP_CONCAT(CONCAT_WS(',', id, HEX(data)) ORDER BY id SEPARATOR '|')) FROM files",
        "SELECT COUNT(*), MD5(GROUP_CONCAT(CONCAT_WS(',', id, HEX(body), HEX(note)) ORDER BY id SEPARATOR '|')) FROM docs",
        "SELECT LENGTH(data), MD5(data) FROM files WHERE id = 1000",
    ];
    queries.iter().map(|q| db.sql(&format!("SET SESSION group_concat_max_len = 67108864; {q};"))).collect()
}

fn dump(db: &MyDb) -> Vec<u8> {
    let mut source = MysqlSource::new(&db.url).expect("a MySQL URL");
    let mut out = Vec::new();
    let stats = source.write_to(&mut out).expect("the dump");
    assert_eq!(stats.bytes, out.len() as u64);
    assert_eq!(stats.entries, 4, "four tables were dumped");
    out
}

#[test]
fn a_mariadb_dump_restores_into_a_new_database_with_blobs_and_utf8mb4_text() {
    let source = MyDb::create();
    seed(&source);
    let before = fingerprint(&source);
    let dump = dump(&source);

    let target = MyDb::reserve();
    let stats = restore_mysql(&mut dump.as_slice(), &target.url).expect("the restore");

    assert_eq!(fingerprint(&target), before);
    assert!(stats.created_target && !stats.safety_dump_taken);
    let next_id = |db: &MyDb| db.sql("INSERT INTO people (name) VALUES ('after'); SELECT MAX(id) FROM people;");
    assert_eq!(next_id(&target), next_id(&source), "auto-increment goes on where it was");
    assert_eq!(target.sql("SELECT COUNT(*) FROM audit;").trim(), "1", "the trigger came along");
}

#[test]
fn a_failing_mariadb_restore_puts_the_safety_dump_back() {
    let source = MyDb::create();
    seed(&source);
    let mut corrupt = dump(&source);
    corrupt.extend_from_slice(b"\nTHIS IS NOT SQL AT ALL;\n");
    let target = MyDb::create();
    target.sql("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO people VALUES (1, 'old'), (2, 'rows');");
    let before = target.sql("SELECT id, name FROM people ORDER BY id;");

    let error = restore_mysql(&mut corrupt.as_slice(), &target.url).expect_err("the garbage at the end fails");

    let problem = database_problem(&error);
    assert_eq!(problem.code, "engine.restore_failed", "{error}");
    let cause = nested(problem, "cause");
    assert_eq!(cause.code, "engine.command_failed", "{error}");
    assert!(text(cause, "command").starts_with("mariadb"), "{error}");
    assert!(text(cause, "stderr").contains("ERROR 1064"), "the client's stderr is in the message: {error}");
    assert_eq!(*nested(problem, "outcome"), messages::restore_put_back(), "{error}");
    assert_eq!(target.sql("SELECT id, name FROM people ORDER BY id;"), before);
    let tables =
        target.sql(&format!("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{}';", target.name));
    assert_eq!(tables.trim(), "1", "the tables the failed restore created are gone");
}

#[test]
fn a_dump_cannot_run_a_shell_command_through_the_client() {
    let work = tempfile::tempdir().expect("tempdir");
    let marker = work.path().join("ran");
    let hostile =
        format!("CREATE TABLE t (id INT PRIMARY KEY);\n\\! touch {}\nINSERT INTO t VALUES (1);\n", marker.display());
    let target = MyDb::reserve();

    let error = restore_mysql(&mut hostile.as_bytes(), &target.url).expect_err("the sandboxed client refuses `\\!`");

    assert!(!marker.exists(), "the shell command did not run");
    let problem = database_problem(&error);
    assert_eq!(problem.code, "engine.restore_failed", "{error}");
    assert!(text(nested(problem, "cause"), "command").contains("--sandbox"), "{error}");
    assert_eq!(*nested(problem, "outcome"), messages::restore_dropped(), "{error}");
}

/// The socket of the local MariaDB server: `LAWHA_TEST_MYSQL_SOCKET`, or Debian's default.
// Tests receive no Config, so this one function reads the process environment directly.
#[allow(clippy::disallowed_methods)]
fn socket() -> String {
    let socket = std::env::var("LAWHA_TEST_MYSQL_SOCKET").ok().filter(|v| !v.trim().is_empty());
    let socket = socket.unwrap_or_else(|| "/run/mysqld/mysqld.sock".to_owned());
    assert!(
        std::path::Path::new(&socket).exists(),
        "this test needs MariaDB's unix socket, which is not at {socket}. Set LAWHA_TEST_MYSQL_SOCKET to the socket \
         of the server {} names, or start the local one: service mariadb start",
        super::support::MYSQL_URL_VAR
    );
    socket
}

#[test]
fn a_mariadb_database_is_dumped_over_the_unix_socket() {
    let db = MyDb::create();
    db.sql("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);");
    let url = format!("mysql://root@localhost/{}?socket={}", db.name, socket());

    let mut source = MysqlSource::new(&url).expect("a socket URL");
    let mut dump = Vec::new();
    let stats = source.write_to(&mut dump).expect("the dump over the socket");

    assert_eq!(stats.entries, 1);
    let text = String::from_utf8_lossy(&dump);
    assert!(text.contains("INSERT INTO `t` VALUES") && text.contains("(3)"), "{text}");
    assert_eq!(source.describe().location, url);
    let versions = source.tool_versions().expect("the dump tool's version");
    assert_eq!(versions[0].0, "mariadb-dump");
    assert!(versions[0].1.contains("MariaDB"), "{versions:?}");
}
