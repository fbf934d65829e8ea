//! The tick loop of a periodic service.
//!
//! Generic over the service type, so each tick is a direct call with no allocation;
//! one timer is reset from tick to tick, the record is locked once per tick, and
//! times are kept as monotonic instants (wall-clock times are worked out when the
//! status is read).

use std::time::Duration;

use tokio::time::Instant;

use super::cell::ServiceCell;
use super::guard::guarded;
use super::tick_record::Due;
use crate::context::Context;
use crate::host::HostShared;
use crate::schedule::{Fire, Schedule, Timer};
use crate::service::Periodic;
use crate::status::Outcome;

/// How far the system clock may lag a cron fire before the loop sleeps again.
const WALL_CLOCK_SLACK: Duration = Duration::from_millis(5);

/// Ticks on `schedule` until `cx` is cancelled. Ticks never overlap.
pub(crate) async fn tick_loop<S: Periodic>(
    host: &HostShared,
    cell: &ServiceCell,
    cx: &Context,
    service: &S,
    schedule: Schedule,
) {
    let mut timer = Timer::start(schedule, host.clock.clone());
    let Some(mut fire) = timer.next_fire(Instant::now()) else {
        return idle(cell, cx).await;
    };
    cell.record().runs.get_or_insert_with(Box::default).next_run = Some(due(&fire));
    let sleep = tokio::time::sleep_until(fire.at);
    tokio::pin!(sleep);
    loop {
        if cx.run_until_cancelled(sleep.as_mut()).await.is_none() {
            return;
        }
        if let Some(wall) = fire.wall {
            // The system clock may have been set back while we slept: cron means wall time.
            while timer.clock().now() + WALL_CLOCK_SLACK < wall {
                sleep.as_mut().reset(timer.clock().instant_at(wall));
                if cx.run_until_cancelled(sleep.as_mut()).await.is_none() {
                    return;
                }
            }
        }
        let began = Instant::now();
        let result = guarded(service.tick(cx)).await;
        let ended = Instant::now();
        // A stop during the tick is noticed by the next wait, which returns at once.
        let next = timer.next_fire(ended);
        record_tick(cell, result, began, ended - began, next.as_ref());
        let Some(next) = next else {
            return idle(cell, cx).await;
        };
        if next.skipped > 0 {
            tracing::warn!(service = %cell.name, skipped = next.skipped, "a tick overran; skipped the fires it missed");
        }
        sleep.as_mut().reset(next.at);
        fire = next;
    }
}

/// Records one tick's outcome and the next fire, under one lock.
fn record_tick(
    cell: &ServiceCell,
    result: Result<(), String>,
    began: Instant,
    took: Duration,
    next: Option<&Fire>,
) {
    if let Err(error) = &result {
        tracing::warn!(service = %cell.name, %error, "tick failed");
    }
    let mut record = cell.record();
    let runs = record.runs.get_or_insert_with(Box::default);
    runs.last_run = Some(began);
    runs.last_duration = Some(took);
    if let Some(next) = next {
        runs.next_run = Some(due(next));
        runs.skipped += next.skipped;
    }
    match result {
        Ok(()) => {
            runs.succeeded += 1;
            runs.last_outcome = Some(Outcome::Success);
            runs.last_error = None;
        }
        Err(error) => {
            runs.failed += 1;
            runs.last_outcome = Some(Outcome::Failure);
            runs.last_error = Some(error.clone());
            record.last_error = Some(error);
        }
    }
}

fn due(fire: &Fire) -> Due {
    fire.wall.map_or(Due::At(fire.at), Due::Wall)
}

/// A schedule with no further fires: stay running until asked to stop.
async fn idle(cell: &ServiceCell, cx: &Context) {
    tracing::info!(service = %cell.name, "schedule has no further fires");
    if let Some(runs) = cell.record().runs.as_mut() {
        runs.next_run = None;
    }
    cx.cancelled().await;
}
