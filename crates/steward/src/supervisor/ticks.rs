//! The tick loop of a periodic service.
//!
//! Generic over the service type, so each tick is a direct call with no allocation;
//! one timer is reset from tick to tick, and the tick history takes plain atomic
//! stores, with times kept as monotonic instants (wall-clock times are worked out
//! when the status is read).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::WaitForCancellationFuture;

use super::cell::ServiceCell;
use super::guard::guarded;
pub(crate) use super::tick_stats::TickStats;
use crate::context::Context;
use crate::host::HostShared;
use crate::metrics::RunMetrics;
use crate::schedule::{Schedule, Timer};
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
    stats: &TickStats,
    schedule: Schedule,
) {
    // Triggers still waiting when the loop ends are answered by dropping them: the
    // caller hears the service stopped.
    stats.triggers.serving(true);
    let _answer_triggers = DropTriggers(stats);
    let mut timer = Timer::start(schedule, host.clock.clone());
    // Boxed, here and below: rare paths, whose futures the loop should not carry.
    let Some(mut fire) = timer.next_fire(Instant::now()) else {
        return Box::pin(idle(cell, cx, service, stats)).await;
    };
    stats.set_next(fire.at, fire.wall, 0);
    // Held here, so a wait touches the token without going through the context.
    let stop = cx.stop_token().clone();
    // One wait for cancellation, registered once and kept across ticks.
    let stopped = stop.cancelled();
    let triggered = stats.triggers.wake.notified();
    // Boxed: the timer wheel walks every entry due in a slot, and entries
    // allocated side by side as services start are walked far faster than
    // entries a task's width apart.
    let mut sleep = Box::pin(tokio::time::sleep_until(fire.at));
    tokio::pin!(stopped, triggered);
    // The run metrics, kept here from the first tick on: the loop's own state is
    // at hand when a tick ends, the context and the cell may not be in cache.
    let mut runs = None;
    let mut waits = Waits {
        stopped: stopped.as_mut(),
        triggered: triggered.as_mut(),
        wake: &stats.triggers.wake,
        registered: false,
    };
    loop {
        match waits.wait(sleep.as_mut(), stats).await {
            Wake::Stop => return,
            Wake::Trigger => {
                // A tick now; the scheduled fire stays where it was.
                Box::pin(serve_triggers(cell, cx, service, stats)).await;
                continue;
            }
            Wake::Fire => {}
        }
        if let Some(wall) = fire.wall {
            // The system clock may have been set back while we slept: cron means wall time.
            while timer.clock().now() + WALL_CLOCK_SLACK < wall {
                sleep.as_mut().reset(timer.clock().instant_at(wall));
                match waits.wait(sleep.as_mut(), stats).await {
                    Wake::Stop => return,
                    Wake::Trigger | Wake::Fire => {}
                }
            }
        }
        // Requests made meanwhile are served by this tick.
        let callers = stats.trigger_requested().then(|| stats.take_triggers());
        let runs = runs.get_or_insert_with(|| cell.run_metrics(&host.metrics).clone());
        let (result, ended) = tick(cell, cx, service, stats, runs).await;
        for caller in callers.into_iter().flatten() {
            let _ = caller.send(result.clone());
        }
        // A stop during the tick is noticed by the next wait, which returns at once.
        let Some(next) = timer.next_fire(ended) else {
            return Box::pin(idle(cell, cx, service, stats)).await;
        };
        if next.skipped > 0 {
            tracing::warn!(service = %cell.name, skipped = next.skipped, "a tick overran; skipped the fires it missed");
        }
        stats.set_next(next.at, next.wall, next.skipped);
        sleep.as_mut().reset(next.at);
        fire = next;
    }
}

/// One tick, timed and recorded; its outcome and when it ended.
async fn tick<S: Periodic>(
    cell: &ServiceCell,
    cx: &Context,
    service: &S,
    stats: &TickStats,
    runs: &RunMetrics,
) -> (Result<(), String>, Instant) {
    let began = Instant::now();
    let result = guarded(service.tick(cx)).await;
    let ended = Instant::now();
    if let Err(error) = &result {
        tracing::warn!(service = %cell.name, %error, "tick failed");
    }
    stats.ticked(began, ended - began, result.clone());
    runs.ended(Outcome::of(&result), ended - began);
    (result, ended)
}

/// What ended a wait.
enum Wake {
    Fire,
    Trigger,
    Stop,
}

/// The waits besides the timer, registered once and kept across ticks.
struct Waits<'a, 's, 't> {
    stopped: Pin<&'a mut WaitForCancellationFuture<'s>>,
    triggered: Pin<&'a mut Notified<'t>>,
    wake: &'t Notify,
    registered: bool,
}

impl Waits<'_, '_, '_> {
    /// Waits for the timer, a stop or a trigger.
    ///
    /// The stop and trigger futures are polled when they must be: once to register,
    /// after a wake that was not the timer's, and when the stopper or a caller has
    /// flagged a request in the tick history. A tick's usual path, the timer, then
    /// takes no lock.
    async fn wait(&mut self, mut sleep: Pin<&mut Sleep>, stats: &TickStats) -> Wake {
        let mut polls = 0u32;
        std::future::poll_fn(|task| {
            polls += 1;
            let first = !self.registered;
            let woken = polls > 1;
            // A wake with no stop or trigger flagged is the timer's, nearly always:
            // try it first and leave the other waits, still registered, alone.
            if woken
                && !first
                && !stats.stop_requested()
                && !stats.trigger_requested()
                && sleep.as_mut().poll(task).is_ready()
            {
                return Poll::Ready(Wake::Fire);
            }
            if (woken || first || stats.stop_requested())
                && self.stopped.as_mut().poll(task).is_ready()
            {
                return Poll::Ready(Wake::Stop);
            }
            if (woken || first || stats.trigger_requested())
                && self.triggered.as_mut().poll(task).is_ready()
            {
                // A fresh wait for the next trigger, registered on the next wait.
                self.triggered.set(self.wake.notified());
                self.registered = false;
                return Poll::Ready(Wake::Trigger);
            }
            self.registered = true;
            if sleep.as_mut().poll(task).is_ready() {
                return Poll::Ready(Wake::Fire);
            }
            Poll::Pending
        })
        .await
    }
}

/// A schedule with no further fires: stay running until asked to stop.
async fn idle<S: Periodic>(cell: &ServiceCell, cx: &Context, service: &S, stats: &TickStats) {
    tracing::debug!(service = %cell.name, "no scheduled fires ahead; ticking only when triggered");
    stats.clear_next();
    loop {
        tokio::select! {
            () = cx.cancelled() => return,
            () = stats.triggers.wake.notified() => serve_triggers(cell, cx, service, stats).await,
        }
    }
}

/// One tick for the triggers waiting now, if any (a wake can outlive the requests
/// it was for: those made during a scheduled tick are served by that tick).
async fn serve_triggers<S: Periodic>(
    cell: &ServiceCell,
    cx: &Context,
    service: &S,
    stats: &TickStats,
) {
    let callers = stats.take_triggers();
    if callers.is_empty() {
        return;
    }
    let runs = cell.run_metrics(cx.metrics());
    let (result, _) = tick(cell, cx, service, stats, runs).await;
    for caller in callers {
        let _ = caller.send(result.clone());
    }
}

/// Drops the triggers still waiting when the tick loop ends.
struct DropTriggers<'a>(&'a TickStats);

impl Drop for DropTriggers<'_> {
    fn drop(&mut self) {
        self.0.triggers.serving(false);
    }
}
