//! Starting an action in the caller's own task.
//!
//! A caller that waits for the result (`send`) while the service's mailbox is
//! served, nothing is queued and a handler slot is free starts the attempt
//! itself: the same attempt the mailbox's taker would run (journaled, timed,
//! retried, under the service's context), without the trip through the mailbox
//! to the service's task and back. Most handlers finish at once, and the caller
//! has its answer with no task switch at all. One that waits is handed to the
//! service's task at its first wait and finishes there, as any other, so a caller
//! that stops waiting never interrupts it.
//!
//! Queued actions keep their order: a caller starts an action only when none
//! waits, and takes its handler slot from the count the taker uses, so
//! `max_concurrency` holds for both.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, MutexGuard, PoisonError};
use std::task::Poll;

use chrono::{DateTime, Utc};
use futures_util::task::AtomicWaker;

use super::dispatch::{Running, ServiceActions, Start, attempt};
use super::mailbox::Job;
use crate::context::Context;

/// An attempt a caller started and handed over at its first wait.
pub(crate) type Attempting = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Whether, and under what, callers may start actions; and the attempts they
/// handed over that the service's task has not taken yet.
#[derive(Default)]
pub(crate) struct Served {
    /// The context of the service's current run, which callers start actions
    /// under (the service itself is its cell's), while they may. Shared, so that
    /// a caller takes it with one count.
    serving: Option<Arc<Context>>,
    /// The publication whose attempts are taken over: it outlasts `serving`
    /// while a stop finishes what callers started.
    taking: Option<Arc<Context>>,
    handed: Vec<Attempting>,
}

/// The service's side of [`Served`]: its lock, and how the service's task hears
/// of attempts handed to it.
#[derive(Default)]
pub(crate) struct Handover {
    served: std::sync::Mutex<Served>,
    /// How many attempts wait in `served.handed`: looked at without the lock at
    /// each wake of the service's task.
    waiting: AtomicUsize,
    taker: AtomicWaker,
}

impl Handover {
    fn lock(&self) -> MutexGuard<'_, Served> {
        self.served.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The attempts handed over since the last call, waiting for some.
    pub(crate) fn next(&self) -> impl Future<Output = Vec<Attempting>> + '_ {
        std::future::poll_fn(|task| {
            if self.waiting.load(Ordering::Acquire) == 0 {
                self.taker.register(task.waker());
                // Looked at again after registering: one handed over in between
                // woke nobody.
                if self.waiting.load(Ordering::Acquire) == 0 {
                    return Poll::Pending;
                }
            }
            Poll::Ready(self.take())
        })
    }

    fn take(&self) -> Vec<Attempting> {
        let mut served = self.lock();
        self.waiting.store(0, Ordering::Release);
        std::mem::take(&mut served.handed)
    }

    /// Hands `attempting`, started under the publication at address `from`, to the
    /// service's task. If that publication is no longer taken over (the
    /// service's run ended by itself, perhaps to start again under another), it
    /// drops it, which puts its action back in line.
    fn hand(&self, attempting: Attempting, from: usize) {
        let mut served = self.lock();
        let taken = served
            .taking
            .as_ref()
            .is_some_and(|taking| Arc::as_ptr(taking) as usize == from);
        if !taken {
            drop(served);
            drop(attempting);
            return;
        }
        served.handed.push(attempting);
        self.waiting.fetch_add(1, Ordering::AcqRel);
        drop(served);
        self.taker.wake();
    }
}

/// Publishes the context of the service's run while it lives. [`stop_starts`](Self::stop_starts)
/// ends the starts, and what callers started is still taken over until it is
/// dropped; dropped, it drops what was handed over and not taken, which puts
/// their actions back in line.
pub(crate) struct ServingNow<'a>(&'a Handover);

impl<'a> ServingNow<'a> {
    pub(crate) fn publish(handover: &'a Handover, cx: Context) -> Self {
        let serving = Arc::new(cx);
        let mut served = handover.lock();
        served.serving = Some(serving.clone());
        served.taking = Some(serving);
        drop(served);
        Self(handover)
    }

    /// No caller starts an action from now on; gives back what was handed over.
    pub(crate) fn stop_starts(&self) -> Vec<Attempting> {
        let serving = self.0.lock().serving.take();
        drop(serving);
        self.0.take()
    }
}

impl Drop for ServingNow<'_> {
    fn drop(&mut self) {
        let mut served = self.0.lock();
        self.0.waiting.store(0, Ordering::Release);
        let withdrawn = (
            served.serving.take(),
            served.taking.take(),
            std::mem::take(&mut served.handed),
        );
        drop(served);
        // Dropped outside the lock: they put actions back in line.
        drop(withdrawn);
    }
}

impl ServiceActions {
    /// Takes a handler slot for a caller to start an action itself, if the
    /// mailbox is served, nothing waits in it and a slot is free.
    pub(crate) fn serving_here(&self) -> Option<Arc<Context>> {
        if !self.mailbox.is_empty_now() || self.mailbox.is_closed() {
            return None;
        }
        // The attempt's timer and retries belong to the runtime it starts on:
        // a caller outside any queues the action for the service's task. A
        // caller in a task is in a runtime, which is found out without cloning
        // the runtime's handle (a count every thread would write).
        if tokio::task::try_id().is_none() && tokio::runtime::Handle::try_current().is_err() {
            return None;
        }
        if !self.take_slot() {
            return None;
        }
        // Looked at after the slot is taken: an action queued meanwhile is not
        // overtaken, and a stop that ends the serving then waits for this slot,
        // or this caller sees it ended.
        let serving = self.handover.lock().serving.clone();
        match serving {
            Some(serving) if self.mailbox.is_empty_now() && !self.mailbox.is_closed() => {
                Some(serving)
            }
            _ => {
                self.free_slot();
                None
            }
        }
    }
}

/// An accepted action its caller starts, in the handler slot taken for it. If it
/// is dropped before it starts, the slot is given back and the action queued.
pub(crate) struct Here {
    /// The context of the service's run: it holds the host and the service.
    cx: Arc<Context>,
    job: Option<Job>,
    start: Start,
}

impl Here {
    /// `job`, recorded (or to be recorded) as accepted and started in one write,
    /// the first attempt counted, to start once it is. `at`: when it was
    /// accepted, if the write did not wait (so it starts then too).
    pub(crate) fn accepted_started(cx: Arc<Context>, job: Job, at: Option<DateTime<Utc>>) -> Self {
        Self {
            cx,
            job: Some(job),
            start: Start::Recorded(at),
        }
    }

    /// Hands the attempt to the service's task, to write its start before it
    /// starts: for an action whose caller went away before its record was
    /// written, so that it starts only once that write is done (the start is
    /// written after it).
    pub(crate) fn hand_over_unwritten(mut self) {
        self.start = Start::Record;
        self.hand_over();
    }

    /// Hands the attempt to the service's task without starting it here: for a
    /// caller that does not wait for the result.
    pub(crate) fn hand_over(self) {
        // Held here as the attempt holds it, so no other publication has its
        // address while the attempt is handed over.
        let cx = self.cx.clone();
        if let Some(actions) = cx.cell().actions.as_deref() {
            actions
                .handover
                .hand(Box::pin(self.attempt()), Arc::as_ptr(&cx) as usize);
        }
    }

    /// The action could not be recorded: it is not started, nor queued.
    pub(crate) fn unrecorded(mut self) {
        if self.job.take().is_some()
            && let Some(actions) = self.cx.cell().actions.as_deref()
        {
            actions.free_slot();
        }
    }

    /// Starts the attempt; if it waits, hands it to the task of the service whose
    /// `actions` these are.
    pub(crate) async fn run(self, actions: &ServiceActions) {
        // The publication by address rather than by a count of its own (which every
        // caller's thread would write): the attempt holds it, so while the attempt
        // lives no other publication has this address.
        let from = Arc::as_ptr(&self.cx) as usize;
        // Boxed, to be handed over if it waits.
        let mut attempting: Attempting = Box::pin(self.attempt());
        let started = std::future::poll_fn(|task| Poll::Ready(attempting.as_mut().poll(task)));
        if started.await.is_pending() {
            actions.handover.hand(attempting, from);
        }
    }

    /// The attempt, then the slot given back.
    async fn attempt(mut self) {
        let Some(job) = self.job.take() else { return };
        let (host, cell) = (self.cx.host_shared(), self.cx.cell());
        let Some(actions) = cell.actions.as_deref() else {
            return;
        };
        let slot = Running::taken(actions);
        let start = self.start;
        attempt(
            host,
            cell,
            actions,
            cell.body.service(),
            &self.cx,
            job,
            start,
        )
        .await;
        drop(slot);
    }
}

impl Drop for Here {
    fn drop(&mut self) {
        let Some(job) = self.job.take() else { return };
        if let Some(actions) = self.cx.cell().actions.as_deref() {
            // Queued before the slot is free: a drain woken by the slot sees it.
            actions.mailbox.requeue(job);
            actions.free_slot();
        }
    }
}
