//! How an idle worker looks at its queue again: when messages are announced as pushed (Redis), and in any case
//! every `interval`, with the timer armed again on every wake-up.
//!
//! apalis' `IntervalStrategy` replaces a timer that fired with a new one without polling it. When the fetch that
//! the wake-up started comes back empty in the same poll (a fetch slower than the interval, as under load), no
//! timer is armed any more and only the worker's heartbeat wakes it, 5 s later: measured in `lawha bench jobs`,
//! both workers sat idle for 4-5 s while 5,000 messages waited. Polling the new timer at once, with the waker of
//! the poll that consumed the old one, keeps exactly one timer armed.

use std::{
    future::Future as _,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use apalis::prelude::{PollSnapshot, PollStrategy};
use tokio::{
    sync::{Notify, futures::OwnedNotified},
    time::{Instant, Sleep},
};

/// Wakes the worker when pushes are announced and every `interval` while it is idle.
#[derive(Debug)]
pub(crate) struct Every {
    interval: Duration,
    timer: Pin<Box<Sleep>>,
    /// The queue's push notices, and the wait for the next one.
    pushed: Option<(Arc<Notify>, Pin<Box<OwnedNotified>>)>,
}

impl Every {
    /// Needs a Tokio runtime (the timer is Tokio's). `pushed` stores a wake-up per announced push.
    pub(crate) fn new(interval: Duration, pushed: Option<Arc<Notify>>) -> Self {
        let pushed = pushed.map(|notify| {
            let next = Box::pin(Arc::clone(&notify).notified_owned());
            (notify, next)
        });
        Self { interval, timer: Box::pin(tokio::time::sleep(interval)), pushed }
    }
}

impl PollStrategy for Every {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        let mut woke = false;
        if let Some((notify, next)) = &mut self.pushed
            && next.as_mut().poll(cx).is_ready()
        {
            *next = Box::pin(Arc::clone(notify).notified_owned());
            // Registers this task's waker for the next notice (a notice stored meanwhile is consumed here; the fetch
            // this wake-up starts sees its messages).
            let _ = next.as_mut().poll(cx);
            woke = true;
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            self.timer.as_mut().reset(Instant::now() + self.interval);
            // Registers this task's waker with the new deadline; it cannot be due yet.
            let _ = self.timer.as_mut().poll(cx);
            woke = true;
        }
        if woke { Poll::Ready(Some(())) } else { Poll::Pending }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        },
        task::{Wake, Waker},
    };

    use super::*;

    /// Counts its wake-ups.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_wake_up_taken_arms_the_next_one_without_another_poll() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        let mut every = Every::new(Duration::from_millis(20), None);
        assert!(every.poll_drive(&mut cx, &PollSnapshot::new()).is_pending());
        tokio::time::advance(Duration::from_millis(25)).await;
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "the first interval woke the worker");
        assert!(every.poll_drive(&mut cx, &PollSnapshot::new()).is_ready());
        // Nothing polls the strategy again (the fetch it caused came back empty): the next interval must still
        // wake the worker.
        tokio::time::advance(Duration::from_millis(25)).await;
        assert_eq!(counter.0.load(Ordering::SeqCst), 2, "the next interval did not wake the worker");
    }

    #[tokio::test(start_paused = true)]
    async fn an_announced_push_wakes_the_worker_before_its_interval() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        let notify = Arc::new(Notify::new());
        let mut every = Every::new(Duration::from_secs(10), Some(Arc::clone(&notify)));
        assert!(every.poll_drive(&mut cx, &PollSnapshot::new()).is_pending());
        notify.notify_one();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "the notice did not wake the worker");
        assert!(every.poll_drive(&mut cx, &PollSnapshot::new()).is_ready());
        // A notice that arrives while the worker is busy is kept for its next look, not lost.
        notify.notify_one();
        assert_eq!(counter.0.load(Ordering::SeqCst), 2, "the second notice did not wake the worker");
        assert!(every.poll_drive(&mut cx, &PollSnapshot::new()).is_ready());
        assert!(every.poll_drive(&mut cx, &PollSnapshot::new()).is_pending());
    }
}
