//! Secrets never leak into output, and the development key is generated once.
//!
//! These tests look at every surface an operator sees (problems, `Debug`,
//! `render_effective`) with a recognisable secret configured, because a
//! leak in any one of them ends up in a journal or a support ticket.

use std::path::Path;

use lawha_config::{Config, EnvHints, LoadOptions, Origin, Problems, Secret, redact_url};

const SHORT_SECRET: &str = "short-secret-VALUE123";
const URL_PASSWORD: &str = "hunter2";

fn options(env: &[(&str, &str)]) -> LoadOptions {
    LoadOptions {
        config_file: None,
        env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        hints: EnvHints::default(),
    }
}

fn assert_hidden(surface: &str, text: &str) {
    assert!(!text.contains(SHORT_SECRET), "{surface} leaks the secret key:\n{text}");
    assert!(!text.contains(URL_PASSWORD), "{surface} leaks the URL password:\n{text}");
}

#[test]
fn problems_never_contain_the_secret_or_a_url_password() {
    for database_url in ["sqlite://x", "postgres://u:hunter2@h/db", "mysql://u:hunter2@h/db"] {
        let problems: Problems = Config::load(&options(&[
            ("LAWHA_ENV", "production"),
            ("LAWHA_SECRET_KEY", SHORT_SECRET),
            ("LAWHA_DATABASE_URL", database_url),
            ("LAWHA_REDIS_URL", "ftp://:hunter2@cache"),
        ]))
        .expect_err("short key is refused");
        assert!(problems.has("secret_key"), "{problems}");
        assert_hidden("Problems Display", &problems.to_string());
        assert_hidden("Problems Debug", &format!("{problems:?}"));
    }
}

#[test]
fn a_secret_of_the_wrong_type_in_the_file_is_not_quoted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lawha.toml");
    std::fs::write(&file, "secret_key = [\"short-secret-VALUE123\"]\n").expect("write");
    let mut opts = options(&[]);
    opts.config_file = Some(file);
    let problems = Config::load(&opts).expect_err("array is refused");
    assert!(problems.to_string().contains("expected a string, found an array"));
    assert_hidden("Problems Display", &problems.to_string());
}

#[test]
fn a_syntax_error_on_a_secret_line_does_not_quote_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lawha.toml");
    std::fs::write(&file, "secret_key = \"short-secret-VALUE123\n").expect("write");
    let mut opts = options(&[]);
    opts.config_file = Some(file);
    let problems = Config::load(&opts).expect_err("unterminated string is refused");
    let text = problems.to_string();
    assert!(text.contains("line 1"), "{text}");
    assert_hidden("Problems Display", &text);
}

#[test]
fn debug_and_render_effective_never_contain_secrets() {
    let long_secret = format!("{SHORT_SECRET}-padded-to-more-than-32-bytes");
    let config = Config::load(&options(&[
        ("LAWHA_SECRET_KEY", &long_secret),
        ("LAWHA_DATABASE_URL", "postgres://u:hunter2@h/db?password=hunter2"),
        ("LAWHA_REDIS_URL", "redis://:hunter2@cache:6379"),
    ]))
    .expect("valid configuration");
    assert_eq!(config.secret_key_bytes(), long_secret.as_bytes());
    assert_hidden("Config Debug", &format!("{config:?}"));
    let rendered = config.render_effective();
    assert_hidden("render_effective", &rendered);
    assert!(rendered.contains("postgres://u:[redacted]@h/db?password=[redacted]"), "{rendered}");
    assert!(rendered.contains("redis://:[redacted]@cache:6379"), "{rendered}");
    assert!(rendered.contains("\"[redacted]\""), "{rendered}");
    assert!(rendered.contains("# env LAWHA_SECRET_KEY"), "{rendered}");
}

#[test]
fn secret_wrapper_redacts_debug_and_display() {
    let secret = Secret::new(URL_PASSWORD.to_owned());
    assert_eq!(format!("{secret}"), "[redacted]");
    assert_eq!(format!("{secret:?}"), "[redacted]");
    assert_eq!(secret.expose(), URL_PASSWORD);
}

#[test]
fn redact_url_cases() {
    let cases = [
        ("postgres://lawha:pw@db:5432/x", "postgres://lawha:[redacted]@db:5432/x"),
        ("postgres://db/x?password=pw&a=b", "postgres://db/x?password=[redacted]&a=b"),
        ("postgresql://lawha@db/x", "postgresql://lawha@db/x"),
        ("sqlite://./data/lawha.db", "sqlite://./data/lawha.db"),
        ("rediss://default:pw@cache:6380/1", "rediss://default:[redacted]@cache:6380/1"),
    ];
    for (input, expected) in cases {
        assert_eq!(redact_url(input), expected);
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("key file exists").permissions().mode() & 0o777
}

#[test]
fn ensure_secret_key_creates_a_private_key_file_once_and_reuses_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("nested").join("data");
    let env_dir = data_dir.to_str().expect("utf-8 path");
    let mut first = Config::load(&options(&[("LAWHA_DATA_DIR", env_dir)])).expect("valid");
    assert!(first.secret_key.is_none());
    first.ensure_secret_key().expect("key created");

    let path = data_dir.join("secret.key");
    assert_eq!(mode(&path), 0o600);
    let key = first.secret_key_bytes().to_vec();
    assert_eq!(key.len(), 64);
    assert!(key.iter().all(u8::is_ascii_hexdigit));
    assert_eq!(first.origin("secret_key"), Some(&Origin::KeyFile(path)));
    assert!(!first.render_effective().contains(std::str::from_utf8(&key).expect("hex")));

    let mut second = Config::load(&options(&[("LAWHA_DATA_DIR", env_dir)])).expect("valid");
    second.ensure_secret_key().expect("key reused");
    assert_eq!(second.secret_key_bytes(), key.as_slice());
    let entries = std::fs::read_dir(&data_dir).expect("data dir").count();
    assert_eq!(entries, 1, "only secret.key is left behind");
}

#[test]
fn ensure_secret_key_keeps_a_configured_key_and_refuses_production() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::test(dir.path());
    config.ensure_secret_key().expect("nothing to do");
    assert_eq!(config.secret_key_bytes(), b"lawha-test-secret-key-0123456789abcdef");
    assert!(!dir.path().join("secret.key").exists());

    config.secret_key = None;
    config.profile = lawha_config::Profile::Production;
    assert!(config.ensure_secret_key().is_err());
    assert!(!dir.path().join("secret.key").exists());
}
