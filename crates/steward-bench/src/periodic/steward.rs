//! Steward: one periodic service per service, `Schedule::every(period)`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::ensure;
use steward::{Context, Host, Periodic, Schedule, periodic};

use super::Ticks;
use super::record::{self, Recorder};
use crate::cpu;
use crate::probe::Gate;

/// Waits at the gate in its `start` hook, then records when its schedule begins
/// (the host starts the schedule's timer as soon as `start` returns, in the same
/// poll) and when each tick runs.
struct Ticker {
    period: Duration,
    gate: Arc<Gate>,
    ticks: Arc<Recorder<Instant>>,
}

impl Periodic for Ticker {
    fn schedule(&self) -> Schedule {
        Schedule::every(self.period)
    }

    async fn start(&self, _cx: &Context) -> steward::Result {
        self.gate.pass().await;
        self.ticks.begin(Instant::now());
        self.gate.begun();
        Ok(())
    }

    async fn tick(&self, _cx: &Context) -> steward::Result {
        self.ticks.tick(Instant::now());
        Ok(())
    }
}

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
    let defs = recorders.iter().enumerate().map(|(index, ticks)| {
        let ticker = Ticker {
            period,
            gate: gate.clone(),
            ticks: ticks.clone(),
        };
        periodic(format!("svc-{index}"), ticker)
    });
    let host = Host::builder().env_prefix(None).services(defs).build()?;
    let running = host.start().await?;
    let setup = gate.open().await - began;
    tokio::time::sleep_until((Instant::now() + duration + period).into()).await;
    let report = running.shutdown().await;
    let cpu = cpu::used()? - cpu_before;
    ensure!(
        report.stopped.len() == services,
        "steward stopped {} of {services} services",
        report.stopped.len()
    );
    Ok(Ticks {
        setup,
        spread: Some(record::origin_spread(&recorders)),
        cpu,
        period,
        series: record::from_origins(&recorders, period, duration)?,
    })
}
