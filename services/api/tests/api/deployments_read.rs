//! The `sites` and `deployments` read models fed from a real database by the registered `deployments` projection:
//! a site created, changed and deleted; deployments that succeed, fail and roll back; a fact that does not decode;
//! the whole log applied again, and a rebuild, each giving the same rows.

use std::time::Duration;

use lawha::deployments::read;
use lawha_domain::{
    Aggregate as _, DomainEvent, ExpectedVersion, Message, Metadata, NewEvent, StreamId,
    deployments::{
        Colour, Deployment, DeploymentEvent as E, EnvVars, Ports, Runtime, SecretRef, Site, SiteEvent, SiteSpec, Step,
        Trigger,
    },
};
use lawha_store::{Database, ProjectionRunner, testkit::TestDb};
use serde_json::json;
use sqlx::{Row as _, any::AnyRow};
use uuid::Uuid;

lawha_store::on_both_backends!(the_read_models_follow_sites_and_deployments_and_rebuild_identically);

fn spec(name: &str) -> SiteSpec {
    SiteSpec {
        name: name.into(),
        repository: "git@github.com:acme/shop.git".into(),
        branch: "main".into(),
        deploy_key_secret: Some(SecretRef::new(Uuid::now_v7())),
        build_command: Some("npm ci && npm run build".into()),
        start_command: "node server.js --port $PORT".into(),
        runtime: Runtime::Process,
        health_path: "/health".into(),
        env: EnvVars { names: vec!["NODE_ENV".into()], values_secret: Some(SecretRef::new(Uuid::now_v7())) },
        ports: Ports { blue: 3001, green: 3002 },
        domains: vec!["shop.example.com".into()],
        releases_to_keep: 5,
        host: "web-1".into(),
    }
}

async fn append(db: &Database, stream: &StreamId, fact: &impl DomainEvent) {
    let event = fact.to_new_event(Metadata::default());
    db.events.append(stream, ExpectedVersion::Any, vec![event]).await.expect("appending a fact");
}

/// Appends a deployment's facts, requested first, and lets the projection catch up.
async fn deploy(db: &Database, runner: &ProjectionRunner, id: Uuid, facts: &[E]) {
    for fact in facts {
        append(db, &Deployment::stream(id), fact).await;
    }
    catch_up(runner).await;
}

async fn catch_up(runner: &ProjectionRunner) {
    let projection = runner.find("deployments").expect("the deployments projection is registered");
    runner.catch_up(projection.as_ref()).await.expect("catching up");
}

fn requested(id: Uuid, site: Uuid, commit: Option<&str>, trigger: Trigger) -> E {
    E::DeploymentRequested {
        deployment_id: id,
        site_id: site,
        host: "web-1".into(),
        commit: commit.map(Into::into),
        trigger,
    }
}

/// Every row of both tables, every column as text.
async fn snapshot(db: &Database) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for sql in ["SELECT * FROM sites ORDER BY site_id", "SELECT * FROM deployments ORDER BY deployment_id"] {
        for row in sqlx::query(sql).fetch_all(&db.read_models).await.unwrap() {
            rows.push((0..row.len()).map(|i| cell(&row, i)).collect());
        }
    }
    rows
}

fn cell(row: &AnyRow, i: usize) -> String {
    match row.try_get::<Option<String>, _>(i) {
        Ok(text) => format!("{text:?}"),
        Err(_) => format!("{:?}", row.try_get::<Option<i64>, _>(i).unwrap()),
    }
}

async fn the_read_models_follow_sites_and_deployments_and_rebuild_identically(t: TestDb) {
    let (db, pool) = (&t.db, &t.db.read_models);
    let runner = ProjectionRunner::new(db.clone(), lawha::projections::all(), 4, Duration::from_millis(20));
    let (shop, gone) = (Uuid::now_v7(), Uuid::now_v7());
    let created = SiteEvent::SiteCreated { site_id: shop, spec: spec("shop"), webhook_secret: SecretRef::new(shop) };
    append(db, &Site::stream(shop), &created).await;
    catch_up(&runner).await;
    let site = read::site(pool, shop).await.unwrap().expect("the created site");
    assert_eq!((site.name.as_str(), site.branch.as_str(), site.runtime.as_str()), ("shop", "main", "process"));
    assert_eq!((site.port_blue, site.port_green, site.releases_to_keep), (3001, 3002, 5));
    assert_eq!((site.domains, site.env_names), (vec!["shop.example.com".to_owned()], vec!["NODE_ENV".to_owned()]));
    assert!(site.has_deploy_key && site.live_colour.is_none() && site.last_deployment_id.is_none());
    assert_eq!(site.created_at, site.webhook_rotated_at);
    assert!(chrono::DateTime::parse_from_rfc3339(&site.created_at).is_ok(), "{}", site.created_at);
    let shown = serde_json::to_string(&read::list_sites(pool).await.unwrap()).unwrap();
    assert!(!shown.contains("secret:"), "no secret reference is shown: {shown}");

    let updated = SiteSpec { branch: "release".into(), deploy_key_secret: None, ..spec("shop") };
    append(db, &Site::stream(shop), &SiteEvent::SiteUpdated { spec: updated }).await;
    append(db, &Site::stream(shop), &SiteEvent::WebhookSecretRotated { webhook_secret: SecretRef::new(gone) }).await;
    catch_up(&runner).await;
    assert!(read::wait_site(pool, shop, 3).await);
    let site = read::site(pool, shop).await.unwrap().unwrap();
    assert_eq!((site.branch.as_str(), site.has_deploy_key), ("release", false));
    assert!(site.webhook_rotated_at > site.created_at && site.updated_at == site.webhook_rotated_at);

    // A deployment to the end: the site's live columns follow its switch.
    let (first, second, rollback) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (c1, c2, r1, r2) = ("a".repeat(40), "b".repeat(40), Uuid::now_v7(), Uuid::now_v7());
    let manual = Trigger::Manual { actor: "user:amira".into() };
    deploy(db, &runner, first, &[requested(first, shop, None, manual)]).await;
    assert!(read::wait_deployment(pool, first).await);
    assert_eq!(read::active_deployment(pool, shop).await.unwrap(), Some((first, None)));
    deploy(db, &runner, first, &[E::DeploymentFetched { commit: c1.clone() }]).await;
    assert_eq!(read::active_deployment(pool, shop).await.unwrap(), Some((first, Some(c1.clone()))));
    let rest = [
        E::DeploymentBuilt { release_id: r1 },
        E::DeploymentStarted { colour: Colour::Blue },
        E::DeploymentHealthPassed {},
        E::DeploymentSwitched { colour: Colour::Blue },
        E::DeploymentDrained {},
        E::DeploymentSucceeded {},
    ];
    deploy(db, &runner, first, &rest).await;
    assert_eq!(read::active_deployment(pool, shop).await.unwrap(), None);
    let done = read::deployment(pool, first).await.unwrap().unwrap();
    assert_eq!(
        (done.status.as_str(), done.trigger_kind.as_str(), done.trigger["actor"].as_str()),
        ("succeeded", "manual", Some("user:amira"))
    );
    assert_eq!((done.commit.as_deref(), done.colour.as_deref()), (Some(c1.as_str()), Some("blue")));
    assert!(done.finished_at.is_some() && done.built_at.is_some() && done.reason.is_none());
    let site = read::site(pool, shop).await.unwrap().unwrap();
    let r1_text = r1.to_string();
    assert_eq!(
        (site.live_colour.as_deref(), site.live_commit.as_deref(), site.live_release_id.as_deref()),
        (Some("blue"), Some(c1.as_str()), Some(r1_text.as_str()))
    );
    assert_eq!((site.last_deployment_id, site.last_status.as_deref()), (Some(first.to_string()), Some("succeeded")));
    let live_since = site.live_since.clone().expect("live since the switch");

    // A failed deployment names its step and reason, and leaves the release that serves alone.
    let push = Trigger::Push { pusher: "amira".into(), delivery_id: "d-1".into(), hook_id: 7 };
    let reason = Message::text("the health path answered 502");
    let facts = [
        requested(second, shop, Some(&c2), push),
        E::DeploymentFetched { commit: c2.clone() },
        E::DeploymentBuilt { release_id: r2 },
        E::DeploymentStarted { colour: Colour::Green },
        E::DeploymentFailed { step: Step::Health, reason: reason.clone(), log_tail: "listening on 3002".into() },
    ];
    deploy(db, &runner, second, &facts).await;
    let failed = read::deployment(pool, second).await.unwrap().unwrap();
    assert_eq!((failed.status.as_str(), failed.failed_step.as_deref()), ("failed", Some("health")));
    assert_eq!(failed.reason.as_deref(), Some("the health path answered 502"));
    assert_eq!((failed.reason_code, failed.reason_message), (Some(reason.code.clone()), Some(reason)));
    assert_eq!(
        (failed.log_tail.as_deref(), failed.requested_commit.as_deref()),
        (Some("listening on 3002"), Some(c2.as_str()))
    );
    let site = read::site(pool, shop).await.unwrap().unwrap();
    assert_eq!(
        (site.live_release_id.as_deref(), site.live_since.as_deref()),
        (Some(r1_text.as_str()), Some(live_since.as_str()))
    );
    assert_eq!((site.last_deployment_id, site.last_status.as_deref()), (Some(second.to_string()), Some("failed")));

    // A rollback serves a release built before, with the commit it was built from.
    let facts = [
        requested(rollback, shop, None, Trigger::Rollback { release_id: r1 }),
        E::DeploymentStarted { colour: Colour::Green },
        E::DeploymentHealthPassed {},
        E::DeploymentSwitched { colour: Colour::Green },
        E::DeploymentDrained {},
        E::DeploymentSucceeded {},
    ];
    deploy(db, &runner, rollback, &facts).await;
    let site = read::site(pool, shop).await.unwrap().unwrap();
    assert_eq!((site.live_colour.as_deref(), site.live_commit.as_deref()), (Some("green"), Some(c1.as_str())));
    assert_eq!(site.live_release_id.as_deref(), Some(r1_text.as_str()));
    let releases = read::releases(pool, shop).await.unwrap();
    let shown: Vec<_> = releases.iter().map(|r| (r.release_id.clone(), r.live, r.commit.clone())).collect();
    assert_eq!(shown, [(r2.to_string(), false, Some(c2.clone())), (r1_text.clone(), true, Some(c1.clone()))]);
    let listed: Vec<_> = read::site_deployments(pool, shop, 10).await.unwrap().into_iter().map(|d| d.id).collect();
    assert_eq!(listed, [rollback.to_string(), second.to_string(), first.to_string()]);
    assert_eq!(read::site_deployments(pool, shop, 1).await.unwrap().len(), 1);

    // A deleted site's row goes; a fact this build cannot read is skipped, and what follows is still applied.
    append(
        db,
        &Site::stream(gone),
        &SiteEvent::SiteCreated { site_id: gone, spec: spec("old"), webhook_secret: SecretRef::new(gone) },
    )
    .await;
    let unknown = NewEvent::new("DeploymentTeleported", json!({"to": "mars"}), Metadata::default());
    db.events.append(&Deployment::stream(Uuid::now_v7()), ExpectedVersion::Any, vec![unknown]).await.unwrap();
    append(db, &Site::stream(gone), &SiteEvent::SiteDeleted {}).await;
    catch_up(&runner).await;
    assert!(read::wait_site_deleted(pool, gone).await);
    assert!(read::site(pool, gone).await.unwrap().is_none());
    let names: Vec<_> = read::list_sites(pool).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["shop"]);
    assert!(read::name_taken(pool, "shop", None).await.unwrap());
    assert!(!read::name_taken(pool, "shop", Some(shop)).await.unwrap());
    assert!(!read::name_taken(pool, "old", None).await.unwrap(), "a deleted site's name is free again");

    // The whole log applied again over the rows changes nothing; a rebuild gives the same rows.
    let before = snapshot(db).await;
    assert_eq!(before.len(), 1 + 3, "one site, three deployments");
    let projection = runner.find("deployments").unwrap();
    let mut conn = pool.acquire().await.unwrap();
    for event in db.events.read_all(0, 10_000, &projection.filter()).await.unwrap() {
        projection.apply(&mut conn, &event).await.unwrap();
    }
    drop(conn);
    assert_eq!(snapshot(db).await, before, "replayed events change nothing");
    runner.rebuild(projection.as_ref()).await.unwrap();
    assert_eq!(snapshot(db).await, before, "a rebuild gives the same rows");
}
