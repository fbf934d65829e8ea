//! Knowing when every service has started, without polling, and starting
//! schedules together.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::Instant;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Counts services as they start; [`wait`](Self::wait) completes once all have.
///
/// Each service pays one atomic increment; the last one wakes the waiter.
#[derive(Debug)]
pub(crate) struct Started {
    count: AtomicUsize,
    expected: usize,
    all: Notify,
}

impl Started {
    pub(crate) fn new(expected: usize) -> Arc<Self> {
        Arc::new(Self {
            count: AtomicUsize::new(0),
            expected,
            all: Notify::new(),
        })
    }

    /// One more service has started.
    pub(crate) fn arrive(&self) {
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.expected {
            // Stores a permit if the waiter is not waiting yet.
            self.all.notify_one();
        }
    }

    /// Completes once `expected` services have arrived.
    pub(crate) async fn wait(&self) {
        self.all.notified().await;
    }
}

/// Holds services at their start until all have arrived, then lets them through
/// together, so that every subject's schedules begin in the same tight burst (the
/// hardest case: every service due at the same instant).
#[derive(Debug)]
pub(crate) struct Gate {
    arrived: Arc<Started>,
    begun: Arc<Started>,
    open: CancellationToken,
}

impl Gate {
    pub(crate) fn new(expected: usize) -> Arc<Self> {
        Arc::new(Self {
            arrived: Started::new(expected),
            begun: Started::new(expected),
            open: CancellationToken::new(),
        })
    }

    /// Arrives at the gate and waits until it opens.
    pub(crate) async fn pass(&self) {
        self.arrived.arrive();
        self.open.cancelled().await;
    }

    /// Says that this service's schedule has begun.
    pub(crate) fn begun(&self) {
        self.begun.arrive();
    }

    /// Waits until every service is at the gate, opens it, and waits until every
    /// schedule has begun. Returns when the gate opened.
    pub(crate) async fn open(&self) -> Instant {
        self.arrived.wait().await;
        let opened = Instant::now();
        self.open.cancel();
        self.begun.wait().await;
        opened
    }
}
