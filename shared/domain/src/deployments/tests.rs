//! Sites: their rules, given/when/then. The shapes of their values, deployments and webhooks have files of
//! their own beside this one.

mod deployments;
mod shapes;
mod webhook;

use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::{Aggregate as _, DomainEvent as _, RecordedEvent, event::Metadata, testing::given};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
}

fn secret(n: u128) -> SecretRef {
    SecretRef::new(Uuid::from_u128(n))
}

fn spec() -> SiteSpec {
    SiteSpec {
        name: "shop".into(),
        repository: "git@github.com:acme/shop.git".into(),
        branch: "main".into(),
        deploy_key_secret: Some(secret(10)),
        build_command: Some("npm ci && npm run build".into()),
        start_command: "node server.js --port $PORT".into(),
        runtime: Runtime::Process,
        health_path: "/health".into(),
        env: EnvVars { names: vec!["DATABASE_URL".into(), "NODE_ENV".into()], values_secret: Some(secret(11)) },
        ports: Ports { blue: 3001, green: 3002 },
        domains: vec!["shop.example.com".into(), "www.shop.example.com".into()],
        releases_to_keep: DEFAULT_RELEASES_TO_KEEP,
        host: "web-1".into(),
    }
}

fn created() -> SiteEvent {
    SiteEvent::SiteCreated { site_id: Uuid::from_u128(1), spec: spec(), webhook_secret: secret(12) }
}

fn fields(spec: &SiteSpec) -> Vec<&'static str> {
    spec.problems().into_iter().map(|(field, _)| field).collect()
}

#[test]
fn a_valid_site_is_created_once() {
    let command = SiteCommand::Create { site_id: Uuid::from_u128(1), spec: spec(), webhook_secret: secret(12) };
    let site = given::<Site>([]).when(&command, now()).then_expect([created()]);
    assert_eq!((site.id, site.webhook_secret), (Some(Uuid::from_u128(1)), Some(secret(12))));
    given::<Site>([created()]).when(&command, now()).then_reject(|r| *r == SiteRejection::AlreadyExists);
    assert_eq!(Site::stream(Uuid::from_u128(1)).as_str(), format!("site-{}", Uuid::from_u128(1)));
}

#[test]
fn every_problem_of_a_site_is_named_with_its_field() {
    let bad = SiteSpec {
        name: "-shop".into(),
        repository: "http://github.com/acme/shop.git".into(),
        branch: "feature..x".into(),
        deploy_key_secret: None,
        build_command: Some("   ".into()),
        start_command: "node server.js".into(),
        runtime: Runtime::Docker,
        health_path: "health".into(),
        env: EnvVars { names: vec!["1BAD".into()], values_secret: None },
        ports: Ports { blue: 80, green: 80 },
        domains: vec!["Shop.Example.com".into()],
        releases_to_keep: 0,
        host: "web_1".into(),
    };
    assert_eq!(
        fields(&bad),
        [
            "name",
            "repository",
            "branch",
            "build_command",
            "start_command",
            "health_path",
            "env.names",
            "env.values_secret",
            "ports.blue",
            "ports.green",
            "ports",
            "domains",
            "releases_to_keep",
            "host"
        ]
    );
    let command = SiteCommand::Create { site_id: Uuid::from_u128(1), spec: bad, webhook_secret: secret(12) };
    let rejection = given::<Site>([]).when(&command, now());
    rejection.then_reject(|r| {
        let message = r.message();
        r.field_problems().len() == 14
            && message.code == "deployments.site_invalid"
            && matches!(message.arg("problems"), Some(crate::Arg::List(lines))
                if lines[0] == messages::field_problem("name", messages::name_invalid()))
    });
}

#[test]
fn the_start_command_listens_on_port_and_commands_are_checked() {
    let with = |command: &str| SiteSpec { start_command: command.into(), ..spec() };
    assert!(with("gunicorn -b 127.0.0.1:${PORT} app:app").problems().is_empty());
    assert!(with("./server\n  --port=$PORT").problems().is_empty());
    assert_eq!(with("./server --port $PORTS").problems(), [("start_command", messages::start_command_port())]);
    assert_eq!(with("./server --port 3000").problems(), [("start_command", messages::start_command_port())]);
    assert_eq!(with("run $PORT\u{7}").problems(), [("start_command", messages::command_invalid())]);
    let long = format!("echo $PORT {}", "x".repeat(COMMAND_MAX_BYTES));
    assert_eq!(with(&long).problems(), [("start_command", messages::command_invalid())]);
    let no_build = SiteSpec { build_command: None, ..spec() };
    assert!(no_build.problems().is_empty(), "a site may need no build");
}

#[test]
fn environment_names_are_checked_and_their_values_are_only_a_reference() {
    let with = |names: &[&str], values: Option<SecretRef>| SiteSpec {
        env: EnvVars { names: names.iter().map(|n| (*n).to_owned()).collect(), values_secret: values },
        ..spec()
    };
    assert!(with(&["_PRIVATE", "A1"], Some(secret(11))).problems().is_empty());
    assert!(with(&[], None).problems().is_empty());
    assert_eq!(with(&["A-B"], Some(secret(11))).problems(), [("env.names", messages::env_name_invalid("A-B"))]);
    assert_eq!(with(&["PORT"], Some(secret(11))).problems(), [("env.names", messages::env_name_reserved("PORT"))]);
    assert_eq!(with(&["A", "A"], Some(secret(11))).problems(), [("env.names", messages::env_name_duplicate("A"))]);
    assert_eq!(with(&["A"], None).problems(), [("env.values_secret", messages::env_values_missing())]);
    assert_eq!(with(&[], Some(secret(11))).problems(), [("env.values_secret", messages::env_values_unexpected())]);
}

#[test]
fn ports_and_releases_to_keep_have_their_ranges() {
    let with = |blue, green, keep| SiteSpec { ports: Ports { blue, green }, releases_to_keep: keep, ..spec() };
    assert!(with(1024, 65535, 1).problems().is_empty());
    assert!(with(3001, 3002, 50).problems().is_empty());
    assert_eq!(fields(&with(1023, 3002, 5)), ["ports.blue"]);
    assert_eq!(fields(&with(3001, 3001, 51)), ["ports", "releases_to_keep"]);
    assert_eq!(Ports { blue: 1, green: 2 }.of(Colour::Green), 2);
    assert_eq!((Colour::Blue.other(), Colour::Green.other()), (Colour::Green, Colour::Blue));
    let without_keep: SiteSpec = {
        let mut json = serde_json::to_value(spec()).unwrap();
        json.as_object_mut().unwrap().remove("releases_to_keep");
        serde_json::from_value(json).unwrap()
    };
    assert_eq!(without_keep.releases_to_keep, 5, "five releases are kept by default");
}

#[test]
fn an_unchanged_update_records_nothing_and_a_deleted_site_refuses_everything() {
    given::<Site>([created()]).when(&SiteCommand::Update { spec: spec() }, now()).then_expect([]);
    let changed = SiteSpec { branch: "production".into(), ..spec() };
    given::<Site>([created()])
        .when(&SiteCommand::Update { spec: changed.clone() }, now())
        .then_expect([SiteEvent::SiteUpdated { spec: changed }]);
    let bad = SiteSpec { health_path: String::new(), ..spec() };
    given::<Site>([created()])
        .when(&SiteCommand::Update { spec: bad }, now())
        .then_reject(|r| r.field_problems() == [("health_path", messages::health_path_invalid())]);
    let deleted = [created(), SiteEvent::SiteDeleted {}];
    given::<Site>(deleted.clone())
        .when(&SiteCommand::Update { spec: spec() }, now())
        .then_reject(|r| *r == SiteRejection::Deleted);
    given::<Site>(deleted)
        .when(&SiteCommand::RotateWebhookSecret { webhook_secret: secret(13) }, now())
        .then_reject(|r| r.message() == messages::site_deleted());
    given::<Site>([]).when(&SiteCommand::Delete, now()).then_reject(|r| *r == SiteRejection::NotFound);
}

#[test]
fn rotating_the_webhook_secret_records_the_new_reference_once() {
    let rotate = SiteCommand::RotateWebhookSecret { webhook_secret: secret(13) };
    let rotated = SiteEvent::WebhookSecretRotated { webhook_secret: secret(13) };
    let site = given::<Site>([created()]).when(&rotate, now()).then_expect([rotated.clone()]);
    assert_eq!(site.webhook_secret, Some(secret(13)));
    given::<Site>([created(), rotated]).when(&rotate, now()).then_expect([]);
}

#[test]
fn secrets_enter_site_events_only_as_references() {
    let reference = SecretRef::new(Uuid::from_u128(7));
    assert_eq!(SecretRef::parse(reference.as_str()), Ok(reference.clone()));
    for bad in ["-----BEGIN OPENSSH PRIVATE KEY-----", "sealed2:abc", "secret:1", "secret:{00000000-0000-0000}"] {
        assert_eq!(SecretRef::parse(bad), Err(NotASecretRef), "{bad}");
    }
    let upper = format!("secret:{}", Uuid::from_u128(0xabc).to_string().to_uppercase());
    assert!(SecretRef::parse(&upper).is_err(), "only the canonical form");
    let (event_type, data) = created().to_parts();
    assert_eq!(event_type, "SiteCreated");
    assert_eq!(data["webhook_secret"], secret(12).as_str());
    assert_eq!(data["spec"]["deploy_key_secret"], secret(10).as_str());
    assert_eq!(
        data["spec"]["env"],
        serde_json::json!({"names": ["DATABASE_URL", "NODE_ENV"], "values_secret": secret(11).as_str()})
    );
    assert_eq!(data["spec"]["runtime"], "process");
    let recorded = |data| RecordedEvent {
        position: 1,
        event_id: Uuid::nil(),
        stream: Site::stream(Uuid::from_u128(1)),
        version: 1,
        event_type: "SiteCreated".into(),
        schema_version: 1,
        data,
        metadata: Metadata::default(),
        recorded_at: now(),
        chain: Vec::new(),
    };
    assert_eq!(SiteEvent::from_recorded(&recorded(data.clone())).unwrap(), created());
    let mut clear = data;
    clear["webhook_secret"] = "my webhook secret".into();
    assert!(SiteEvent::from_recorded(&recorded(clear)).is_err(), "a secret in clear is not a site event");
}

#[test]
fn every_rejection_speaks_a_declared_message() {
    let declared = |m: &crate::Message| messages::ALL.iter().any(|spec| spec.code == m.code);
    let rejections = [SiteRejection::AlreadyExists, SiteRejection::NotFound, SiteRejection::Deleted];
    assert!(rejections.iter().all(|r| declared(&r.message())));
    assert!(messages::ALL.iter().all(|spec| spec.code.starts_with("deployments.")));
    let mut codes: Vec<_> = messages::ALL.iter().map(|spec| spec.code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), messages::ALL.len(), "no code is declared twice");
}
