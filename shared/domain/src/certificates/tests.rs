//! Certificates: what a spec may say, every problem named by its field. The aggregate's rules and the renewal
//! decision have files of their own beside this one.

mod certificate;
mod renewal;

use chrono::{TimeZone, Utc};

use super::*;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
}

fn spec() -> CertificateSpec {
    CertificateSpec {
        names: vec!["example.com".into(), "www.example.com".into()],
        challenge: Challenge::Http01,
        directory: Directory::LetsEncrypt,
        email: Some("ops@example.com".into()),
        key_type: KeyType::default(),
        profile: None,
        host: "web-1".into(),
    }
}

fn dns(names: &[&str]) -> CertificateSpec {
    CertificateSpec {
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        challenge: Challenge::Dns01 { hook: "/usr/local/bin/acme-dns-hook".into() },
        ..spec()
    }
}

fn fields(spec: &CertificateSpec) -> Vec<String> {
    spec.problems().into_iter().map(|(field, _)| field).collect()
}

fn custom(url: &str) -> CertificateSpec {
    CertificateSpec { directory: Directory::Custom { url: url.into(), trusted_root: None }, ..spec() }
}

#[test]
fn a_valid_spec_has_no_problem_and_defaults_to_ecdsa() {
    assert!(spec().problems().is_empty());
    assert!(dns(&["*.example.com", "example.com"]).problems().is_empty(), "a wildcard with dns-01");
    assert_eq!(KeyType::default(), KeyType::EcdsaP256);
    let json = serde_json::json!({
        "names": ["example.com"], "challenge": {"type": "http-01"}, "directory": {"kind": "lets_encrypt"},
        "host": "web-1"
    });
    let read: CertificateSpec = serde_json::from_value(json).unwrap();
    assert_eq!((read.key_type, read.email, read.profile), (KeyType::EcdsaP256, None, None));
    assert_eq!(read.directory.url(), LETS_ENCRYPT);
    let hook = serde_json::to_value(dns(&["example.com"]).challenge).unwrap();
    assert_eq!(hook, serde_json::json!({"type": "dns-01", "hook": "/usr/local/bin/acme-dns-hook"}));
}

#[test]
fn every_problem_of_a_spec_is_named_with_its_field() {
    let bad = CertificateSpec {
        names: vec!["*.example.com".into(), "10.0.0.1".into(), "Example.org".into(), "a.example".into()],
        challenge: Challenge::Http01,
        directory: Directory::Custom {
            url: "http://acme.example.com/dir".into(),
            trusted_root: Some("root.pem".into()),
        },
        email: Some("ops at example.com".into()),
        key_type: KeyType::Rsa2048,
        profile: Some("Short Lived".into()),
        host: "web_1".into(),
    };
    assert_eq!(
        fields(&bad),
        ["names[0]", "names[1]", "names[2]", "directory.url", "directory.trusted_root", "email", "profile", "host"]
    );
    let problems = bad.problems();
    assert_eq!(problems[0].1, messages::name_wildcard_needs_dns("*.example.com"));
    assert_eq!(problems[1].1, messages::name_ip_address("10.0.0.1"));
    assert_eq!(problems[2].1, messages::name_invalid("Example.org"));
    assert_eq!(problems[3].1, messages::directory_not_https());
    let message = certificate_invalid(&problems);
    assert_eq!(message.code, "certificates.certificate_invalid");
    assert!(matches!(message.arg("problems"), Some(crate::Arg::List(lines))
        if lines.len() == 8 && lines[7] == messages::field_problem("host", messages::host_invalid())));
}

#[test]
fn names_are_lowercase_host_names_with_a_leading_wildcard_only_for_dns() {
    let long = format!("{}.example.com", ["a", "b", "c", "d"].map(|c| c.repeat(63)).join("."));
    assert!(long.len() > 253);
    let bad =
        dns(&["", "*", "a.*.example.com", "*example.com", "*.*.example.com", "example.com.", "::1", "[::1]", &long]);
    let problems = bad.problems();
    assert_eq!(problems.len(), 9, "{problems:?}");
    assert_eq!(problems[0].1, messages::name_invalid(""));
    assert_eq!(problems[6].1, messages::name_ip_address("::1"));
    assert_eq!(problems[7].1, messages::name_ip_address("[::1]"));
    assert_eq!(problems[8].1, messages::name_too_long(long.as_str(), 253));
    let longest = format!("{}.{}", ["a".repeat(63), "b".repeat(63), "c".repeat(63)].join("."), "d".repeat(61));
    assert_eq!(longest.len(), 253);
    assert!(dns(&[&longest, &format!("*.{}", &longest[2..])]).problems().is_empty(), "253 bytes is the limit");
    assert!(spec().problems().is_empty() && dns(&["localhost", "xn--mgbh0fb.example"]).problems().is_empty());
}

#[test]
fn names_are_listed_once_and_none_is_covered_by_a_wildcard() {
    let twice = CertificateSpec { names: vec!["a.example.com".into(), "a.example.com".into()], ..spec() };
    assert_eq!(twice.problems(), [("names[1]".to_owned(), messages::name_duplicate("a.example.com"))]);
    let covered = dns(&["*.example.com", "www.example.com", "example.com", "a.b.example.com"]);
    assert_eq!(
        covered.problems(),
        [("names[1]".to_owned(), messages::name_redundant("www.example.com", "*.example.com"))],
        "the apex and deeper names are not covered"
    );
}

#[test]
fn a_certificate_has_one_to_a_hundred_names() {
    let none = CertificateSpec { names: vec![], ..spec() };
    assert_eq!(none.problems(), [("names".to_owned(), messages::names_empty())]);
    let names = |n: usize| (0..n).map(|i| format!("n{i}.example.com")).collect::<Vec<_>>();
    assert!(CertificateSpec { names: names(100), ..spec() }.problems().is_empty());
    let many = CertificateSpec { names: names(101), ..spec() };
    assert_eq!(many.problems(), [("names".to_owned(), messages::names_too_many(101u64, 100u64))]);
}

#[test]
fn a_dns_hook_is_one_command_line() {
    let hook = |hook: &str| CertificateSpec { challenge: Challenge::Dns01 { hook: hook.into() }, ..spec() };
    assert!(hook("/opt/hooks/dns.sh --zone example.com").problems().is_empty());
    let problem = |h: &str| hook(h).problems().into_iter().map(|(f, m)| (f, m.code)).collect::<Vec<_>>();
    let one = |code: &str| vec![("challenge.hook".to_owned(), code.to_owned())];
    assert_eq!(problem("   "), one("certificates.dns_hook_blank"));
    assert_eq!(problem(&"x".repeat(DNS_HOOK_MAX_BYTES + 1)), one("certificates.dns_hook_too_long"));
    assert_eq!(problem("hook\nrm -rf /"), one("certificates.dns_hook_control"));
    assert_eq!(problem("hook\u{1b}[2J"), one("certificates.dns_hook_control"));
}

#[test]
fn a_custom_directory_is_https_except_on_loopback_for_pebble() {
    for url in [
        "https://acme.example.com/directory",
        "https://localhost:14000/dir",
        "http://localhost:14000/dir",
        "http://127.0.0.1:14000/dir",
        "http://[::1]:14000/dir",
        "https://10.0.0.5/acme/dir",
    ] {
        assert!(custom(url).problems().is_empty(), "{url} should be accepted");
    }
    for url in ["http://acme.example.com/dir", "http://10.0.0.5:14000/dir", "http://127.0.0.1.example.com/dir"] {
        assert_eq!(fields(&custom(url)), ["directory.url"], "{url}");
        assert_eq!(custom(url).problems()[0].1, messages::directory_not_https(), "{url}");
    }
    for url in ["ftp://acme.example.com/dir", "acme.example.com", "https://user:pw@acme.example.com/", "https:// x/"] {
        assert_eq!(custom(url).problems()[0].1, messages::directory_url_invalid(), "{url}");
    }
    let rooted = CertificateSpec {
        directory: Directory::Custom {
            url: "https://localhost:14000/dir".into(),
            trusted_root: Some("/var/lib/lawha/pebble/root.pem".into()),
        },
        ..spec()
    };
    assert!(rooted.problems().is_empty());
    assert_eq!(Directory::LetsEncryptStaging.url(), LETS_ENCRYPT_STAGING);
}

#[test]
fn the_email_profile_and_host_are_checked() {
    for email in ["ops@example.com", "first.last+tls@mail.Example.org"] {
        assert!(is_email(email), "{email}");
    }
    for email in ["ops", "ops@localhost", "@example.com", ".ops@example.com", "a b@example.com", "ops@exa mple.com"] {
        assert!(!is_email(email), "{email:?}");
    }
    assert!(CertificateSpec { email: None, ..spec() }.problems().is_empty(), "an account may have no contact");
    for profile in ["classic", "tlsserver", "shortlived", "a-1"] {
        assert!(CertificateSpec { profile: Some(profile.into()), ..spec() }.problems().is_empty());
    }
    for profile in ["", "Classic", "short_lived", &"a".repeat(65)] {
        assert_eq!(fields(&CertificateSpec { profile: Some(profile.into()), ..spec() }), ["profile"]);
    }
    assert_eq!(fields(&CertificateSpec { host: "web-1.example.com".into(), ..spec() }), ["host"]);
}
