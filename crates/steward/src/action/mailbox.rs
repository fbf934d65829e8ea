//! A service's bounded queue of actions: highest priority first, first in first out
//! within a priority.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::task::AtomicWaker;
use serde_json::Value;
use tokio::sync::{Notify, oneshot};

use super::{ActionError, ActionId, Payload, Retry};

/// The answer a waiting caller gets.
pub(crate) type Reply = oneshot::Sender<Result<Payload, ActionError>>;

/// An accepted action on its way to a handler. Boxed: it is moved from request
/// to mailbox (or straight to its caller's attempt) to handler, and through the
/// futures on the way, and a pointer moves for less than its few hundred bytes.
/// (With glibc's allocator, a box made on a caller's thread and freed on the
/// handler's takes an arena lock; the `steward` binary uses mimalloc, which
/// frees it without one.)
#[derive(Debug)]
pub(crate) struct Job(Box<JobState>);

impl Job {
    pub(crate) fn new(state: JobState) -> Self {
        Self(Box::new(state))
    }
}

impl std::ops::Deref for Job {
    type Target = JobState;

    fn deref(&self) -> &JobState {
        &self.0
    }
}

impl std::ops::DerefMut for Job {
    fn deref_mut(&mut self) -> &mut JobState {
        &mut self.0
    }
}

/// What a [`Job`] holds.
#[derive(Debug)]
pub(crate) struct JobState {
    pub(crate) id: ActionId,
    /// Where the action is in its service's table (which has its name).
    pub(crate) entry: usize,
    /// The parameters for the next attempt: typed on the first, JSON on a retry.
    pub(crate) params: Option<Payload>,
    pub(crate) params_json: Value,
    pub(crate) priority: i32,
    pub(crate) timeout: Option<Duration>,
    pub(crate) correlation_id: Option<Arc<str>>,
    pub(crate) retry: Retry,
    pub(crate) attempts: u32,
    /// Times an attempt could not be recorded as started (so did not start): the
    /// next wait for the journal is longer.
    pub(crate) unrecorded: u32,
    /// Where a waiting caller hears the outcome; `None` if it did not wait.
    pub(crate) reply: Option<Reply>,
    /// Whether the result is wanted as JSON rather than the handler's own type.
    pub(crate) want_json: bool,
}

impl JobState {
    /// The parameters for the attempt about to start.
    pub(crate) fn take_params(&mut self) -> Payload {
        self.params
            .take()
            .unwrap_or_else(|| Payload::Json(self.params_json.clone()))
    }
}

/// Tells a waiting caller that its action will not finish in this host.
pub(crate) fn abandon(mut job: Job) {
    if let Some(reply) = job.reply.take() {
        let _ = reply.send(Err(ActionError::Abandoned(job.id)));
    }
}

struct Queued {
    /// Whether it took a place in the mailbox's capacity (a retry does not).
    counted: bool,
    job: Job,
}

/// Queued actions by priority: one first-in-first-out line per priority, highest
/// first. Most services use one or two priorities, so a short sorted list beats a
/// heap (and never moves a job once it is queued, except in and out).
#[derive(Default)]
struct Lines {
    lines: Vec<(i32, VecDeque<Queued>)>,
    len: usize,
}

impl Lines {
    fn push(&mut self, queued: Queued) {
        let priority = queued.job.priority;
        let at = self.lines.partition_point(|(line, _)| *line > priority);
        match self.lines.get_mut(at) {
            Some((line, jobs)) if *line == priority => jobs.push_back(queued),
            _ => self.lines.insert(at, (priority, VecDeque::from([queued]))),
        }
        self.len += 1;
    }

    fn pop(&mut self) -> Option<Queued> {
        let queued = self
            .lines
            .iter_mut()
            .find_map(|(_, jobs)| jobs.pop_front())?;
        self.len -= 1;
        // Empty lines are kept for reuse, unless priorities come and go in numbers.
        if self.lines.len() > MAX_IDLE_LINES {
            self.lines.retain(|(_, jobs)| !jobs.is_empty());
        }
        Some(queued)
    }

    fn remove(&mut self, id: ActionId) -> Option<Queued> {
        for (_, jobs) in &mut self.lines {
            if let Some(at) = jobs.iter().position(|queued| queued.job.id == id) {
                self.len -= 1;
                return jobs.remove(at);
            }
        }
        None
    }

    fn take(&mut self) -> Vec<Queued> {
        self.len = 0;
        self.lines.drain(..).flat_map(|(_, jobs)| jobs).collect()
    }
}

const MAX_IDLE_LINES: usize = 16;

/// The bounded mailbox of one service.
pub(crate) struct Mailbox {
    queue: Mutex<Lines>,
    /// How many wait in `queue`, as of its last change: read without the lock
    /// (by callers that start an action themselves only when none waits, and by
    /// drains).
    queued: AtomicUsize,
    /// Places left. An atomic count, not a semaphore: taking and giving back a
    /// place is one atomic operation, and callers that wait are woken by `room`.
    free: AtomicUsize,
    /// Callers waiting for a place.
    waiting: AtomicUsize,
    room: Notify,
    capacity: usize,
    /// The one task taking actions (the service's dispatcher), woken by arrivals.
    ready: AtomicWaker,
    closed: AtomicBool,
    /// The host has stopped: nothing will take actions from here again.
    dead: AtomicBool,
}

/// A place reserved in a mailbox; given back if dropped unused.
pub(crate) struct Slot<'a> {
    mailbox: &'a Mailbox,
    used: bool,
}

impl Slot<'_> {
    pub(crate) fn push(mut self, job: Job) {
        self.used = true;
        self.mailbox.enqueue(job, true);
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if !self.used {
            self.mailbox.give_back();
        }
    }
}

impl Mailbox {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            queue: Mutex::new(Lines::default()),
            queued: AtomicUsize::new(0),
            free: AtomicUsize::new(capacity),
            waiting: AtomicUsize::new(0),
            room: Notify::new(),
            capacity,
            ready: AtomicWaker::new(),
            closed: AtomicBool::new(false),
            dead: AtomicBool::new(false),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Reserves a place, waiting for one if `wait`.
    pub(crate) async fn reserve(&self, service: &str, wait: bool) -> Result<Slot<'_>, ActionError> {
        if !wait {
            return self.try_reserve(service);
        }
        loop {
            if self.is_closed() {
                return Err(ActionError::ShuttingDown);
            }
            if self.take_place() {
                return Ok(self.slot());
            }
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            // Counted before looking again: a place given back from now on wakes us.
            self.waiting.fetch_add(1, AtomicOrdering::AcqRel);
            if self.take_place() {
                self.waiting.fetch_sub(1, AtomicOrdering::AcqRel);
                return Ok(self.slot());
            }
            if !self.is_closed() {
                room.await;
            }
            self.waiting.fetch_sub(1, AtomicOrdering::AcqRel);
        }
    }

    /// Reserves a place if one is free now.
    pub(crate) fn try_reserve(&self, service: &str) -> Result<Slot<'_>, ActionError> {
        if self.is_closed() {
            return Err(ActionError::ShuttingDown);
        }
        if self.take_place() {
            Ok(self.slot())
        } else {
            Err(ActionError::QueueFull {
                service: service.to_owned(),
                capacity: self.capacity,
            })
        }
    }

    fn slot(&self) -> Slot<'_> {
        Slot {
            mailbox: self,
            used: false,
        }
    }

    fn take_place(&self) -> bool {
        self.free
            .fetch_update(AtomicOrdering::AcqRel, AtomicOrdering::Acquire, |free| {
                free.checked_sub(1)
            })
            .is_ok()
    }

    fn give_back(&self) {
        self.free.fetch_add(1, AtomicOrdering::AcqRel);
        if self.waiting.load(AtomicOrdering::Acquire) > 0 {
            self.room.notify_one();
        }
    }

    /// Puts an action that was already accepted back in line (a retry, or one
    /// interrupted by a restart), beyond the capacity. Once the host has stopped,
    /// its caller is told it was abandoned instead (it stays in the journal).
    pub(crate) fn requeue(&self, job: Job) {
        self.enqueue(job, false);
    }

    fn enqueue(&self, job: Job, counted: bool) {
        let mut queue = self.lock();
        // Checked under the lock that `abandon_all` takes: no job slips in after it.
        if self.dead.load(AtomicOrdering::Acquire) {
            drop(queue);
            abandon(job);
            return;
        }
        queue.push(Queued { counted, job });
        self.count(&queue);
        drop(queue);
        self.ready.wake();
    }

    /// Whether no action waits (as of the queue's last change).
    pub(crate) fn is_empty_now(&self) -> bool {
        self.depth() == 0
    }

    /// Wakes the task taking actions, to look again (a handler slot came free).
    pub(crate) fn wake_taker(&self) {
        self.ready.wake();
    }

    /// The host has stopped: every waiting caller hears its action was abandoned
    /// (the actions stay in the journal), and so will callers of later requeues.
    pub(crate) fn abandon_all(&self) {
        let queued = {
            let mut queue = self.lock();
            self.dead.store(true, AtomicOrdering::Release);
            let taken = queue.take();
            self.count(&queue);
            taken
        };
        for queued in queued {
            abandon(queued.job);
        }
    }

    /// Takes a queued action out of line, if it is still waiting.
    pub(crate) fn remove(&self, id: ActionId) -> Option<Job> {
        let mut queue = self.lock();
        let queued = queue.remove(id)?;
        self.count(&queue);
        drop(queue);
        if queued.counted {
            self.give_back();
        }
        Some(queued.job)
    }

    /// Has `waker` woken by the next arrival (or slot given back). One task at a
    /// time takes from a mailbox.
    pub(crate) fn register_taker(&self, waker: &std::task::Waker) {
        self.ready.register(waker);
    }

    pub(crate) fn try_pop(&self) -> Option<Job> {
        let mut queue = self.lock();
        let queued = queue.pop()?;
        self.count(&queue);
        drop(queue);
        if queued.counted {
            self.give_back();
        }
        Some(queued.job)
    }

    /// How many actions wait (as of the queue's last change).
    pub(crate) fn depth(&self) -> usize {
        self.queued.load(AtomicOrdering::SeqCst)
    }

    /// Keeps `queued` at the queue's length; called under the queue's lock.
    fn count(&self, queue: &Lines) {
        self.queued.store(queue.len, AtomicOrdering::SeqCst);
    }

    /// Refuses new actions from now on; those queued stay.
    pub(crate) fn close(&self) {
        self.closed.store(true, AtomicOrdering::Release);
        self.room.notify_waiters();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(AtomicOrdering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, Lines> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("depth", &self.depth())
            .field("capacity", &self.capacity)
            .finish()
    }
}
