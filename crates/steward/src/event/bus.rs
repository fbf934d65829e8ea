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
    /// A `once` subscriber that already got its event.
    done: AtomicBool,
    /// A full buffer makes emitters wait for room instead of dropping the event.
    lossless: bool,
    /// Signalled when a lossless subscriber takes an event or goes away.
    room: Notify,
    /// Unsubscribed: nothing waits for room any more.
    closed: AtomicBool,
}

/// A lossless subscriber whose buffer was full when an event was emitted: the
/// emitter hands the event over once there is room.
pub(crate) struct Blocked {
    subscriber: Arc<Subscriber>,
    sender: mpsc::UnboundedSender<Emitted>,
}

impl Blocked {
    /// Waits for room in the subscriber's buffer, then hands `event` over; gives
    /// up if the subscriber goes away meanwhile.
    pub(crate) async fn deliver(self, event: Emitted) {
        let subscriber = &self.subscriber;
        loop {
            let room = subscriber.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if subscriber.closed.load(Ordering::Acquire) {
                return;
            }
            if subscriber.queued.fetch_add(1, Ordering::AcqRel) < subscriber.capacity {
                if self.sender.send(event).is_err() {
                    subscriber.queued.fetch_sub(1, Ordering::AcqRel);
                }
                return;
            }
            subscriber.queued.fetch_sub(1, Ordering::AcqRel);
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
        self.queued.fetch_sub(1, Ordering::AcqRel);
        if self.lossless {
            self.room.notify_one();
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
        let subscriber = Arc::new(Subscriber {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            missed: AtomicU64::new(0),
            queued: AtomicUsize::new(0),
            capacity: buffer.max(1),
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
    pub(crate) fn emit(&self, event: &Emitted) -> Vec<Blocked> {
        let mut blocked = Vec::new();
        for entry in self.read().iter() {
            if !entry.interest.matches(event) {
                continue;
            }
            if entry.interest.once && entry.subscriber.done.swap(true, Ordering::AcqRel) {
                continue;
            }
            let subscriber = &entry.subscriber;
            if subscriber.queued.fetch_add(1, Ordering::AcqRel) >= subscriber.capacity {
                subscriber.queued.fetch_sub(1, Ordering::AcqRel);
                if subscriber.lossless {
                    blocked.push(Blocked {
                        subscriber: subscriber.clone(),
                        sender: entry.sender.clone(),
                    });
                } else {
                    subscriber.missed.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
            if entry.sender.send(event.clone()).is_err() {
                // The subscription is going away; nobody will take it.
                subscriber.queued.fetch_sub(1, Ordering::AcqRel);
            }
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
