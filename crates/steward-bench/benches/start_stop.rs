//! Criterion micro-benchmark: start 1,000 idle continuous services, wait until all
//! run, shut them down — Steward against the floor (tokio tasks on child
//! cancellation tokens). The `steward-bench` binary has the full side-by-side tables.
//!
//! ```text
//! cargo bench -p steward-bench --bench start_stop
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use steward::{Context, Continuous, Host, continuous};
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const SERVICES: usize = 1_000;

/// Counts arrivals; wakes the waiter when all have come.
struct Started {
    count: AtomicUsize,
    all: Notify,
}

impl Started {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            count: AtomicUsize::new(0),
            all: Notify::new(),
        })
    }

    fn arrive(&self) {
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == SERVICES {
            self.all.notify_one();
        }
    }
}

struct Idle(Arc<Started>);

impl Continuous for Idle {
    async fn run(&self, cx: &Context) -> steward::Result {
        self.0.arrive();
        cx.cancelled().await;
        Ok(())
    }
}

async fn steward_round() {
    let started = Started::new();
    let defs = (0..SERVICES).map(|index| continuous(format!("svc-{index}"), Idle(started.clone())));
    let host = match Host::builder().env_prefix(None).services(defs).build() {
        Ok(host) => host,
        Err(error) => panic!("building the host: {error}"),
    };
    let running = match host.start().await {
        Ok(running) => running,
        Err(error) => panic!("starting the host: {error}"),
    };
    started.all.notified().await;
    let report = running.shutdown().await;
    assert_eq!(report.stopped.len(), SERVICES);
}

async fn floor_round() {
    let started = Started::new();
    let tracker = TaskTracker::new();
    let root = CancellationToken::new();
    for _ in 0..SERVICES {
        let started = started.clone();
        let token = root.child_token();
        tracker.spawn(async move {
            started.arrive();
            token.cancelled().await;
        });
    }
    started.all.notified().await;
    root.cancel();
    tracker.close();
    tracker.wait().await;
}

fn start_stop(c: &mut Criterion) {
    let runtime = match Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => panic!("building a runtime: {error}"),
    };
    let mut group = c.benchmark_group("start_stop_1000_services");
    group.bench_function("steward", |b| b.iter(|| runtime.block_on(steward_round())));
    group.bench_function("floor", |b| b.iter(|| runtime.block_on(floor_round())));
    group.finish();
}

criterion_group!(benches, start_stop);
criterion_main!(benches);
