//! Failures the scheduler rides out: an append that fails is retried on the next tick, and a source that fails
//! leaves the schedules it listed before in force. The test doubles that fail on purpose are here too.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use async_trait::async_trait;
use lawha_domain::{ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use lawha_jobs::schedule::{ManualClock, Schedule, ScheduleSource, Scheduler};
use lawha_store::{AppendError, Appended, EventFilter, EventStore, RawEvent, StoreError, testkit::TestDb};
use tokio::sync::watch;

use super::support::{june, schedule, scheduler, slots_of};

pub async fn a_failed_append_is_retried_on_the_next_tick(t: TestDb) {
    // Arrange: a store whose next two appends fail.
    let flaky = Arc::new(FlakyStore { inner: Arc::clone(&t.db.events), failures_left: AtomicUsize::new(2) });
    let store: Arc<dyn EventStore> = flaky.clone();
    let hourly = schedule("hourly", "0 * * * *", "UTC", june(9, 0, 0));
    let clock = Arc::new(ManualClock::new(june(14, 0, 10)));
    let mut scheduler = scheduler(&store, vec![hourly.clone()], &clock);

    // Act
    let first = scheduler.pass().await;
    let second = scheduler.pass().await;
    let third = scheduler.pass().await;

    // Assert: the slot is neither lost nor doubled.
    assert_eq!((first.failed.len(), second.failed.len()), (1, 1));
    assert_eq!(third.fired.len(), 1, "{third:?}");
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(14, 0, 0)]);
}

pub async fn a_failing_source_keeps_the_schedules_it_listed_before(t: TestDb) {
    // Arrange
    let hourly = schedule("hourly", "0 * * * *", "UTC", june(9, 0, 0));
    let source = Arc::new(SwitchableSource { schedules: vec![hourly.clone()], failing: AtomicBool::new(false) });
    let clock = Arc::new(ManualClock::new(june(14, 0, 10)));
    let mut scheduler = Scheduler::new(Arc::clone(&t.db.events), source.clone()).with_clock(Arc::clone(&clock) as _);
    scheduler.pass().await;

    // Act: the source fails from now on.
    source.failing.store(true, Ordering::SeqCst);
    clock.set(june(15, 0, 10));
    let pass = scheduler.pass().await;

    // Assert
    assert_eq!(pass.fired.len(), 1, "{pass:?}");
    assert_eq!(slots_of(t.db.events.as_ref(), &hourly).await, [june(14, 0, 0), june(15, 0, 0)]);
}

/// A store whose first appends fail as if the database were away; everything else passes through.
#[derive(Debug)]
struct FlakyStore {
    inner: Arc<dyn EventStore>,
    failures_left: AtomicUsize,
}

#[async_trait]
impl EventStore for FlakyStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError> {
        let failing = self.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(AppendError::Store(StoreError::Closed));
        }
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(&self, stream: &StreamId, after: i64, limit: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream, after, limit).await
    }

    async fn read_all(&self, after: i64, limit: i64, filter: &EventFilter) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after, limit, filter).await
    }

    async fn read_raw(&self, after: i64, limit: i64) -> Result<Vec<RawEvent>, StoreError> {
        self.inner.read_raw(after, limit).await
    }

    async fn chain_head(&self) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        self.inner.chain_head().await
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<i64, StoreError> {
        self.inner.stream_version(stream).await
    }

    async fn head(&self) -> Result<i64, StoreError> {
        self.inner.head().await
    }

    fn wakeups(&self) -> watch::Receiver<i64> {
        self.inner.wakeups()
    }
}

/// A source that lists fixed schedules until told to fail.
#[derive(Debug)]
struct SwitchableSource {
    schedules: Vec<Schedule>,
    failing: AtomicBool,
}

#[async_trait]
impl ScheduleSource for SwitchableSource {
    async fn schedules(&self) -> anyhow::Result<Vec<Schedule>> {
        if self.failing.load(Ordering::SeqCst) {
            anyhow::bail!("the backup plans read model is unreachable");
        }
        Ok(self.schedules.clone())
    }
}
