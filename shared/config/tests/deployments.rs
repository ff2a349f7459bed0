//! The deploy worker's settings: defaults under the data folder, both layers, the commands split into words (empty
//! or `none` runs none), and every bad value reported precisely, the four step times also together.

mod support;

use std::path::{Path, PathBuf};

use lawha_config::{Config, Origin};
use support::{options, problems, write};

#[test]
fn deployments_keys_default_under_the_data_folder() {
    let config = Config::load(&options(&[("LAWHA_DATA_DIR", "/srv/lawha")], None)).expect("defaults are valid");
    let d = &config.deployments;
    assert_eq!(d.releases_dir, Path::new("/srv/lawha/deployments/releases"));
    assert_eq!(d.state_dir, Path::new("/srv/lawha/deployments/state"));
    assert_eq!(d.nginx_upstream_dir, Path::new("/etc/nginx/lawha-sites"));
    assert_eq!(d.upstream_file("shop"), Path::new("/etc/nginx/lawha-sites/shop.upstream.conf"));
    assert_eq!(d.nginx_test_command, ["nginx", "-t"]);
    assert_eq!(d.nginx_reload_command, ["nginx", "-s", "reload"]);
    assert_eq!((d.fetch_timeout_secs, d.build_timeout_secs, d.health_deadline_secs, d.drain_secs), (300, 1800, 60, 10));
    assert_eq!(d.docker_command, "docker");
    assert_eq!(d.systemd_run_command, "systemd-run");
    assert_eq!(Config::test(Path::new("/tmp/t")).deployments.state_dir, Path::new("/tmp/t/deployments/state"));
    let rendered = config.render_effective();
    assert!(rendered.contains("\n[deployments]\nhost = \"local\" "), "{rendered}");
    assert!(rendered.contains("\nreleases_dir = \"/srv/lawha/deployments/releases\" "), "{rendered}");
    assert_eq!((d.host.as_str(), d.host_labels.len()), ("local", 0));
    assert!(rendered.contains("nginx_reload_command = \"nginx -s reload\" "), "{rendered}");
}

#[test]
fn deployments_keys_load_from_the_file_and_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "lawha.toml",
        "[deployments]\nreleases_dir = \"/srv/releases\"\nnginx_upstream_dir = \"/etc/nginx/up\"\n\
         nginx_test_command = \"  /usr/sbin/nginx   -t -q \"\nnginx_reload_command = \"\"\ndrain_secs = 0\n\
         build_timeout_secs = 600\n",
    );
    let config = Config::load(&options(&[], Some(&file))).unwrap_or_else(|p| panic!("{p}"));
    let d = &config.deployments;
    assert_eq!(
        (d.releases_dir.as_path(), d.nginx_upstream_dir.as_path()),
        (Path::new("/srv/releases"), Path::new("/etc/nginx/up"))
    );
    assert_eq!(d.nginx_test_command, ["/usr/sbin/nginx", "-t", "-q"]);
    assert!(d.nginx_reload_command.is_empty(), "empty runs no reload");
    assert_eq!((d.drain_secs, d.build_timeout_secs), (0, 600));
    assert_eq!(config.origin("deployments.drain_secs"), Some(&Origin::File));

    let env = [
        ("LAWHA_DEPLOYMENTS__STATE_DIR", "/run/lawha-apps"),
        ("LAWHA_DEPLOYMENTS__NGINX_RELOAD_COMMAND", "systemctl reload nginx"),
        ("LAWHA_DEPLOYMENTS__NGINX_TEST_COMMAND", "None"),
        ("LAWHA_DEPLOYMENTS__HEALTH_DEADLINE_SECS", "120"),
        ("LAWHA_DEPLOYMENTS__DOCKER_COMMAND", "/usr/bin/podman"),
    ];
    let config = Config::load(&options(&env, Some(&file))).unwrap_or_else(|p| panic!("{p}"));
    let d = &config.deployments;
    assert_eq!(d.state_dir, PathBuf::from("/run/lawha-apps"));
    assert_eq!(d.nginx_reload_command, ["systemctl", "reload", "nginx"]);
    assert!(d.nginx_test_command.is_empty(), "`none` runs no test");
    assert_eq!((d.health_deadline_secs, d.docker_command.as_str()), (120, "/usr/bin/podman"));
    assert_eq!(
        config.origin("deployments.nginx_reload_command"),
        Some(&Origin::Env("LAWHA_DEPLOYMENTS__NGINX_RELOAD_COMMAND".into()))
    );
}

#[test]
fn the_host_name_and_labels_load_and_bad_ones_are_named() {
    let env = [("LAWHA_DEPLOYMENTS__HOST", "web-2"), ("LAWHA_DEPLOYMENTS__HOST_LABELS", "region=eu, gpu")];
    let config = Config::load(&options(&env, None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(
        (config.deployments.host.as_str(), config.deployments.host_labels.clone()),
        ("web-2", vec!["region=eu".to_owned(), "gpu".to_owned()])
    );
    let found =
        problems(&[("LAWHA_DEPLOYMENTS__HOST", "Web.example.com"), ("LAWHA_DEPLOYMENTS__HOST_LABELS", "ok,two words")]);
    let text = found.to_string();
    assert_eq!(found.len(), 2, "{text}");
    assert!(
        text.contains("deployments.host (LAWHA_DEPLOYMENTS__HOST): \"Web.example.com\" is not a host name"),
        "{text}"
    );
    assert!(text.contains("deployments.host_labels (LAWHA_DEPLOYMENTS__HOST_LABELS): entry 2"), "{text}");
}

#[test]
fn bad_deployments_values_are_each_reported_precisely() {
    let found = problems(&[
        ("LAWHA_DEPLOYMENTS__RELEASES_DIR", " "),
        ("LAWHA_DEPLOYMENTS__DOCKER_COMMAND", " "),
        ("LAWHA_DEPLOYMENTS__FETCH_TIMEOUT_SECS", "0"),
        ("LAWHA_DEPLOYMENTS__HEALTH_DEADLINE_SECS", "601"),
        ("LAWHA_DEPLOYMENTS__DRAIN_SECS", "soon"),
    ]);
    let text = found.to_string();
    assert_eq!(found.len(), 5, "{text}");
    assert!(text.contains("deployments.releases_dir (LAWHA_DEPLOYMENTS__RELEASES_DIR): is empty"), "{text}");
    assert!(text.contains("deployments.docker_command (LAWHA_DEPLOYMENTS__DOCKER_COMMAND): is empty"), "{text}");
    assert!(
        text.contains(
            "deployments.fetch_timeout_secs (LAWHA_DEPLOYMENTS__FETCH_TIMEOUT_SECS): 0 is out of range. \
                       Fix: use a whole number from 1 to 3600"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "deployments.health_deadline_secs (LAWHA_DEPLOYMENTS__HEALTH_DEADLINE_SECS): 601 is out of range"
        ),
        "{text}"
    );
    assert!(
        text.contains("deployments.drain_secs (LAWHA_DEPLOYMENTS__DRAIN_SECS): `soon` is not a valid number"),
        "{text}"
    );
}

#[test]
fn the_steps_times_together_must_fit_in_the_deploy_jobs_hour() {
    let found = problems(&[
        ("LAWHA_DEPLOYMENTS__FETCH_TIMEOUT_SECS", "600"),
        ("LAWHA_DEPLOYMENTS__BUILD_TIMEOUT_SECS", "3000"),
    ]);
    let text = found.to_string();
    assert_eq!(found.len(), 1, "{text}");
    assert!(
        text.contains(
            "deployments.build_timeout_secs (LAWHA_DEPLOYMENTS__BUILD_TIMEOUT_SECS): fetch_timeout_secs + \
                       build_timeout_secs + health_deadline_secs + drain_secs is 3670 s, more than the 3300 s"
        ),
        "{text}"
    );
    // At the limit exactly, it is accepted.
    let env = [("LAWHA_DEPLOYMENTS__FETCH_TIMEOUT_SECS", "230"), ("LAWHA_DEPLOYMENTS__BUILD_TIMEOUT_SECS", "3000")];
    let config = Config::load(&options(&env, None)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(config.deployments.build_timeout_secs, 3000);
}
