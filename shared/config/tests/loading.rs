//! Loading behaviour: layering, validation and the key table, tested through
//! the public API with environment snapshots instead of the real environment.

mod support;

use std::path::PathBuf;

use lawha_config::{Config, KEYS, LogFormat, Origin, Profile};
use support::{options, problems, write};

const GOOD_KEY: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn development_with_nothing_set_uses_the_defaults() {
    let config = Config::load(&options(&[], None)).expect("defaults are valid");
    assert_eq!(config.profile, Profile::Development);
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.database_url.expose(), "sqlite://./data/lawha.db");
    assert!(config.is_sqlite() && config.redis_url.is_none() && config.secret_key.is_none());
    assert_eq!(config.http.body_limit_bytes, 2_097_152);
    assert_eq!(config.log.format.effective(config.profile), LogFormat::Pretty);
    assert_eq!(config.origin("listen"), Some(&Origin::Default));
}

#[test]
fn production_with_nothing_set_reports_every_missing_value_at_once() {
    let problems = problems(&[("LAWHA_ENV", "production")]);
    assert!(problems.len() >= 3, "{problems}");
    for key in ["secret_key", "database_url", "redis_url"] {
        assert!(problems.has(key), "missing {key} in {problems}");
    }
    assert!(problems.to_string().contains("openssl rand -hex 32"));
}

#[test]
fn production_with_sqlite_short_key_bad_listen_and_bad_number_reports_all() {
    let problems = problems(&[
        ("LAWHA_ENV", "prod"),
        ("LAWHA_DATABASE_URL", "sqlite://x"),
        ("LAWHA_SECRET_KEY", "too-short"),
        ("LAWHA_LISTEN", "localhost"),
        ("LAWHA_HTTP__BODY_LIMIT_BYTES", "two megabytes"),
        ("LAWHA_PROJECTIONS__BATCH_SIZE", "0"),
        ("LAWHA_LOG__FORMAT", "xml"),
        ("LAWHA_REDIS_URL", "http://cache"),
    ]);
    for key in [
        "database_url",
        "secret_key",
        "listen",
        "http.body_limit_bytes",
        "projections.batch_size",
        "log.format",
        "redis_url",
    ] {
        assert!(problems.has(key), "missing {key} in {problems}");
    }
    let text = problems.to_string();
    assert!(text.contains("production needs PostgreSQL"), "{text}");
    assert!(text.contains("expected host:port such as 127.0.0.1:8080"), "{text}");
    assert!(text.contains("http.body_limit_bytes (LAWHA_HTTP__BODY_LIMIT_BYTES)"));
}

#[test]
fn a_valid_production_configuration_loads() {
    let config = Config::load(&options(
        &[
            ("LAWHA_ENV", "production"),
            ("LAWHA_DATABASE_URL", "postgres://lawha:pw@db:5432/lawha"),
            ("LAWHA_REDIS_URL", "redis://cache:6379"),
            ("LAWHA_SECRET_KEY", GOOD_KEY),
        ],
        None,
    ))
    .expect("valid production configuration");
    assert!(config.is_postgres());
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/lawha"));
    assert_eq!(config.secret_key_bytes(), GOOD_KEY.as_bytes());
    assert_eq!(config.log.format.effective(config.profile), LogFormat::Json);
}

#[test]
fn layering_is_default_then_file_then_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "lawha.toml",
        "listen = \"0.0.0.0:9000\"\n[http]\nrequest_timeout_secs = 60\nshutdown_grace_secs = 5\n",
    );
    let env = [("LAWHA_HTTP__REQUEST_TIMEOUT_SECS", "90")];
    let config = Config::load(&options(&env, Some(&file))).expect("valid layers");
    assert_eq!(config.config_file.as_deref(), Some(file.as_path()));
    assert_eq!(config.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(config.http.request_timeout_secs, 90);
    assert_eq!(config.http.shutdown_grace_secs, 5);
    assert_eq!(config.http.body_limit_bytes, 2_097_152);
    assert_eq!(config.origin("listen"), Some(&Origin::File));
    let timeout_origin = Origin::Env("LAWHA_HTTP__REQUEST_TIMEOUT_SECS".into());
    assert_eq!(config.origin("http.request_timeout_secs"), Some(&timeout_origin));
    assert_eq!(config.origin("http.body_limit_bytes"), Some(&Origin::Default));

    let rendered = config.render_effective();
    assert!(rendered.contains("# env LAWHA_HTTP__REQUEST_TIMEOUT_SECS"), "{rendered}");
}

#[test]
fn lawha_config_names_the_file_and_config_option_overrides_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let from_env = write(dir.path(), "env.toml", "listen = \"127.0.0.1:1\"\n");
    let from_flag = write(dir.path(), "flag.toml", "listen = \"127.0.0.1:2\"\n");
    let env = [("LAWHA_CONFIG", from_env.to_str().expect("utf-8 path"))];
    let config = Config::load(&options(&env, None)).expect("valid");
    assert_eq!(config.listen.port(), 1);
    let config = Config::load(&options(&env, Some(&from_flag))).expect("valid");
    assert_eq!(config.listen.port(), 2);
}

#[test]
fn missing_or_unparsable_files_are_problems_naming_the_path_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.toml");
    let problems = Config::load(&options(&[], Some(&missing))).expect_err("missing file");
    assert!(problems.to_string().contains("nope.toml"), "{problems}");

    let broken = write(dir.path(), "broken.toml", "listen = \"a\"\n[http\n");
    let problems = Config::load(&options(&[], Some(&broken))).expect_err("broken file");
    let text = problems.to_string();
    assert!(text.contains("broken.toml") && text.contains("line 2"), "{text}");
}

#[test]
fn file_variants_read_secrets_from_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = write(dir.path(), "key", &format!("{GOOD_KEY}\n"));
    let db = write(dir.path(), "db", "postgres://u:pw@db/lawha\n");
    let redis = write(dir.path(), "redis", "rediss://cache:6380");
    let path = |p: &PathBuf| p.to_str().expect("utf-8 path").to_owned();
    let (key, db, redis) = (path(&key), path(&db), path(&redis));
    let env = [
        ("LAWHA_ENV", "production"),
        ("LAWHA_SECRET_KEY_FILE", key.as_str()),
        ("LAWHA_DATABASE_URL_FILE", db.as_str()),
        ("LAWHA_REDIS_URL_FILE", redis.as_str()),
    ];
    let config = Config::load(&options(&env, None)).expect("valid secrets");
    assert_eq!(config.secret_key_bytes(), GOOD_KEY.as_bytes());
    assert_eq!(config.database_url.expose(), "postgres://u:pw@db/lawha");
    assert_eq!(config.redis_url.as_ref().map(|u| u.expose().as_str()), Some("rediss://cache:6380"));
    let key_origin = Origin::Env("LAWHA_SECRET_KEY_FILE".into());
    assert_eq!(config.origin("secret_key"), Some(&key_origin));
}

#[test]
fn a_missing_secret_file_or_both_variants_set_are_problems() {
    let problems = problems(&[
        ("LAWHA_SECRET_KEY_FILE", "/nonexistent/lawha-key"),
        ("LAWHA_REDIS_URL", "redis://a"),
        ("LAWHA_REDIS_URL_FILE", "/nonexistent/redis"),
    ]);
    assert_eq!(problems.len(), 2, "{problems}");
    let first = &problems.0[0];
    assert_eq!((first.key.as_str(), first.env.as_str()), ("secret_key", "LAWHA_SECRET_KEY_FILE"));
    assert!(first.message.contains("/nonexistent/lawha-key"));
    assert!(problems.0[1].message.contains("both LAWHA_REDIS_URL and LAWHA_REDIS_URL_FILE"));
}

#[test]
fn unknown_keys_are_reported_with_suggestions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "lawha.toml", "lisen = \"x\"\n[http]\nbody_limit = 1\n[cache]\nx = 1\n");
    let env = [
        ("LAWHA_DATA_DRI", "/tmp"),
        ("LAWHA_TEST_ANYTHING", "ignored"),
        ("LAWHA_CONFIG", "ignored because --config wins"),
        ("OTHER_VARIABLE", "ignored"),
    ];
    let problems = Config::load(&options(&env, Some(&file))).expect_err("unknown keys");
    let text = problems.to_string();
    assert_eq!(problems.len(), 4, "{text}");
    assert!(text.contains("lisen (LAWHA_LISEN): unknown key in the configuration file; did you mean `listen`?"));
    assert!(problems.has("http.body_limit") && problems.has("cache"), "{text}");
    assert!(text.contains("data_dri (LAWHA_DATA_DRI): unknown environment variable; did you mean LAWHA_DATA_DIR?"));
}

#[test]
fn invalid_lawha_env_is_reported_alongside_other_problems() {
    let problems = problems(&[("LAWHA_ENV", "staging"), ("LAWHA_LISTEN", "nope")]);
    assert!(problems.has("env") && problems.has("listen"), "{problems}");
    assert_eq!(problems.0[0].env, "LAWHA_ENV");
}

/// A valid sample value for every key, so the test below sets each one.
fn sample(key: &str) -> &'static str {
    match key {
        "ui.entrance" => "\"/k8Jd02xQ\"",
        "ui.allow_ips" => "[\"127.0.0.1\", \"2001:db8::/32\"]",
        "http.trusted_proxies" => "[\"127.0.0.1\", \"172.31.250.1\"]",
        "session.idle_timeout_secs" => "600",
        "session.absolute_timeout_secs" => "7200",
        "listen" => "\"127.0.0.1:1234\"",
        "data_dir" => "\"/tmp/lawha-sample\"",
        "database_url" => "\"postgres://db/lawha\"",
        "redis_url" => "\"redis://cache\"",
        "secret_key" => "\"0123456789abcdef0123456789abcdef\"",
        "log.level" => "\"debug\"",
        "log.format" => "\"json\"",
        "jobs.queue_path" => "\"/tmp/lawha-sample/queue.db\"",
        "jobs.namespace" => "\"lawha-test_1\"",
        "jobs.in_process" => "[\"admin\", \"deployments.web-1\"]",
        "jobs.audit_verify_cron" => "\"0 4 * * 1\"",
        "backups.protected_paths" => "[\"/srv/keys\", \"/home/deploy/.ssh\"]",
        "previous_secret_keys" => "[\"fedcba9876543210fedcba9876543210\"]",
        "deployments.host" => "\"web-1\"",
        "deployments.host_labels" => "[\"region=eu\", \"gpu\"]",
        "deployments.releases_dir" => "\"/srv/lawha/releases\"",
        "deployments.state_dir" => "\"/srv/lawha/state\"",
        "deployments.nginx_upstream_dir" => "\"/etc/nginx/sites\"",
        "deployments.nginx_test_command" => "\"/usr/sbin/nginx -t\"",
        "deployments.nginx_reload_command" => "\"systemctl reload nginx\"",
        "deployments.docker_command" => "\"/usr/bin/docker\"",
        "deployments.systemd_run_command" => "\"/usr/bin/systemd-run\"",
        "certificates.dir" => "\"/srv/certs\"",
        "certificates.webroot" => "\"/srv/acme\"",
        "certificates.check_interval_secs" => "3600",
        "certificates.dns_hook_timeout_secs" => "30",
        "audit.checkpoint_interval_secs" => "600",
        "audit.checkpoint_url" => "\"http://anchor.internal:8080/lawha\"",
        other => panic!("no sample value for new key {other}: add one here and to the README"),
    }
}

#[test]
fn keys_table_matches_the_loader() {
    let mut toml = String::new();
    let mut section = "";
    for doc in KEYS {
        let (this, name) = doc.key.split_once('.').unwrap_or(("", doc.key));
        if this != section {
            toml.push_str(&format!("[{this}]\n"));
            section = this;
        }
        // Numbers take 20, which fits every range except the session timeouts', the checkpoint interval's and the
        // renewal check's.
        let numeric = doc.default.parse::<u64>().is_ok();
        let own_range = ["session.", "audit.", "certificates.check_interval"].iter().any(|p| doc.key.starts_with(p));
        let value = if numeric && !own_range { "20" } else { sample(doc.key) };
        toml.push_str(&format!("{name} = {value}\n"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "all.toml", &toml);
    let config = Config::load(&options(&[], Some(&file))).unwrap_or_else(|p| panic!("{p}\n{toml}"));
    // Every documented key was consumed by the loader...
    for doc in KEYS {
        assert_eq!(config.origin(doc.key), Some(&Origin::File), "{}", doc.key);
    }
    // ...and the loader knows no key that is not documented.
    let rendered = config.render_effective();
    let assignments = rendered.lines().filter(|l| l.contains(" = ")).count();
    assert_eq!(assignments, KEYS.len(), "{rendered}");
    assert!(config.origin("not_a_key").is_none());
}
