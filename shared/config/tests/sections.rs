//! The sections' settings: ui, session, jobs and http's trusted proxies, from the defaults, the file and the
//! environment, and each bad value reported precisely.

mod support;

use lawha_config::{Config, InProcess, Origin};
use support::{options, problems, problems_of_file, write};

#[test]
fn ui_and_session_keys_load_from_the_file_and_the_environment() {
    let config = Config::load(&options(&[], None)).expect("defaults are valid");
    assert_eq!((config.ui.entrance.as_deref(), config.ui.allow_ips.len()), (None, 0));
    assert_eq!((config.session.idle_timeout_secs, config.session.absolute_timeout_secs), (1800, 43_200));

    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "lawha.toml",
        "[ui]\nentrance = \"/k8Jd02xQ\"\nallow_ips = [\"192.0.2.0/24\", \"::1\"]\n\
         [session]\nidle_timeout_secs = 600\nabsolute_timeout_secs = 3600\n",
    );
    let config = Config::load(&options(&[], Some(&file))).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.ui.entrance.as_deref(), Some("/k8Jd02xQ"));
    assert_eq!(config.ui.prefix(), "/k8Jd02xQ");
    let nets: Vec<String> = config.ui.allow_ips.iter().map(ToString::to_string).collect();
    assert_eq!(nets, ["192.0.2.0/24", "::1/128"]);
    assert_eq!((config.session.idle_timeout_secs, config.session.absolute_timeout_secs), (600, 3600));
    let rendered = config.render_effective();
    assert!(rendered.contains("\n[ui]\nentrance = \"/k8Jd02xQ\" "), "{rendered}");
    assert!(rendered.contains("allow_ips = [\"192.0.2.0/24\", \"::1/128\"]"), "{rendered}");

    let env = [("LAWHA_UI__ALLOW_IPS", " 10.0.0.0/8, 2001:db8::1 ,"), ("LAWHA_UI__ENTRANCE", "/Abc-def_123")];
    let config = Config::load(&options(&env, Some(&file))).unwrap_or_else(|p| panic!("{p}"));
    let nets: Vec<String> = config.ui.allow_ips.iter().map(ToString::to_string).collect();
    assert_eq!(nets, ["10.0.0.0/8", "2001:db8::1/128"]);
    assert_eq!(config.ui.entrance.as_deref(), Some("/Abc-def_123"));
    assert_eq!(config.origin("ui.allow_ips"), Some(&Origin::Env("LAWHA_UI__ALLOW_IPS".into())));
}

#[test]
fn bad_ui_and_session_values_are_each_reported_precisely() {
    let found = problems(&[
        ("LAWHA_UI__ENTRANCE", "/login"),
        ("LAWHA_UI__ALLOW_IPS", "192.0.2.1,not-an-ip,10.0.0.0/40"),
        ("LAWHA_SESSION__IDLE_TIMEOUT_SECS", "30"),
    ]);
    let text = found.to_string();
    assert_eq!(found.len(), 4, "{text}");
    assert!(text.contains("ui.entrance (LAWHA_UI__ENTRANCE): `/login` is a path the panel already serves"), "{text}");
    assert!(text.contains("ui.allow_ips (LAWHA_UI__ALLOW_IPS): entry 2: `not-an-ip` is not an IP address"), "{text}");
    assert!(text.contains("entry 3: `10.0.0.0/40`: the prefix length must be a number from 0 to 32"), "{text}");
    assert!(
        text.contains("session.idle_timeout_secs (LAWHA_SESSION__IDLE_TIMEOUT_SECS): 30 is out of range"),
        "{text}"
    );

    let found = problems_of_file("[ui]\nentrance = \"/k8Jd02xQ/\"\nallow_ips = [1, 2]\n");
    let text = found.to_string();
    assert!(text.contains("`/k8Jd02xQ/` ends with `/`. Fix: remove the trailing slash: /k8Jd02xQ"), "{text}");
    assert!(text.contains("expected a list of addresses, found an array with items that are not strings"), "{text}");

    let found =
        problems(&[("LAWHA_SESSION__IDLE_TIMEOUT_SECS", "7200"), ("LAWHA_SESSION__ABSOLUTE_TIMEOUT_SECS", "3600")]);
    assert_eq!(found.len(), 1, "{found}");
    assert!(
        found.to_string().contains(
            "session.absolute_timeout_secs (LAWHA_SESSION__ABSOLUTE_TIMEOUT_SECS): 3600 is shorter than \
             session.idle_timeout_secs (7200)"
        ),
        "{found}"
    );
}

#[test]
fn jobs_keys_default_by_profile_and_load_from_the_environment() {
    let config = Config::load(&options(&[], None)).expect("defaults are valid");
    assert_eq!(config.jobs.in_process, InProcess::All);
    assert_eq!(config.jobs.queue_path, config.data_dir.join("queue.db"));
    assert_eq!((config.jobs.poll_interval_ms, config.jobs.concurrency), (20, 8));
    let env = [
        ("LAWHA_JOBS__IN_PROCESS", "admin, diagnostics"),
        ("LAWHA_JOBS__NAMESPACE", "panel-2"),
        ("LAWHA_JOBS__POLL_INTERVAL_MS", "50"),
    ];
    let config = Config::load(&options(&env, None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.jobs.in_process, InProcess::Only(vec!["admin".into(), "diagnostics".into()]));
    assert!(config.jobs.in_process.serves("admin") && !config.jobs.in_process.serves("backups"));
    assert_eq!((config.jobs.namespace.as_str(), config.jobs.poll_interval_ms), ("panel-2", 50));
    let config = Config::load(&options(&[("LAWHA_JOBS__IN_PROCESS", "none")], None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.jobs.in_process, InProcess::Only(vec![]), "`none` serves no queue in-process");
    assert_eq!(config.jobs.audit_verify_cron.as_deref(), Some("17 3 * * *"));
    let config =
        Config::load(&options(&[("LAWHA_JOBS__AUDIT_VERIFY_CRON", "off")], None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.jobs.audit_verify_cron, None);
}

#[test]
fn bad_jobs_values_are_each_reported_precisely() {
    let found = problems(&[
        ("LAWHA_JOBS__IN_PROCESS", "admin,Back Ups"),
        ("LAWHA_JOBS__NAMESPACE", "a b"),
        ("LAWHA_JOBS__POLL_INTERVAL_MS", "1"),
        ("LAWHA_JOBS__CONCURRENCY", "0"),
        ("LAWHA_JOBS__AUDIT_VERIFY_CRON", "61 3 * * *"),
    ]);
    let text = found.to_string();
    assert_eq!(found.len(), 5, "{text}");
    assert!(
        text.contains(
            "jobs.audit_verify_cron (LAWHA_JOBS__AUDIT_VERIFY_CRON): \"61 3 * * *\" is not a cron expression"
        ),
        "{text}"
    );
    assert!(
        text.contains("jobs.in_process (LAWHA_JOBS__IN_PROCESS): entry 2: \"Back Ups\" is not a queue name"),
        "{text}"
    );
    assert!(text.contains("jobs.namespace (LAWHA_JOBS__NAMESPACE): \"a b\" is not a namespace"), "{text}");
    assert!(text.contains("jobs.poll_interval_ms (LAWHA_JOBS__POLL_INTERVAL_MS): 1 is out of range"), "{text}");
    assert!(text.contains("jobs.concurrency (LAWHA_JOBS__CONCURRENCY): 0 is out of range"), "{text}");
}

#[test]
fn trusted_proxies_default_to_loopback_and_load_from_the_environment() {
    let config = Config::load(&options(&[], None)).expect("defaults are valid");
    let nets: Vec<String> = config.http.trusted_proxies.iter().map(ToString::to_string).collect();
    assert_eq!(nets, ["127.0.0.0/8", "::1/128"]);
    assert!(config.http.trusts("127.0.0.1".parse().unwrap()) && config.http.trusts("::1".parse().unwrap()));
    assert!(config.http.trusts("::ffff:127.0.0.1".parse().unwrap()), "a mapped IPv4 peer is the IPv4 address");
    assert!(!config.http.trusts("172.31.250.1".parse().unwrap()));

    let env = [("LAWHA_HTTP__TRUSTED_PROXIES", "127.0.0.1, 172.31.250.1,::ffff:10.0.0.7")];
    let config = Config::load(&options(&env, None)).unwrap_or_else(|p| panic!("{p}"));
    let nets: Vec<String> = config.http.trusted_proxies.iter().map(ToString::to_string).collect();
    assert_eq!(nets, ["127.0.0.1/32", "172.31.250.1/32", "10.0.0.7/32"]);
    assert!(config.http.trusts("::ffff:172.31.250.1".parse().unwrap()));

    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "lawha.toml", "[http]\ntrusted_proxies = []\n");
    let none = Config::load(&options(&[], Some(&file))).unwrap_or_else(|p| panic!("{p}"));
    assert!(none.http.trusted_proxies.is_empty() && !none.http.trusts("127.0.0.1".parse().unwrap()));

    let found = problems(&[("LAWHA_HTTP__TRUSTED_PROXIES", "127.0.0.1,proxy")]);
    assert!(found.to_string().contains("http.trusted_proxies (LAWHA_HTTP__TRUSTED_PROXIES): entry 2"), "{found}");
}
