//! The keyring and the audit chain's anchors: previous secret keys from every layer (never quoted, never the
//! current key), the development keyring file, and the checkpoint interval and URL.

use std::path::Path;

use lawha_config::{Config, EnvHints, LoadOptions, Origin, PREVIOUS_KEYS_FILE};

const CURRENT: &str = "0123456789abcdef0123456789abcdef-current";
const OLD: &str = "fedcba9876543210fedcba9876543210-old-one";
const OLDER: &str = "00112233445566778899aabbccddeeff-older-one";

fn options(env: &[(&str, &str)], config_file: Option<&Path>) -> LoadOptions {
    LoadOptions {
        config_file: config_file.map(Path::to_path_buf),
        env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        hints: EnvHints::default(),
    }
}

fn previous(config: &Config) -> Vec<String> {
    config.previous_secret_key_bytes().iter().map(|k| String::from_utf8(k.to_vec()).unwrap()).collect()
}

#[test]
fn previous_secret_keys_load_from_the_environment_a_file_and_the_configuration_file_and_render_redacted() {
    let env = [("LAWHA_SECRET_KEY", CURRENT), ("LAWHA_PREVIOUS_SECRET_KEYS", &format!("{OLDER}, {OLD}") as &str)];
    let config = Config::load(&options(&env, None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(previous(&config), [OLDER, OLD]);
    let rendered = config.render_effective();
    assert!(rendered.contains("previous_secret_keys = [\"[redacted]\", \"[redacted]\"]"), "{rendered}");
    assert!(!rendered.contains(OLD) && !format!("{config:?}").contains(OLD));

    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("previous.keys");
    std::fs::write(&keys, format!("{OLDER}\n{OLD}\n")).unwrap();
    let env = [("LAWHA_SECRET_KEY", CURRENT), ("LAWHA_PREVIOUS_SECRET_KEYS_FILE", keys.to_str().unwrap())];
    let config = Config::load(&options(&env, None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(previous(&config), [OLDER, OLD]);
    assert!(config.secret_files.contains(&keys), "the keyring file is protected from backups like the key's");

    let file = dir.path().join("lawha.toml");
    std::fs::write(&file, format!("secret_key = \"{CURRENT}\"\nprevious_secret_keys = [\"{OLD}\"]\n")).unwrap();
    let config = Config::load(&options(&[], Some(&file))).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(previous(&config), [OLD]);
}

#[test]
fn a_short_previous_key_or_the_current_key_listed_again_is_refused_without_quoting_it() {
    let env = [
        ("LAWHA_SECRET_KEY", CURRENT),
        ("LAWHA_PREVIOUS_SECRET_KEYS", &format!("{OLD},short-old-KEY9,{CURRENT}") as &str),
    ];
    let problems = Config::load(&options(&env, None)).expect_err("refused");
    let text = problems.to_string();
    assert!(text.contains("previous_secret_keys (LAWHA_PREVIOUS_SECRET_KEYS): entry 2 is 14 bytes long"), "{text}");
    assert!(text.contains("entry 3 is the current secret_key"), "{text}");
    for secret in [OLD, "short-old-KEY9", CURRENT] {
        assert!(!text.contains(secret), "{secret} is quoted:\n{text}");
    }
}

#[test]
fn the_development_keyring_file_is_read_beside_the_generated_key() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join(PREVIOUS_KEYS_FILE), format!("{OLDER}\n\n{OLD}\n")).unwrap();
    let mut config = Config::load(&options(&[("LAWHA_DATA_DIR", data_dir)], None)).unwrap_or_else(|p| panic!("{p}"));
    config.ensure_secret_key().expect("the development key");
    assert_eq!(previous(&config), [OLDER, OLD]);
    assert_eq!(config.origin("previous_secret_keys"), Some(&Origin::KeyFile(dir.path().join(PREVIOUS_KEYS_FILE))));

    std::fs::write(dir.path().join(PREVIOUS_KEYS_FILE), "too short\n").unwrap();
    let mut config = Config::load(&options(&[("LAWHA_DATA_DIR", data_dir)], None)).unwrap_or_else(|p| panic!("{p}"));
    let error = config.ensure_secret_key().expect_err("a short previous key is refused");
    assert!(error.to_string().contains("line 1 holds fewer than 32 bytes"), "{error}");
}

#[test]
fn checkpoints_default_to_hourly_without_a_url_and_the_url_must_be_plain_http() {
    let config = Config::load(&options(&[], None)).expect("defaults are valid");
    assert_eq!((config.audit.checkpoint_interval_secs, config.audit.checkpoint_url.as_deref()), (3600, None));

    let env = [("LAWHA_AUDIT__CHECKPOINT_INTERVAL_SECS", "0"), ("LAWHA_AUDIT__CHECKPOINT_URL", "http://anchor:8080/c")];
    let config = Config::load(&options(&env, None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.audit.checkpoint_interval_secs, 0);
    assert_eq!(config.audit.checkpoint_url.as_deref(), Some("http://anchor:8080/c"));

    let env = [
        ("LAWHA_AUDIT__CHECKPOINT_INTERVAL_SECS", "30"),
        ("LAWHA_AUDIT__CHECKPOINT_URL", "https://user:token-SECRET@anchor.example/c"),
    ];
    let text = Config::load(&options(&env, None)).expect_err("refused").to_string();
    assert!(
        text.contains("audit.checkpoint_interval_secs (LAWHA_AUDIT__CHECKPOINT_INTERVAL_SECS): 30 is out of range")
    );
    assert!(
        text.contains("audit.checkpoint_url (LAWHA_AUDIT__CHECKPOINT_URL): scheme `https` is not supported"),
        "{text}"
    );
    assert!(!text.contains("token-SECRET"), "{text}");
    let text = Config::load(&options(&[("LAWHA_AUDIT__CHECKPOINT_URL", "http:///path")], None)).expect_err("no host");
    assert!(text.to_string().contains("has no host"), "{text}");
}
