//! The floor: a tokio task per service with `tokio::time::interval`, skipping
//! missed ticks as Steward does, stopped by a child cancellation token.

use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Ticks;
use super::record::{self, Recorder};
use crate::cpu;
use crate::probe::Gate;

pub(super) async fn run(
    services: usize,
    period: Duration,
    duration: Duration,
) -> anyhow::Result<Ticks> {
    let cpu_before = cpu::used()?;
    let began = Instant::now();
    let gate = Gate::new(services);
    let capacity = (duration.as_nanos() / period.as_nanos()) as usize + 4;
    let recorders: Vec<_> = (0..services).map(|_| Recorder::new(capacity)).collect();
    let tracker = TaskTracker::new();
    let root = CancellationToken::new();
    for ticks in &recorders {
        let ticks = ticks.clone();
        let gate = gate.clone();
        let token = root.child_token();
        tracker.spawn(async move {
            gate.pass().await;
            let origin = Instant::now();
            ticks.begin(origin);
            gate.begun();
            let mut interval = tokio::time::interval_at((origin + period).into(), period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
            while token.run_until_cancelled(interval.tick()).await.is_some() {
                ticks.tick(Instant::now());
            }
        });
    }
    let setup = gate.open().await - began;
    tokio::time::sleep_until((Instant::now() + duration + period).into()).await;
    root.cancel();
    tracker.close();
    tracker.wait().await;
    let cpu = cpu::used()? - cpu_before;
    Ok(Ticks {
        setup,
        spread: Some(record::origin_spread(&recorders)),
        cpu,
        period,
        series: record::from_origins(&recorders, period, duration)?,
    })
}
