//! Connection URLs: what they are parsed into, how they are shown, and what is wrong with a bad one.

use std::path::PathBuf;

use lawha_backup::{
    BackupError,
    sources::process::url::{DatabaseKind, DatabaseUrl, Endpoint},
};

fn parse(url: &str) -> DatabaseUrl {
    DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn error(url: &str) -> String {
    match DatabaseUrl::parse(url) {
        Ok(parsed) => panic!("{url} parsed: {parsed:?}"),
        Err(BackupError::Invalid(message)) => message,
        Err(other) => panic!("{url}: not an Invalid error: {other:?}"),
    }
}

#[test]
fn a_postgres_url_gives_host_port_user_password_and_database() {
    let url = parse("postgres://app%40corp:p%40ss:w/rd@db.example:6543/app_db?sslmode=require");

    assert_eq!(url.kind, DatabaseKind::Postgres);
    assert_eq!(url.user.as_deref(), Some("app@corp"));
    assert_eq!(url.password.as_ref().map(|p| p.expose()), Some("p@ss:w/rd"));
    assert_eq!(url.endpoint, Endpoint::Tcp { host: "db.example".into(), port: 6543 });
    assert_eq!(url.database, "app_db");
    assert_eq!(url.parameter("sslmode"), Some("require"));
    assert_eq!(url.redacted(), "postgres://app%40corp:***@db.example:6543/app_db?sslmode=require");
    assert!(!format!("{url:?}").contains("p@ss"), "Debug shows no password: {url:?}");
}

#[test]
fn a_password_with_an_unencoded_at_sign_or_slash_stays_out_of_the_shown_url() {
    let url = parse("mysql://root:a@b/c?d@127.0.0.1/shop");

    assert_eq!(url.password.as_ref().map(|p| p.expose()), Some("a@b/c?d"));
    assert_eq!(url.endpoint, Endpoint::Tcp { host: "127.0.0.1".into(), port: 3306 });
    assert_eq!(url.redacted(), "mysql://root:***@127.0.0.1/shop");
}

#[test]
fn mysql_and_mariadb_urls_default_their_port_and_take_ipv6_and_sockets() {
    assert_eq!(parse("mariadb://root@[::1]/shop").endpoint, Endpoint::Tcp { host: "::1".into(), port: 3306 });
    assert_eq!(parse("mysql://root@localhost/shop").kind, DatabaseKind::Mysql);
    let socket = parse("mysql://root@localhost/shop?socket=/run/mysqld/mysqld.sock");
    assert_eq!(socket.endpoint, Endpoint::Socket(PathBuf::from("/run/mysqld/mysqld.sock")));
    let pg_socket = parse("postgresql://postgres@%2Fvar%2Frun%2Fpostgresql/app");
    assert_eq!(pg_socket.endpoint, Endpoint::Socket(PathBuf::from("/var/run/postgresql")));
    assert_eq!(parse("postgres://postgres@127.0.0.1").database, "");
}

#[test]
fn a_bad_url_is_told_precisely_and_never_quotes_the_password() {
    let cases = [
        ("127.0.0.1:5432/app", "is not a URL"),
        ("http://u:s3cret-pw@h/app", "has the scheme `http`"),
        ("postgres://u:s3cret-pw@h:99999/app", "has the port `99999`, which is not a number from 1 to 65535"),
        ("postgres://u:s3cret-pw@h:0/app", "has the port `0`"),
        ("postgres://u:s3cret-pw@/app", "names no host"),
        ("postgres://u:s3cret-pw@[::1/app", "whose `[` is never closed"),
        ("postgres://u:s3cret-pw@h/app?sslmod=require", "has the parameter `sslmod`, which is not supported here"),
        ("mysql://u:s3cret-pw@h/app?socket=run/x.sock", "a unix socket path must be absolute"),
        ("postgres://u:s3cret-pw@h/a%2Fb", "contains `/`"),
        ("postgres://u:s3cret-pw@h/a%zz", "not followed by two hex digits"),
        ("s3cret-pw://u@h/app", "has the scheme `s3cret-pw`"),
        ("u:s3cret pw!://h/app", "has no recognisable scheme"),
    ];
    for (url, expected) in cases {
        let message = error(url);
        assert!(message.contains(expected), "{url}: {message}");
        if !expected.contains("s3cret") {
            assert!(!message.contains("s3cret"), "{url}: the message quotes the password: {message}");
        }
    }
    let message = parse("postgres://u:s3cret-pw@h").require_database().expect_err("no database").to_string();
    assert_eq!(message, "the URL postgres://u:***@h names no database: add `/<database>` after the host");
}
