//! The tick loop of a periodic service.

use std::time::Duration;

use tokio::time::Instant;

use super::cell::ServiceCell;
use super::guard::guarded;
use crate::context::Context;
use crate::host::HostShared;
use crate::schedule::{Schedule, Timer};
use crate::service::ErasedPeriodic;
use crate::status::Outcome;

/// How far the system clock may lag a cron fire before the loop sleeps again.
const WALL_CLOCK_SLACK: Duration = Duration::from_millis(5);

/// Ticks on `schedule` until `cx` is cancelled. Ticks never overlap.
pub(super) async fn tick_loop(
    host: &HostShared,
    cell: &ServiceCell,
    cx: &Context,
    service: &dyn ErasedPeriodic,
    schedule: Schedule,
) {
    let is_cron = schedule.as_cron().is_some();
    let mut timer = Timer::start(schedule, host.clock.clone());
    while let Some(fire) = timer.next_fire() {
        {
            let mut record = cell.record();
            record.runs.next_run = Some(fire.wall);
            record.runs.skipped += fire.skipped;
        }
        if fire.skipped > 0 {
            tracing::warn!(service = %cell.name, skipped = fire.skipped, "a tick overran; skipped the fires it missed");
        }
        if cx
            .run_until_cancelled(tokio::time::sleep_until(fire.at))
            .await
            .is_none()
        {
            return;
        }
        // The system clock may have been set back while we slept: cron means wall time.
        while is_cron && timer.clock().now() + WALL_CLOCK_SLACK < fire.wall {
            let again = timer.clock().instant_at(fire.wall);
            if cx
                .run_until_cancelled(tokio::time::sleep_until(again))
                .await
                .is_none()
            {
                return;
            }
        }
        tick(host, cell, cx, service).await;
        if cx.is_cancelled() {
            return;
        }
    }
    tracing::info!(service = %cell.name, "schedule has no further fires");
    cx.cancelled().await;
}

/// Runs one tick and records how it went.
pub(super) async fn tick(
    host: &HostShared,
    cell: &ServiceCell,
    cx: &Context,
    service: &dyn ErasedPeriodic,
) {
    cell.record().runs.last_run = Some(host.clock.now());
    let began = Instant::now();
    let result = guarded(service.tick(cx)).await;
    let took = began.elapsed();
    let mut record = cell.record();
    record.runs.last_duration = Some(took);
    match result {
        Ok(()) => {
            record.runs.succeeded += 1;
            record.runs.last_outcome = Some(Outcome::Success);
            record.runs.last_error = None;
        }
        Err(error) => {
            tracing::warn!(service = %cell.name, %error, "tick failed");
            record.runs.failed += 1;
            record.runs.last_outcome = Some(Outcome::Failure);
            record.runs.last_error = Some(error.clone());
            record.last_error = Some(error);
        }
    }
}
