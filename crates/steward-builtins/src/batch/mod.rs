//! `kind = "batch-aggregator"`: group another service's events into batches.
//!
//! It listens to `source` (`SERVICE:EVENT`) without ever dropping an event: when
//! it falls behind, the source waits. Events are grouped by `key`, filled from
//! each event's fields (`{dir}`: one batch per camera folder). A batch closes
//! when its `window` is up, when no event joined it for `idle_timeout` (both
//! checked every `check_interval`), or at once when it holds `max_size` events;
//! it is then emitted as [`BatchClosed`] (`batch.closed`). The source starts once
//! the aggregator is running and stops before it, so that its first and last
//! events are batched; when the aggregator stops, it closes every open batch.
//!
//! ```toml
//! [services.batcher]
//! kind = "batch-aggregator"
//! settings = { source = "watcher:file.created", key = "{dir}", window = "90s", idle_timeout = "30s", max_size = 100, check_interval = "5s" }
//! ```

mod batches;
mod events;
mod metrics;
mod settings;

use crate::source::Subscription;
use std::future::Future as _;
use std::task::Poll;
use std::time::Duration;

use steward::{Context, Continuous, Emitted, EventStream, ServiceDef};
use tokio::time::{Instant, MissedTickBehavior};

pub use events::{BatchClosed, CloseReason};
pub use settings::{BatchSettings, EventSource, KeyTemplate};

use batches::{Batches, Limits};
use metrics::BatchMetrics;

/// How many of the source's events may wait before it is held back.
const BUFFER: usize = 4096;

/// Groups a source's events into batches.
#[derive(Debug)]
pub struct BatchAggregator {
    settings: BatchSettings,
    /// Subscribed in `start`, so that the source's first event is seen.
    events: Subscription,
}

impl BatchAggregator {
    /// An aggregator with these settings.
    pub fn new(settings: BatchSettings) -> Self {
        Self {
            settings,
            events: Subscription::default(),
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            window: self.settings.window,
            idle_timeout: self.settings.idle_timeout,
            max_size: self.settings.max_size,
        }
    }
}

/// The definition of a `batch-aggregator` service called `name`.
pub fn define(name: &str) -> ServiceDef {
    steward::continuous_with(name, BatchAggregator::new).emits::<BatchClosed>()
}

impl Continuous for BatchAggregator {
    async fn start(&self, cx: &Context) -> steward::Result {
        self.events.open(cx, &self.settings.source, BUFFER).await
    }

    async fn run(&self, cx: &Context) -> steward::Result {
        let Some(mut events) = self.events.take() else {
            return Err("started without its subscription".into());
        };
        let metrics = BatchMetrics::new(cx.metrics(), cx.name());
        let mut batches = Batches::new(self.limits());
        let mut checks = tokio::time::interval(self.settings.check_interval);
        checks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Made once: a fresh one per event would join and leave the token's
        // waiters each time.
        let cancelled = cx.cancelled();
        tokio::pin!(cancelled);
        loop {
            tokio::select! {
                biased;
                () = &mut cancelled => break,
                // Before the events: a source that never pauses must not hold
                // window and idle closes back.
                _ = checks.tick() => {
                    for batch in batches.due(Instant::now(), cx.now()) {
                        emit(cx, &metrics, batch).await;
                    }
                }
                event = events.recv() => {
                    let Some(event) = event else { break };
                    // One reading of the clock for the events taken in one go:
                    // they all arrived by now. A closed batch's emit may wait on
                    // a lossless subscriber, so the clock is read again after one.
                    let mut now = Instant::now();
                    let mut closed = self.add(cx, &metrics, &mut batches, event, now).await;
                    // Then those already waiting, without going round the select.
                    while let Some(Some(event)) = waiting(&mut events) {
                        if closed {
                            now = Instant::now();
                        }
                        closed = self.add(cx, &metrics, &mut batches, event, now).await;
                    }
                }
            }
            metrics.depth(batches.depth());
        }
        // The source has stopped by now: what it emitted last is waiting here.
        while let Ok(Some(event)) = tokio::time::timeout(Duration::ZERO, events.recv()).await {
            self.add(cx, &metrics, &mut batches, event, Instant::now())
                .await;
        }
        for batch in batches.flush(cx.now()) {
            emit(cx, &metrics, batch).await;
        }
        metrics.depth(batches.depth());
        Ok(())
    }

    fn listens_to(&self) -> Vec<String> {
        vec![self.settings.source.service.clone()]
    }
}

impl BatchAggregator {
    async fn add(
        &self,
        cx: &Context,
        metrics: &BatchMetrics,
        batches: &mut Batches,
        event: Emitted,
        now: Instant,
    ) -> bool {
        // The aggregator is usually the event's only holder by now: its value
        // moves into the batch rather than being copied.
        let item = event.into_json();
        let Some(batch) = batches.add(&self.settings.key, item, now, || cx.now()) else {
            return false;
        };
        emit(cx, metrics, batch).await;
        true
    }
}

/// The next event if one is already waiting (`Some(None)`: the stream ended);
/// `None` rather than waiting for one. The caller waits in its `select!`, which
/// registers the task's own waker.
fn waiting(events: &mut EventStream<Emitted>) -> Option<Option<Emitted>> {
    let next = std::pin::pin!(events.recv());
    match next.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        Poll::Ready(event) => Some(event),
        Poll::Pending => None,
    }
}

async fn emit(cx: &Context, metrics: &BatchMetrics, batch: BatchClosed) {
    metrics.closed(batch.size);
    tracing::info!(key = %batch.key, size = batch.size, reason = ?batch.reason, "batch closed");
    if let Err(error) = cx.emit(batch).await {
        tracing::warn!(%error, "could not emit a closed batch");
    }
}
