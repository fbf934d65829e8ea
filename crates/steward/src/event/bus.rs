//! Delivery of emitted events to subscribers.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::{Notify, mpsc};

use super::Emitted;

/// A filter applied to emitted events.
pub(crate) type EventFilter = Box<dyn Fn(&Emitted) -> bool + Send + Sync>;

/// Which events a subscriber wants.
pub(crate) struct Interest {
    /// Only this service's, or everyone's.
    pub(crate) service: Option<Arc<str>>,
    /// Only events of this name, or all.
    pub(crate) name: Option<Arc<str>>,
    /// Whether the event is of the subscriber's type (a typed subscriber skips JSON
    /// events of its name that do not decode as its type); `None` when the filter
    /// checks that already.
    pub(crate) accepts: Option<fn(&Emitted) -> bool>,
    /// Checked in the emitter, so that unwanted events take no buffer space.
    pub(crate) filter: Option<EventFilter>,
    /// Ends after the first event delivered.
    pub(crate) once: bool,
}

impl Interest {
    fn matches(&self, event: &Emitted) -> bool {
        self.service.as_ref().is_none_or(|service| {
            // The same shared name, usually: no need to compare the text.
            Arc::ptr_eq(service, event.service_shared()) || **service == *event.service()
        }) && self.name.as_deref().is_none_or(|name| name == event.name())
            && self.accepts.is_none_or(|accepts| accepts(event))
            && self.filter.as_ref().is_none_or(|filter| {
                // A filter that panics rejects the event; the emitter goes on.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| filter(event)))
                    .unwrap_or(false)
            })
    }
}

/// What a subscription and the bus share about one subscriber.
pub(crate) struct Subscriber {
    id: u64,
    /// Events that matched but found the buffer full.
    pub(crate) missed: AtomicU64,
    /// Events handed over and not yet taken, and how many may be.
    queued: AtomicUsize,
    capacity: usize,
    /// How few events may be left before emitters waiting for room are woken:
    /// half the buffer, so that a subscriber that keeps up with a faster emitter
    /// wakes it once per half buffer rather than once per event.
    resume_at: usize,
    /// A `once` subscriber that already got its event.
    done: AtomicBool,
    /// A full buffer makes emitters wait for room instead of dropping the event.
    lossless: bool,
    /// Signalled when a lossless subscriber's buffer drains to `resume_at`, or
    /// it goes away.
    room: Notify,
    /// Unsubscribed: nothing waits for room any more.
    closed: AtomicBool,
}

/// A lossless subscriber whose buffer was full when an event was emitted: the
/// emitter hands the event over once there is room.
pub(crate) struct Blocked {
    subscriber: Arc<Subscriber>,
    sender: mpsc::UnboundedSender<Emitted>,
    event: Emitted,
}

impl Blocked {
    /// Waits for room in the subscriber's buffer, then hands the event over;
    /// gives up if the subscriber goes away meanwhile.
    pub(crate) async fn deliver(self) {
        let Self {
            subscriber,
            sender,
            event,
        } = self;
        loop {
            // Listening before looking: a drain to `resume_at` after the look
            // wakes this wait.
            let room = subscriber.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if subscriber.closed.load(Ordering::Acquire) {
                return;
            }
            if subscriber.queued.fetch_add(1, Ordering::AcqRel) < subscriber.capacity {
                if sender.send(event).is_err() {
                    subscriber.release();
                }
                return;
            }
            subscriber.release();
            room.await;
        }
    }
}

/// One subscriber as the bus holds it. Only the bus holds the sender, so a
/// subscriber's stream ends when the bus lets go of it.
struct Entry {
    subscriber: Arc<Subscriber>,
    interest: Interest,
    /// Unbounded underneath: the bound is `Subscriber::queued`, one atomic add per
    /// event instead of a semaphore's.
    sender: mpsc::UnboundedSender<Emitted>,
}

/// Every subscriber of one host.
#[derive(Default)]
pub(crate) struct EventBus {
    entries: RwLock<Vec<Entry>>,
    next_id: AtomicU64,
}

impl Subscriber {
    /// One event taken off the buffer.
    pub(crate) fn taken(&self) {
        self.release();
    }

    /// One place in the buffer given back: an event taken, or room taken for one
    /// that was not handed over after all. Every step down to `resume_at` passes
    /// here, so a buffer that an emitter found full (and listened for room before
    /// looking) wakes it on its way down, whoever takes that step.
    fn release(&self) {
        let before = self.queued.fetch_sub(1, Ordering::AcqRel);
        if self.lossless && before == self.resume_at + 1 {
            self.room.notify_waiters();
        }
    }

    /// Nothing will take events any more: emitters waiting for room give up.
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.room.notify_waiters();
    }
}

impl EventBus {
    /// Adds a subscriber with a buffer of `buffer` events; when `lossless`, a full
    /// buffer makes emitters wait rather than drop.
    pub(crate) fn subscribe(
        &self,
        interest: Interest,
        buffer: usize,
        lossless: bool,
    ) -> (Arc<Subscriber>, mpsc::UnboundedReceiver<Emitted>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let capacity = buffer.max(1);
        let subscriber = Arc::new(Subscriber {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            missed: AtomicU64::new(0),
            queued: AtomicUsize::new(0),
            capacity,
            resume_at: capacity / 2,
            done: AtomicBool::new(false),
            lossless,
            room: Notify::new(),
            closed: AtomicBool::new(false),
        });
        self.write().push(Entry {
            subscriber: subscriber.clone(),
            interest,
            sender,
        });
        (subscriber, receiver)
    }

    pub(crate) fn unsubscribe(&self, subscriber: &Subscriber) {
        self.write()
            .retain(|entry| entry.subscriber.id != subscriber.id);
        subscriber.close();
    }

    /// Drops every subscriber: their streams end once drained.
    pub(crate) fn close(&self) {
        for entry in self.write().drain(..) {
            entry.subscriber.close();
        }
    }

    /// How many subscriptions are open.
    pub(crate) fn len(&self) -> usize {
        self.read().len()
    }

    /// Hands the event to every matching subscriber without waiting for any, and
    /// returns the lossless ones whose buffer was full: the emitter waits for those.
    /// The last one to get it is handed the emitter's own reference rather than a
    /// clone, so that a lone subscriber can take the value out without copying it.
    pub(crate) fn emit(&self, event: Emitted) -> Vec<Blocked> {
        let mut blocked = Vec::new();
        let entries = self.read();
        let mut last: Option<Handoff<'_>> = None;
        for entry in entries.iter() {
            if !entry.interest.matches(&event) {
                continue;
            }
            if entry.interest.once && entry.subscriber.done.swap(true, Ordering::AcqRel) {
                continue;
            }
            let subscriber = &entry.subscriber;
            let handoff = if subscriber.queued.fetch_add(1, Ordering::AcqRel) < subscriber.capacity
            {
                Handoff::Send(entry)
            } else {
                subscriber.release();
                if !subscriber.lossless {
                    subscriber.missed.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                Handoff::Wait(entry)
            };
            if let Some(previous) = last.replace(handoff) {
                previous.give(event.clone(), &mut blocked);
            }
        }
        if let Some(previous) = last {
            previous.give(event, &mut blocked);
        }
        blocked
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<Entry>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Vec<Entry>> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What becomes of an event for one matching subscriber.
enum Handoff<'a> {
    /// Room was taken in its buffer: send it.
    Send(&'a Entry),
    /// Its lossless buffer is full: the emitter waits for room.
    Wait(&'a Entry),
}

impl Handoff<'_> {
    fn give(self, event: Emitted, blocked: &mut Vec<Blocked>) {
        match self {
            Handoff::Send(entry) => {
                if entry.sender.send(event).is_err() {
                    // The subscription is going away; nobody will take it.
                    entry.subscriber.release();
                }
            }
            Handoff::Wait(entry) => blocked.push(Blocked {
                subscriber: entry.subscriber.clone(),
                sender: entry.sender.clone(),
                event,
            }),
        }
    }
}
