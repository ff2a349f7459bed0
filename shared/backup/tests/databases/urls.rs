//! Connection URLs: what they are parsed into, how they are shown, and what is wrong with a bad one.

use std::path::PathBuf;

use lawha_backup::{
    BackupError, messages,
    sources::process::url::{DatabaseKind, DatabaseUrl, Endpoint},
};
use lawha_domain::Message;

fn parse(url: &str) -> DatabaseUrl {
    DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn error(url: &str) -> Message {
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
        ("127.0.0.1:5432/app", messages::url_not_a_url()),
        ("http://u:s3cret-pw@h/app", messages::url_unknown_scheme("http")),
        ("postgres://u:s3cret-pw@h:99999/app", messages::url_bad_port("99999")),
        ("postgres://u:s3cret-pw@h:0/app", messages::url_bad_port("0")),
        ("postgres://u:s3cret-pw@/app", messages::url_no_host()),
        ("postgres://u:s3cret-pw@[::1/app", messages::url_bracket_unclosed("[::1")),
        (
            "postgres://u:s3cret-pw@h/app?sslmod=require",
            messages::url_unsupported_parameter("sslmod", "sslmode, host, connect_timeout, application_name"),
        ),
        ("mysql://u:s3cret-pw@h/app?socket=run/x.sock", messages::url_socket_relative("socket", "run/x.sock")),
        ("postgres://u:s3cret-pw@h/a%2Fb", messages::url_database_slash("a/b")),
        ("postgres://u:s3cret-pw@h/a%zz", messages::url_bad_percent("database")),
        ("postgres://u%zz:s3cret-pw@h/app", messages::url_bad_percent("user")),
        ("s3cret-pw://u@h/app", messages::url_unknown_scheme("s3cret-pw")),
        ("u:s3cret pw!://h/app", messages::url_no_scheme()),
    ];
    for (url, expected) in cases {
        let message = error(url);
        assert_eq!(message, expected, "{url}");
        if !url.starts_with("s3cret") {
            assert!(!format!("{message:?}").contains("s3cret"), "{url}: the message quotes the password: {message}");
        }
    }
    let error = parse("postgres://u:s3cret-pw@h").require_database().expect_err("no database");
    assert!(
        matches!(&error, BackupError::Invalid(m) if *m == messages::url_no_database("postgres://u:***@h")),
        "{error}"
    );
    assert_eq!(error.to_string(), "engine.url_no_database(url=postgres://u:***@h)");
}
