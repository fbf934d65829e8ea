//! Serving a service's mailbox while it runs: handlers under their timeout, up to
//! `max_concurrency` at once, retries with backoff, dead letters.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::Either;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;
use tracing::Instrument;

use super::backfill::Backfill;
use super::here::{Handover, ServingNow};
use super::journal::{ActionChange, JournalError};
use super::mailbox::Reply;
use super::replay::Retrying;
use super::scheduled::Waiting;
use super::table::CallError;
use super::woken::Woken;
use super::{ActionError, ActionId, ActionState, ErasedTable, Job, Mailbox, Payload};
use crate::Backoff;
use crate::client::QueueInfo;
use crate::context::{Context, Correlation};
use crate::error::panic_message;
use crate::host::HostShared;
use crate::metrics::{Durations, Metrics};
use crate::supervisor::ServiceCell;

/// A service's actions as the host holds them.
pub(crate) struct ServiceActions {
    pub(crate) table: Box<dyn ErasedTable>,
    pub(crate) mailbox: Mailbox,
    pub(crate) max_concurrency: usize,
    /// Handlers running now.
    pub(crate) running: AtomicUsize,
    /// Retries waiting out their backoff.
    delayed: AtomicUsize,
    /// Actions scheduled for later, until their time.
    pub(crate) waiting: Waiting,
    /// Dead letters being retried by hand.
    pub(crate) retrying: Retrying,
    /// Unfinished actions of an earlier run still being read in from the journal.
    pub(crate) backfill: Backfill,
    /// Told whenever an attempt ends or a retry is queued, for a drain to look again.
    settled: Notify,
    /// Drains waiting on `settled`; nobody else needs telling.
    draining: AtomicUsize,
    /// Each action's duration histograms by how attempts ended, looked up in the
    /// host's metrics once.
    durations: Box<[[OnceLock<Durations>; ENDINGS.len()]]>,
    /// The context of the service's run while its mailbox is served (a caller
    /// that finds a handler slot free and nothing queued starts the action
    /// itself), and the attempts callers hand over at their first wait.
    pub(super) handover: Handover,
}

/// How an attempt can end, as the metrics tell them apart.
const ENDINGS: [ActionState; 3] = [
    ActionState::Succeeded,
    ActionState::Failed,
    ActionState::TimedOut,
];

impl ServiceActions {
    pub(crate) fn new(
        table: Box<dyn ErasedTable>,
        mailbox: Mailbox,
        max_concurrency: usize,
    ) -> Self {
        let durations = (0..table.len()).map(|_| Default::default()).collect();
        Self {
            durations,
            table,
            mailbox,
            max_concurrency,
            running: AtomicUsize::new(0),
            delayed: AtomicUsize::new(0),
            waiting: Waiting::default(),
            retrying: Retrying::default(),
            backfill: Backfill::default(),
            settled: Notify::new(),
            draining: AtomicUsize::new(0),
            handover: Handover::default(),
        }
    }

    /// Takes a handler slot if one is free (`running` below `max_concurrency`).
    pub(super) fn take_slot(&self) -> bool {
        let limit = self.max_concurrency.max(1);
        self.running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |running| {
                (running < limit).then(|| running + 1)
            })
            .is_ok()
    }

    /// Gives a handler slot back: a drain looks again, and the mailbox's taker
    /// too if actions wait for a slot.
    pub(crate) fn free_slot(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.settled();
        if !self.mailbox.is_empty_now() {
            self.mailbox.wake_taker();
        }
    }

    /// Completes once no handler runs (those callers started included).
    async fn handlers_done(&self) {
        self.settled_when(|actions| actions.running.load(Ordering::SeqCst) == 0)
            .await;
    }

    /// Completes once nothing waits in the mailbox or for a retry, and no handler runs.
    pub(crate) async fn drained(&self) {
        self.settled_when(|actions| {
            actions.running.load(Ordering::SeqCst) == 0
                && actions.delayed.load(Ordering::SeqCst) == 0
                && actions.mailbox.depth() == 0
        })
        .await;
    }

    /// Completes once `done` holds, looking again each time an attempt ends or a
    /// retry is queued.
    async fn settled_when(&self, done: impl Fn(&Self) -> bool) {
        // Sequentially consistent, as the counts `done` reads and `settled`'s read
        // of this one are: a count changed after `done` looked always sees it.
        self.draining.fetch_add(1, Ordering::SeqCst);
        // Counted off however the wait ends (a drain timeout drops it).
        let _counted = Draining(&self.draining);
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if done(self) {
                break;
            }
            settled.await;
        }
    }

    /// The name of the action at `entry` in the table (empty if there is none).
    pub(crate) fn action_name(&self, entry: usize) -> &str {
        self.table.name(entry).map_or("", |name| name)
    }

    /// Records how long an attempt at the action at `entry` took.
    fn measured(
        &self,
        metrics: &Metrics,
        service: &Arc<str>,
        entry: usize,
        ended: ActionState,
        took: Duration,
    ) {
        let Some(ending) = ENDINGS.iter().position(|state| *state == ended) else {
            return;
        };
        let Some(histogram) = self.durations.get(entry).map(|endings| {
            endings[ending].get_or_init(|| {
                let action = self.table.name(entry).cloned().unwrap_or_default();
                metrics.action_duration(service, &action, ended)
            })
        }) else {
            return;
        };
        histogram.observe(took);
    }

    /// The mailbox at a glance.
    pub(crate) fn queue(&self) -> QueueInfo {
        QueueInfo {
            depth: self.mailbox.depth(),
            capacity: self.mailbox.capacity(),
            scheduled: self.waiting.len(),
        }
    }

    /// Withdraws an action waiting for its time; a retry stops counting as work a
    /// drain waits for.
    pub(crate) fn withdraw(&self, id: ActionId) -> Option<Job> {
        let held = self.waiting.take(id)?;
        if held.retry {
            self.retry_done();
        }
        Some(held.job)
    }

    /// A retry no longer waits: it is back in line, or withdrawn.
    fn retry_done(&self) {
        self.delayed.fetch_sub(1, Ordering::SeqCst);
        self.settled();
    }

    /// Holds `job` until `delay` has passed, then puts it back in line: a retry
    /// waiting out its backoff, which a cancel can withdraw meanwhile and a drain
    /// waits for.
    fn retry_after(&self, cell: &Arc<ServiceCell>, job: Job, delay: Duration) {
        let id = job.id;
        // Counted as waiting, so a drain waits for it too; not holding a handler slot.
        self.delayed.fetch_add(1, Ordering::SeqCst);
        self.waiting.hold(job, true);
        let cell = cell.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Some(actions) = &cell.actions else { return };
            // Gone if it was cancelled meanwhile. In line before it stops counting,
            // so a drain never sees it in neither place.
            if let Some(held) = actions.waiting.take(id) {
                actions.mailbox.requeue(held.job);
                actions.retry_done();
            }
        });
    }

    /// Tells a waiting drain to look again.
    fn settled(&self) {
        if self.draining.load(Ordering::SeqCst) > 0 {
            self.settled.notify_waiters();
        }
    }
}

/// Counts a drain off when its wait ends.
struct Draining<'a>(&'a AtomicUsize);

impl Drop for Draining<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A handler slot, taken while a handler runs and given back when dropped.
pub(super) struct Running<'a>(&'a ServiceActions);

impl<'a> Running<'a> {
    /// Takes a free slot, if there is one.
    fn take(actions: &'a ServiceActions) -> Option<Self> {
        actions.take_slot().then(|| Self(actions))
    }

    /// Holds a slot already taken with [`ServiceActions::take_slot`].
    pub(super) fn taken(actions: &'a ServiceActions) -> Self {
        Self(actions)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.free_slot();
    }
}

impl std::fmt::Debug for ServiceActions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceActions")
            .field("mailbox", &self.mailbox)
            .field("max_concurrency", &self.max_concurrency)
            .finish_non_exhaustive()
    }
}

/// Runs the service's `run` with its mailbox served beside it. When the service is
/// asked to stop, actions already running finish; when `run` ends by itself, they
/// are interrupted and queued again for the next attempt.
pub(crate) async fn beside<T>(
    run: impl Future<Output = T>,
    host: &Arc<HostShared>,
    cell: &Arc<ServiceCell>,
    actions: &ServiceActions,
    service: &(dyn Any + Send + Sync),
    cx: &Context,
) -> T {
    let serving = serve(host, cell, actions, service, cx);
    // Polled only when it woke the task, not at every action the task serves.
    let mut run = Woken::new(run);
    tokio::pin!(serving);
    tokio::select! {
        ended = &mut run => {
            if cx.is_cancelled() {
                serving.await;
            }
            ended
        }
        () = &mut serving => run.await,
    }
}

/// Takes actions from the mailbox and runs them until the service is asked to stop,
/// then lets the ones running finish. Dropped early (the service's run ended by
/// itself), it puts the interrupted ones back in the mailbox.
pub(crate) async fn serve(
    host: &Arc<HostShared>,
    cell: &Arc<ServiceCell>,
    actions: &ServiceActions,
    service: &(dyn Any + Send + Sync),
    cx: &Context,
) {
    // Callers may start actions themselves from now until the serving ends,
    // however it ends; a stop then finishes what they handed over, and waits for
    // the ones they are starting.
    let published = ServingNow::publish(&actions.handover, cx.clone());
    // Registered once: a wait for cancellation costs a lock to set up; and polled
    // only when it woke the task, not at every action.
    let mut stopped = Woken::new(cx.cancelled());
    let mut running = FuturesUnordered::new();
    // Most attempts finish at their first poll (an immediate journal, a handler
    // that does not wait). Those run here, in one place reused from each to the
    // next; only one that waits moves to a place of its own among `running`.
    let mut here = Box::pin(None);
    loop {
        tokio::select! {
            biased;
            () = &mut stopped => break,
            Some(()) = running.next(), if !running.is_empty() => {}
            handed = actions.handover.next() => {
                running.extend(handed.into_iter().map(Either::Right));
            }
            (counted, job) = next_job(actions) => {
                here.set(Some(attempt(host, cell, actions, service, cx, job, Start::Record)));
                if poll_once(here.as_mut()).await.is_ready() {
                    here.set(None);
                    drop(counted);
                } else {
                    let mut waiting = std::mem::replace(&mut here, Box::pin(None));
                    running.push(Either::Left(async move {
                        std::future::poll_fn(|task| poll_in(waiting.as_mut(), task)).await;
                        drop(counted);
                    }));
                }
            }
        }
    }
    // No caller starts an action from now on; those they started are finished
    // here as they are handed over, until no handler runs.
    running.extend(published.stop_starts().into_iter().map(Either::Right));
    loop {
        tokio::select! {
            biased;
            Some(()) = running.next(), if !running.is_empty() => {}
            handed = actions.handover.next() => {
                running.extend(handed.into_iter().map(Either::Right));
            }
            () = actions.handlers_done(), if running.is_empty() => break,
        }
    }
}

/// The next queued action, with a handler slot taken for it: the slot first, so
/// that a caller finding the mailbox empty never starts ahead of an action taken
/// from it. Slots are shared with callers starting actions themselves: the task
/// waits for an arrival or for a slot given back, each of which wakes it.
fn next_job(actions: &ServiceActions) -> impl Future<Output = (Running<'_>, Job)> + '_ {
    std::future::poll_fn(move |task| {
        if let Some(next) = take_next(actions) {
            return Poll::Ready(next);
        }
        actions.mailbox.register_taker(task.waker());
        // Looked at again after registering: an arrival or a slot given back in
        // between woke nobody.
        match take_next(actions) {
            Some(next) => Poll::Ready(next),
            None => Poll::Pending,
        }
    })
}

fn take_next(actions: &ServiceActions) -> Option<(Running<'_>, Job)> {
    if actions.mailbox.is_empty_now() {
        return None;
    }
    let slot = Running::take(actions)?;
    // Gone meanwhile (cancelled): the slot is given back as it drops.
    let job = actions.mailbox.try_pop()?;
    Some((slot, job))
}

/// Polls the future in `place` once, from inside an async fn.
async fn poll_once<F: Future<Output = ()>>(mut place: Pin<&mut Option<F>>) -> Poll<()> {
    std::future::poll_fn(|task| Poll::Ready(poll_in(place.as_mut(), task))).await
}

/// Polls the future in `place`; an empty place is done.
fn poll_in<F: Future<Output = ()>>(
    place: Pin<&mut Option<F>>,
    task: &mut TaskContext<'_>,
) -> Poll<()> {
    match place.as_pin_mut() {
        Some(future) => future.poll(task),
        None => Poll::Ready(()),
    }
}

/// Holds an action through its attempt, journal writes included. Dropped before it
/// is done (the service's run ended by itself, or it was abandoned), it puts the
/// action back in line: the attempt does not count, and the action runs again on the
/// next start (or, once the host has stopped, its caller hears it was abandoned).
struct Attempt<'a> {
    cell: &'a ServiceCell,
    job: Option<Job>,
    /// The action's attempts before this one, restored if it is put back.
    before: u32,
}

impl Attempt<'_> {
    /// The action's outcome is written: the attempt lets go of its job, and gives
    /// back the reply its caller waits on, if any.
    fn done(&mut self) -> Option<Reply> {
        self.job.take().and_then(|mut job| job.reply.take())
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if let (Some(mut job), Some(actions)) = (self.job.take(), self.cell.actions.as_ref()) {
            let action = actions.action_name(job.entry);
            tracing::debug!(service = %self.cell.name, %action, id = %job.id, "action interrupted; queued again");
            job.attempts = self.before;
            actions.mailbox.requeue(job);
        }
    }
}

/// Whether an attempt writes its start to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// It does, and starts once that is written.
    Record,
    /// Its action was accepted as started (with this attempt counted): it
    /// starts at once. With the time it was accepted when nothing was waited
    /// for since (an immediate journal), which is then when it started: a clock
    /// read costs as much as the rest of a no-op's timing, and the duration
    /// measured takes in no more than the journal's write.
    Recorded(Option<DateTime<Utc>>),
}

/// One attempt at one action.
pub(super) async fn attempt(
    host: &Arc<HostShared>,
    cell: &Arc<ServiceCell>,
    actions: &ServiceActions,
    service: &(dyn Any + Send + Sync),
    cx: &Context,
    mut job: Job,
    start: Start,
) {
    // A journal may hand back any count: at the limit it stays there.
    let before = job.attempts;
    job.attempts = before.saturating_add(1);
    let correlation = Correlation::of(job.correlation_id.as_ref(), job.id);
    // Not even made when nothing records info spans: making one formats its
    // fields for `log` if tracing's `log` feature is on.
    let span = if tracing::level_enabled!(tracing::Level::INFO) {
        crate::span::recorded(tracing::info_span!(
            "action",
            service = %cell.name,
            action = %actions.action_name(job.entry),
            id = %job.id,
            correlation_id = %correlation,
            attempt = job.attempts,
        ))
    } else {
        tracing::Span::none()
    };
    let cx = cx.handling(job.id, job.attempts, correlation);
    let (id, attempts, want_json) = (job.id, job.attempts, job.want_json);
    let (entry, timeout) = (job.entry, job.timeout);
    let mut held = Attempt {
        cell,
        job: Some(job),
        before,
    };
    let began = match start {
        Start::Recorded(Some(at)) => at,
        Start::Record | Start::Recorded(None) => host.clock.now(),
    };
    if start == Start::Record {
        let started = ActionChange::new(ActionState::Running, attempts, began);
        if let Err(error) = host.journal.update(id, started).await {
            span.in_scope(|| unrecorded(cell, actions, &mut held, &error));
            return;
        }
    }
    // Taken only now: an attempt that does not start keeps them for the next.
    let Some(params) = held.job.as_mut().map(|job| job.take_params()) else {
        return;
    };
    let outcome = async {
        // A handler that panics before it even returns its future fails its action,
        // not the service.
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| {
            actions.table.call(service, &cx, entry, params, want_json)
        }));
        let call = match call {
            Ok(Some(call)) => call,
            Ok(None) => {
                let action = actions.action_name(entry);
                let reason = format!("service `{}` has no action `{action}`", cell.name);
                return Err(Failure::Failed {
                    reason,
                    retry: false,
                });
            }
            Err(panic) => return Err(Failure::failed(panic_message(panic.as_ref()))),
        };
        let call = AssertUnwindSafe(call).catch_unwind();
        // Boxed: a timer is big, and most actions have no timeout.
        let called = match timeout {
            Some(limit) => Box::pin(tokio::time::timeout(limit, call))
                .await
                .map_err(|_| Failure::TimedOut(limit))?,
            None => call.await,
        };
        match called {
            Ok(Ok(payload)) => Ok(payload),
            Ok(Err(CallError::BadParameters { path, reason })) => {
                Err(Failure::BadParameters { path, reason })
            }
            Ok(Err(CallError::Failed(reason))) => Err(Failure::failed(reason)),
            Err(panic) => Err(Failure::failed(panic_message(panic.as_ref()))),
        }
    }
    .instrument(span.clone())
    .await;
    let ended_as = outcome
        .as_ref()
        .map_or_else(Failure::state, |_| ActionState::Succeeded);
    // Timed with the journal's own readings: a clock read costs more than the rest
    // of the measurement.
    let ended = host.clock.now();
    let took = crate::clock::elapsed_between(began, ended);
    actions.measured(&host.metrics, &cell.name, entry, ended_as, took);
    match outcome {
        Ok(payload) => {
            let writing = span.in_scope(|| succeeded(host, &mut held, payload, ended));
            if let Some(writing) = writing {
                writing.instrument(span).await;
            }
        }
        Err(failure) => {
            // Boxed: failures are the rare path, and retries make it large.
            let failed = failed(host, cell, actions, &mut held, failure, ended);
            Box::pin(failed).instrument(span).await;
        }
    }
}

/// The attempt could not be recorded as started, so its handler does not run:
/// every attempt that starts is counted in the journal, which is how replay knows
/// an action that keeps ending the process. The action waits outside the mailbox, not
/// holding a handler slot (cancellable, and waited for by a drain), then tries
/// again, uncounted; the waits grow from 1 s to 30 s while the journal keeps
/// failing, so a broken journal is not hammered. Its caller keeps waiting; if the
/// host stops first it hears the action was abandoned, and the journal still has
/// it queued for the next start.
fn unrecorded(
    cell: &Arc<ServiceCell>,
    actions: &ServiceActions,
    held: &mut Attempt<'_>,
    error: &JournalError,
) {
    let Some(mut job) = held.job.take() else {
        return;
    };
    job.attempts = held.before;
    job.unrecorded = job.unrecorded.saturating_add(1);
    let delay = Backoff::default().delay(job.unrecorded);
    tracing::error!(%error, retry_in = ?delay, "cannot record the action as running; not started");
    actions.retry_after(cell, job, delay);
}

/// Why an attempt did not succeed.
enum Failure {
    /// The parameters do not fit: never retried.
    BadParameters {
        path: String,
        reason: String,
    },
    TimedOut(Duration),
    /// An error or panic; not retried when there is no such action to retry.
    Failed {
        reason: String,
        retry: bool,
    },
}

impl Failure {
    fn failed(reason: String) -> Self {
        Failure::Failed {
            reason,
            retry: true,
        }
    }

    /// The state an attempt that failed this way leaves its action in, unless
    /// it is retried.
    fn state(&self) -> ActionState {
        match self {
            Failure::TimedOut(_) => ActionState::TimedOut,
            Failure::BadParameters { .. } | Failure::Failed { .. } => ActionState::Failed,
        }
    }
}

/// Records an attempt's success, then answers its caller: at once when the
/// journal answers at once, or in the future it returns, to await. Not async, so
/// that the attempt's future keeps no room for a wait most journals never make.
fn succeeded<'a>(
    host: &'a HostShared,
    held: &'a mut Attempt<'_>,
    payload: Payload,
    now: DateTime<Utc>,
) -> Option<Pin<Box<dyn Future<Output = ()> + Send + 'a>>> {
    let job = held.job.as_ref()?;
    let mut change = ActionChange::new(ActionState::Succeeded, job.attempts, now);
    let id = job.id;
    // The reply stays with the job until the write is done: an attempt dropped
    // meanwhile puts its action back in line still answerable.
    let answer = if job.reply.is_some() {
        Some(payload)
    } else {
        // Nobody waits: the result is kept for whoever looks the action up.
        if let Payload::Json(value) = payload {
            change.result = Some(value);
        }
        None
    };
    match host.journal.update(id, change).now() {
        Ok(written) => {
            log_unwritten(id, written);
            answer_success(held, answer);
            None
        }
        Err(writing) => Some(Box::pin(async move {
            log_unwritten(id, writing.await);
            answer_success(held, answer);
        })),
    }
}

/// The success is written: the action is done, and its caller (if it waits) hears.
fn answer_success(held: &mut Attempt<'_>, answer: Option<Payload>) {
    if let (Some(reply), Some(payload)) = (held.done(), answer) {
        let _ = reply.send(Ok(payload));
    }
}

async fn failed(
    host: &HostShared,
    cell: &Arc<ServiceCell>,
    actions: &ServiceActions,
    held: &mut Attempt<'_>,
    failure: Failure,
    now: DateTime<Utc>,
) {
    let Some(job) = held.job.as_mut() else { return };
    let action = actions.action_name(job.entry);
    let state = failure.state();
    let retryable = match &failure {
        Failure::BadParameters { .. } => false,
        Failure::TimedOut(_) => true,
        Failure::Failed { retry, .. } => *retry,
    };
    let service = cell.name.to_string();
    let error = match failure {
        Failure::BadParameters { path, reason } => ActionError::BadParameters {
            service,
            action: action.to_owned(),
            path,
            reason,
        },
        Failure::TimedOut(after) => ActionError::TimedOut {
            service,
            action: action.to_owned(),
            after,
        },
        Failure::Failed { reason, .. } => ActionError::Failed {
            service,
            action: action.to_owned(),
            reason,
        },
    };
    // What the journal keeps: the handler's own words, or the whole message.
    let reason = match &error {
        ActionError::Failed { reason, .. } => reason.clone(),
        other => other.to_string(),
    };
    // A count stuck at its limit can go no further: no retry is left.
    if retryable && job.attempts <= job.retry.max_retries && job.attempts < u32::MAX {
        let delay = job.retry.backoff.delay(job.attempts);
        tracing::warn!(%reason, retry_in = ?delay, "action failed; will retry");
        let mut change = ActionChange::new(ActionState::Queued, job.attempts, now);
        change.error = Some(reason);
        change.not_before = chrono::Duration::from_std(delay)
            .ok()
            .and_then(|delay| now.checked_add_signed(delay));
        let id = job.id;
        write_change(host, id, change).await;
        let Some(job) = held.job.take() else { return };
        actions.retry_after(cell, job, delay);
        return;
    }
    let (state, error) = if retryable && job.retry.max_retries > 0 {
        tracing::warn!(%reason, attempts = job.attempts, "action dead-lettered");
        let error = ActionError::DeadLettered {
            service: cell.name.to_string(),
            action: action.to_owned(),
            attempts: job.attempts,
            reason: reason.clone(),
        };
        (ActionState::DeadLettered, error)
    } else {
        tracing::warn!(%reason, "action failed");
        (state, error)
    };
    let mut change = ActionChange::new(state, job.attempts, now);
    change.error = Some(reason);
    let id = job.id;
    // As for a success: the reply stays with the job until the write is done.
    write_change(host, id, change).await;
    if let Some(reply) = held.done() {
        let _ = reply.send(Err(error));
    }
}

/// Writes a change to the journal; a journal that fails is logged, not fatal: what
/// the change records has happened either way.
pub(super) async fn write_change(host: &HostShared, id: ActionId, change: ActionChange) {
    log_unwritten(id, host.journal.update(id, change).await);
}

/// Logs a change the journal could not write.
fn log_unwritten(id: ActionId, written: Result<(), JournalError>) {
    if let Err(error) = written {
        tracing::error!(%id, %error, "journal update failed");
    }
}
