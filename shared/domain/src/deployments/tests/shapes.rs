//! The shapes of a site's values: repository URLs, branch names, host names.

use super::{fields, spec};
use crate::deployments::*;

#[test]
fn repository_urls_are_checked_by_shape_and_never_carry_credentials() {
    for url in [
        "https://github.com/acme/shop.git",
        "https://git.example.com:8443/acme/shop",
        "git@github.com:acme/shop.git",
        "deploy@10.0.0.5:/srv/git/shop.git",
        "ssh://git@github.com/acme/shop.git",
        "ssh://git.example.com:2222/acme/shop.git",
        "file:///srv/git/shop.git",
    ] {
        assert!(repository_kind(url).is_ok(), "{url} should be accepted");
    }
    assert_eq!(repository_kind("file:///srv/git/shop"), Ok(RepositoryKind::File));
    assert_eq!(repository_kind("https://github.com/a/b"), Ok(RepositoryKind::Https));
    for url in [
        "http://github.com/acme/shop.git",
        "github.com/acme/shop",
        "file://srv/git/shop",
        "https://github.com",
        "https://github.com/",
        "ssh://-oProxyCommand=touch%20x/repo",
        "git@-oProxyCommand=x:repo",
        "git@github.com:",
        "https://github.com/acme/my shop",
        "",
    ] {
        assert_eq!(repository_kind(url), Err(RepositoryProblem::Shape), "{url} should be refused");
    }
    for url in ["https://token@github.com/acme/shop.git", "ssh://git:hunter2@github.com/acme/shop.git"] {
        assert_eq!(repository_kind(url), Err(RepositoryProblem::Credentials), "{url}");
    }
    let mut https_with_key = spec();
    https_with_key.repository = "https://github.com/acme/shop.git".into();
    assert_eq!(fields(&https_with_key), ["deploy_key_secret"], "a deploy key is an SSH key");
    https_with_key.deploy_key_secret = None;
    assert!(https_with_key.problems().is_empty());
}

#[test]
fn branch_names_follow_git_check_ref_format() {
    for good in ["main", "release/2026.12", "feature/x-y_z", "v1.0", "a@b"] {
        assert!(is_branch_name(good), "{good} should be accepted");
    }
    let long = "a".repeat(256);
    for bad in [
        "",
        "a..b",
        "my branch",
        "a~1",
        "a^",
        "a:b",
        "a?",
        "a*",
        "a[b",
        "a\\b",
        "-main",
        "main/",
        "main.lock",
        "a/.hidden",
        "a//b",
        "/main",
        "main.",
        "a@{1}",
        "@",
        "tab\there",
        &long,
    ] {
        assert!(!is_branch_name(bad), "{bad:?} should be refused");
    }
    assert!(is_branch_name(&"a".repeat(255)));
}

#[test]
fn domains_and_hosts_are_lowercase_host_names() {
    for good in ["example.com", "a-b.example.co", "localhost", "web-1", "xn--mgbh0fb.example"] {
        assert!(is_hostname(good), "{good} should be accepted");
    }
    let label = "a".repeat(64);
    for bad in ["Example.com", "*.example.com", "example.com.", "-a.com", "a-.com", "a..com", "10.0.0.1", "", &label] {
        assert!(!is_hostname(bad), "{bad:?} should be refused");
    }
    let mut twice = spec();
    twice.domains = vec!["a.example.com".into(), "b.example.com".into(), "a.example.com".into()];
    assert_eq!(twice.problems(), [("domains", messages::domain_duplicate("a.example.com"))]);
    twice.domains = Vec::new();
    assert!(twice.problems().is_empty(), "a site may answer to no domain yet");
}
