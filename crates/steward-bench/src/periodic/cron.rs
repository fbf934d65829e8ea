//! tokio-cron-scheduler at its finest schedule: a six-field cron firing every
//! second (`*/1 * * * * *`), one job per service.
//!
//! Its fires are whole seconds of the wall clock, so ticks are recorded as wall
//! time and the grid's origin is the Unix epoch; the window is the whole seconds
//! in the `duration` after the scheduler has started.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_cron_scheduler::{Job, JobScheduler};

use super::record::{Recorder, Series};
use super::{CRON_PERIOD, Ticks};
use crate::cpu;

const EVERY_SECOND: &str = "*/1 * * * * *";

pub(super) async fn run(services: usize, duration: Duration) -> anyhow::Result<Ticks> {
    let cpu_before = cpu::used()?;
    let began = Instant::now();
    let capacity = duration.as_secs() as usize + 4;
    let recorders: Vec<_> = (0..services).map(|_| Recorder::new(capacity)).collect();
    let mut scheduler = JobScheduler::new().await?;
    for ticks in &recorders {
        let ticks = ticks.clone();
        let job = Job::new_async(EVERY_SECOND, move |_, _| {
            ticks.tick(SystemTime::now());
            Box::pin(async {})
        })?;
        scheduler.add(job).await?;
    }
    scheduler.start().await?;
    let window_start = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let setup = began.elapsed();
    tokio::time::sleep(duration + CRON_PERIOD).await;
    scheduler.shutdown().await?;
    let cpu = cpu::used()? - cpu_before;

    let first = window_start.as_secs() + 1;
    let last = (window_start + duration).as_secs();
    let series = recorders
        .iter()
        .map(|recorder| Series {
            offsets: recorder
                .take()
                .into_iter()
                .map(|at| at.duration_since(UNIX_EPOCH).unwrap_or_default())
                .collect(),
            first,
            last,
        })
        .collect();
    Ok(Ticks {
        setup,
        spread: None,
        cpu,
        period: CRON_PERIOD,
        series,
    })
}
