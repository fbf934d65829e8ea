//! A service's bounded queue of actions: highest priority first, first in first out
//! within a priority.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, Semaphore, SemaphorePermit, TryAcquireError, oneshot};

use super::{ActionError, ActionId, Payload, Retry};

/// The answer a waiting caller gets.
pub(crate) type Reply = oneshot::Sender<Result<Payload, ActionError>>;

/// An accepted action on its way to a handler.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: ActionId,
    pub(crate) action: String,
    /// The parameters for the next attempt: typed on the first, JSON on a retry.
    pub(crate) params: Option<Payload>,
    pub(crate) params_json: Value,
    pub(crate) priority: i32,
    pub(crate) timeout: Option<Duration>,
    pub(crate) correlation_id: String,
    pub(crate) retry: Retry,
    pub(crate) attempts: u32,
    /// Where a waiting caller hears the outcome; `None` if it did not wait.
    pub(crate) reply: Option<Reply>,
    /// Whether the result is wanted as JSON rather than the handler's own type.
    pub(crate) want_json: bool,
}

impl Job {
    /// The parameters for the attempt about to start.
    pub(crate) fn take_params(&mut self) -> Payload {
        self.params
            .take()
            .unwrap_or_else(|| Payload::Json(self.params_json.clone()))
    }
}

/// Tells a waiting caller that its action will not finish in this host.
fn abandon(mut job: Job) {
    if let Some(reply) = job.reply.take() {
        let _ = reply.send(Err(ActionError::Abandoned(job.id)));
    }
}

struct Queued {
    priority: i32,
    seq: u64,
    /// Whether it took a place in the mailbox's capacity (a retry does not).
    counted: bool,
    job: Job,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Queued {}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Queued {
    /// Higher priority first; within a priority, the earlier first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// The bounded mailbox of one service.
pub(crate) struct Mailbox {
    queue: Mutex<BinaryHeap<Queued>>,
    space: Semaphore,
    capacity: usize,
    ready: Notify,
    seq: AtomicU64,
    closed: AtomicBool,
    /// The host has stopped: nothing will take actions from here again.
    dead: AtomicBool,
}

/// A place reserved in a mailbox; given back if dropped unused.
pub(crate) struct Slot<'a> {
    mailbox: &'a Mailbox,
    permit: SemaphorePermit<'a>,
}

impl Slot<'_> {
    pub(crate) fn push(self, job: Job) {
        self.permit.forget();
        self.mailbox.enqueue(job, true);
    }
}

impl Mailbox {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            queue: Mutex::new(BinaryHeap::new()),
            space: Semaphore::new(capacity),
            capacity,
            ready: Notify::new(),
            seq: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            dead: AtomicBool::new(false),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Reserves a place, waiting for one if `wait`.
    pub(crate) async fn reserve(&self, service: &str, wait: bool) -> Result<Slot<'_>, ActionError> {
        if self.is_closed() {
            return Err(ActionError::ShuttingDown);
        }
        let permit = if wait {
            self.space
                .acquire()
                .await
                .map_err(|_| ActionError::ShuttingDown)?
        } else {
            self.space.try_acquire().map_err(|error| match error {
                TryAcquireError::NoPermits => ActionError::QueueFull {
                    service: service.to_owned(),
                    capacity: self.capacity,
                },
                TryAcquireError::Closed => ActionError::ShuttingDown,
            })?
        };
        Ok(Slot {
            mailbox: self,
            permit,
        })
    }

    /// Puts an action that was already accepted back in line (a retry, or one
    /// interrupted by a restart), beyond the capacity. Once the host has stopped,
    /// its caller is told it was abandoned instead (it stays in the journal).
    pub(crate) fn requeue(&self, job: Job) {
        self.enqueue(job, false);
    }

    fn enqueue(&self, job: Job, counted: bool) {
        let seq = self.seq.fetch_add(1, AtomicOrdering::Relaxed);
        let mut queue = self.lock();
        // Checked under the lock that `abandon_all` takes: no job slips in after it.
        if self.dead.load(AtomicOrdering::Acquire) {
            drop(queue);
            abandon(job);
            return;
        }
        queue.push(Queued {
            priority: job.priority,
            seq,
            counted,
            job,
        });
        drop(queue);
        self.ready.notify_one();
    }

    /// The host has stopped: every waiting caller hears its action was abandoned
    /// (the actions stay in the journal), and so will callers of later requeues.
    pub(crate) fn abandon_all(&self) {
        let queued = {
            let mut queue = self.lock();
            self.dead.store(true, AtomicOrdering::Release);
            std::mem::take(&mut *queue)
        };
        for queued in queued {
            abandon(queued.job);
        }
    }

    /// Takes a queued action out of line, if it is still waiting.
    pub(crate) fn remove(&self, id: ActionId) -> Option<Job> {
        let mut queue = self.lock();
        let mut found = None;
        let rest: Vec<Queued> = std::mem::take(&mut *queue)
            .into_vec()
            .into_iter()
            .filter_map(|queued| {
                if queued.job.id == id && found.is_none() {
                    found = Some(queued);
                    None
                } else {
                    Some(queued)
                }
            })
            .collect();
        *queue = BinaryHeap::from(rest);
        drop(queue);
        let queued = found?;
        if queued.counted {
            self.space.add_permits(1);
        }
        Some(queued.job)
    }

    /// The next action, waiting for one.
    pub(crate) async fn pop(&self) -> Job {
        loop {
            if let Some(job) = self.try_pop() {
                return job;
            }
            self.ready.notified().await;
        }
    }

    pub(crate) fn try_pop(&self) -> Option<Job> {
        let queued = self.lock().pop()?;
        if queued.counted {
            self.space.add_permits(1);
        }
        Some(queued.job)
    }

    /// How many actions wait.
    pub(crate) fn depth(&self) -> usize {
        self.lock().len()
    }

    /// Refuses new actions from now on; those queued stay.
    pub(crate) fn close(&self) {
        self.closed.store(true, AtomicOrdering::Release);
        self.space.close();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(AtomicOrdering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, BinaryHeap<Queued>> {
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
