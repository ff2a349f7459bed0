//! The projection runner's contract on both backends: every event applied exactly once, in batches that commit
//! with their checkpoint, whether one projection is stepped (the CLI, rebuilds) or every projection is fed by the
//! live loop of `lawha serve`, and whatever other runners do at the same time.

mod common;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use async_trait::async_trait;
use common::{append, bounded, read_everything, store, stream};
use lawha_domain::{ExpectedVersion, RecordedEvent};
use lawha_store::{
    Database, EventFilter, Projection, ProjectionRunner,
    testkit::{TestDb, event},
};
use serde_json::json;
use sqlx::{AnyConnection, AssertSqlSafe};
use tokio_util::sync::CancellationToken;

lawha_store::on_both_backends!(
    catch_up_applies_every_event_exactly_once,
    a_runner_stopped_between_batches_resumes_without_loss_or_duplication,
    rebuild_replays_the_log_into_identical_rows,
    concurrent_runners_never_double_count,
    the_live_loop_feeds_every_projection_each_of_its_events_once,
    a_projection_rebuilt_while_the_live_loop_runs_ends_up_like_the_others,
);

/// Counts events per stream category: not idempotent on its own, so any replayed or lost event shows.
#[derive(Debug)]
struct CategoryCounts;

#[async_trait]
impl Projection for CategoryCounts {
    fn name(&self) -> &'static str {
        "test_counts"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["test_counts"]
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO test_counts (category, n) VALUES ($1, 1) \
             ON CONFLICT (category) DO UPDATE SET n = test_counts.n + 1",
        )
        .bind(event.stream.category())
        .execute(tx)
        .await?;
        Ok(())
    }
}

const BATCH: u32 = 7;

/// Creates the projection's table and returns a runner over it with batches of [`BATCH`].
async fn counting_runner(t: &TestDb) -> ProjectionRunner {
    sqlx::query("CREATE TABLE IF NOT EXISTS test_counts (category TEXT PRIMARY KEY, n BIGINT NOT NULL)")
        .execute(&t.db.read_models)
        .await
        .expect("creating test_counts");
    runner(t)
}

fn runner(t: &TestDb) -> ProjectionRunner {
    ProjectionRunner::new(t.db.clone(), vec![Arc::new(CategoryCounts)], BATCH, Duration::from_millis(50))
}

/// Appends `n` events over three categories, some appends carrying several events; returns the counts.
async fn seed(t: &TestDb, n: usize) -> BTreeMap<String, i64> {
    let streams = [stream("backup_plan"), stream("site"), stream("user"), stream("site")];
    let mut written = 0;
    let mut i = 0;
    while written < n {
        let size = (i % 3 + 1).min(n - written);
        let events = (0..size).map(|k| event("Counted", json!({"i": i, "k": k}))).collect();
        append(t, &streams[i % streams.len()], ExpectedVersion::Any, events).await;
        written += size;
        i += 1;
    }
    totals(t).await
}

/// What the projection should hold: events per category in the log.
async fn totals(t: &TestDb) -> BTreeMap<String, i64> {
    upto(t, i64::MAX).await
}

async fn upto(t: &TestDb, position: i64) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for e in read_everything(t.db.events.as_ref()).await.iter().filter(|e| e.position <= position) {
        *counts.entry(e.stream.category().to_owned()).or_insert(0) += 1;
    }
    counts
}

async fn counts(t: &TestDb) -> BTreeMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>("SELECT category, n FROM test_counts ORDER BY category")
        .fetch_all(&t.db.read_models)
        .await
        .expect("reading test_counts")
        .into_iter()
        .collect()
}

async fn catch_up_applies_every_event_exactly_once(t: TestDb) {
    let runner = counting_runner(&t).await;
    assert_eq!(runner.catch_up(&CategoryCounts).await.expect("catch_up on an empty log"), 0);
    let expected = seed(&t, 50).await;
    assert_eq!(expected.values().sum::<i64>(), 50);
    assert_eq!(runner.catch_up(&CategoryCounts).await.expect("catch_up"), 50);
    assert_eq!(counts(&t).await, expected);
    assert_eq!(runner.checkpoint("test_counts").await.expect("checkpoint"), 50);
    assert_eq!(runner.catch_up(&CategoryCounts).await.expect("a second catch_up"), 0, "events applied twice");
    assert_eq!(counts(&t).await, expected);

    let expected = seed(&t, 12).await;
    assert_eq!(runner.catch_up(&CategoryCounts).await.expect("catch_up after more appends"), 12);
    assert_eq!(counts(&t).await, expected);
    assert_eq!(runner.checkpoint("test_counts").await.expect("checkpoint"), t.db.events.head().await.expect("head"));
}

async fn a_runner_stopped_between_batches_resumes_without_loss_or_duplication(t: TestDb) {
    let expected = seed(&t, 50).await;
    let first = counting_runner(&t).await;
    for batch in 1..=3 {
        assert_eq!(first.step(&CategoryCounts).await.expect("step"), 7);
        assert_eq!(first.checkpoint("test_counts").await.expect("checkpoint"), 7 * batch);
    }
    assert_eq!(counts(&t).await, upto(&t, 21).await, "the read model and the checkpoint disagree");
    drop(first);

    let second = runner(&t);
    assert_eq!(second.catch_up(&CategoryCounts).await.expect("catch_up"), 29);
    assert_eq!(counts(&t).await, expected);
    let head = t.db.events.head().await.expect("head");
    assert_eq!(second.checkpoint("test_counts").await.expect("checkpoint"), head);
}

async fn rebuild_replays_the_log_into_identical_rows(t: TestDb) {
    let expected = seed(&t, 50).await;
    let runner = counting_runner(&t).await;
    runner.catch_up(&CategoryCounts).await.expect("catch_up");
    let before = counts(&t).await;
    assert_eq!(before, expected);
    // Read models are disposable: damage them, then rebuild from the log.
    sqlx::query("UPDATE test_counts SET n = n + 1000").execute(&t.db.read_models).await.expect("damaging");
    sqlx::query("INSERT INTO test_counts (category, n) VALUES ('ghost', 1)")
        .execute(&t.db.read_models)
        .await
        .expect("damaging");
    assert_eq!(runner.rebuild(&CategoryCounts).await.expect("rebuild"), 50);
    assert_eq!(counts(&t).await, before);
    assert_eq!(runner.checkpoint("test_counts").await.expect("checkpoint"), 50);
    assert_eq!(runner.rebuild(&CategoryCounts).await.expect("a second rebuild"), 50);
    assert_eq!(counts(&t).await, before);
}

async fn concurrent_runners_never_double_count(t: TestDb) {
    const RUNNERS: usize = 3;
    const EVENTS: usize = 300;
    counting_runner(&t).await;
    seed(&t, 40).await;
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runners: Vec<_> = (0..RUNNERS)
        .map(|_| {
            let (runner, finished, db) = (runner(&t), Arc::clone(&finished), t.db.clone());
            tokio::spawn(async move {
                let mut applied = 0usize;
                let mut lost_races = 0usize;
                loop {
                    let writers_done = finished.load(std::sync::atomic::Ordering::SeqCst);
                    let n = runner.step(&CategoryCounts).await.expect("step");
                    applied += n;
                    if n == 0 {
                        let head = db.events.head().await.expect("head");
                        if writers_done && runner.checkpoint("test_counts").await.expect("checkpoint") == head {
                            return (applied, lost_races);
                        }
                        lost_races += 1;
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    // Keep appending while the runners race, so batches keep overlapping.
    let writer = {
        let (store, finished) = (store(&t), Arc::clone(&finished));
        let streams = [stream("backup_plan"), stream("site"), stream("user")];
        tokio::spawn(async move {
            for i in 0..EVENTS - 40 {
                let e = event("Counted", json!({"i": i}));
                store.append(&streams[i % 3], ExpectedVersion::Any, vec![e]).await.expect("append");
            }
            finished.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    bounded("the writer", writer).await.expect("the writer panicked");
    let (mut applied, mut idle) = (0, 0);
    for runner in runners {
        let (n, lost) = bounded("a runner", runner).await.expect("a runner panicked");
        applied += n;
        idle += lost;
    }
    eprintln!("{RUNNERS} runners applied {applied} events; {idle} steps found nothing to do or lost the race");
    assert_eq!(applied, EVENTS, "the runners together applied {applied} events of {EVENTS}");
    assert_eq!(counts(&t).await, totals(&t).await, "an event was counted twice or never");
    assert_eq!(runner(&t).checkpoint("test_counts").await.expect("checkpoint"), i64::try_from(EVENTS).expect("small"));
}

/// Counts the events that pass its filter per stream category, in a table of its own; like [`CategoryCounts`]
/// not idempotent, so the live loop's mistakes show.
#[derive(Debug)]
struct Filtered {
    name: &'static str,
    filter: EventFilter,
}

#[async_trait]
impl Projection for Filtered {
    fn name(&self) -> &'static str {
        self.name
    }

    fn tables(&self) -> &'static [&'static str] {
        // The table shares the projection's name.
        match self.name {
            "test_sites" => &["test_sites"],
            _ => &["test_touched"],
        }
    }

    fn filter(&self) -> EventFilter {
        self.filter.clone()
    }

    async fn apply(&self, tx: &mut AnyConnection, event: &RecordedEvent) -> Result<(), sqlx::Error> {
        assert!(self.filter.matches(event), "{} was given an event its filter refuses", self.name);
        let sql = format!(
            "INSERT INTO {0} (category, n) VALUES ($1, 1) ON CONFLICT (category) DO UPDATE SET n = {0}.n + 1",
            self.name
        );
        sqlx::query(AssertSqlSafe(sql)).bind(event.stream.category()).execute(tx).await?;
        Ok(())
    }
}

/// Three projections: every event, one stream category, one event type.
async fn three_projections(t: &TestDb) -> Vec<Arc<dyn Projection>> {
    counting_runner(t).await;
    for table in ["test_sites", "test_touched"] {
        sqlx::query(AssertSqlSafe(format!("CREATE TABLE {table} (category TEXT PRIMARY KEY, n BIGINT NOT NULL)")))
            .execute(&t.db.read_models)
            .await
            .expect("creating a projection's table");
    }
    vec![
        Arc::new(CategoryCounts),
        Arc::new(Filtered { name: "test_sites", filter: EventFilter::categories(["site"]) }),
        Arc::new(Filtered { name: "test_touched", filter: EventFilter::types(["Touched"]) }),
    ]
}

/// What a projection over `filter` should hold: matching events per category.
async fn expected(t: &TestDb, filter: &EventFilter) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for e in read_everything(t.db.events.as_ref()).await.iter().filter(|e| filter.matches(e)) {
        *counts.entry(e.stream.category().to_owned()).or_insert(0) += 1;
    }
    counts
}

async fn table(t: &TestDb, name: &str) -> BTreeMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(format!("SELECT category, n FROM {name} ORDER BY category")))
        .fetch_all(&t.db.read_models)
        .await
        .unwrap_or_else(|e| panic!("reading {name}: {e}"))
        .into_iter()
        .collect()
}

/// Appends `n` events over three categories and two types, one append at a time.
async fn touch(db: &Database, n: usize) {
    let streams = [stream("site"), stream("user"), stream("backup_plan")];
    for i in 0..n {
        let kind = if i % 2 == 0 { "Touched" } else { "Counted" };
        let s = &streams[i % 3];
        db.events.append(s, ExpectedVersion::Any, vec![event(kind, json!({"i": i}))]).await.expect("append");
    }
}

/// Waits until every projection's table holds what its filter should give, then until every checkpoint is at the
/// head once the loops are stopped (they write positions moved in memory when they stop).
async fn settled(
    t: &TestDb,
    projections: &[Arc<dyn Projection>],
    stop: CancellationToken,
    loops: Vec<tokio::task::JoinHandle<()>>,
) {
    for p in projections {
        let name = p.name();
        let want = expected(t, &p.filter()).await;
        bounded(&format!("projection {name}"), async {
            while table(t, name).await != want {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }
    stop.cancel();
    for running in loops {
        bounded("a live loop stopping", running).await.expect("a live loop panicked");
    }
    let head = t.db.events.head().await.expect("head");
    for p in projections {
        let at = runner(t).checkpoint(p.name()).await.expect("checkpoint");
        assert_eq!(at, head, "the checkpoint of {} is not at the head once its loop stopped", p.name());
    }
}

async fn the_live_loop_feeds_every_projection_each_of_its_events_once(t: TestDb) {
    let projections = three_projections(&t).await;
    touch(&t.db, 40).await;
    let stop = CancellationToken::new();
    // Two loops at once stand for two replicas of the panel: they race for every batch.
    let loops = (0..2)
        .map(|_| {
            let runner = ProjectionRunner::new(t.db.clone(), projections.clone(), BATCH, Duration::from_millis(50));
            tokio::spawn(runner.run(stop.clone()))
        })
        .collect();
    touch(&t.db, 260).await;
    settled(&t, &projections, stop, loops).await;
    for p in &projections {
        assert_eq!(table(&t, p.name()).await, expected(&t, &p.filter()).await, "{} counted an event twice", p.name());
    }
}

async fn a_projection_rebuilt_while_the_live_loop_runs_ends_up_like_the_others(t: TestDb) {
    let projections = three_projections(&t).await;
    touch(&t.db, 120).await;
    let stop = CancellationToken::new();
    let runner = ProjectionRunner::new(t.db.clone(), projections.clone(), BATCH, Duration::from_millis(50));
    let loops = vec![tokio::spawn(runner.clone().run(stop.clone()))];
    let writer = {
        let db = t.db.clone();
        tokio::spawn(async move { touch(&db, 120).await })
    };
    // The live loop is past the start by now; a rebuild sends one projection back to position 0.
    tokio::time::sleep(Duration::from_millis(100)).await;
    runner.rebuild(projections[1].as_ref()).await.expect("rebuild");
    bounded("the writer", writer).await.expect("the writer panicked");
    settled(&t, &projections, stop, loops).await;
}
