//! Delivery of emitted events to subscribers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use tokio::sync::mpsc::{self, error::TrySendError};

use super::Emitted;

/// A filter applied to emitted events.
pub(crate) type EventFilter = Box<dyn Fn(&Emitted) -> bool + Send + Sync>;

/// Which events a subscriber wants.
pub(crate) struct Interest {
    /// Only this service's, or everyone's.
    pub(crate) service: Option<Arc<str>>,
    /// Only events of this name, or all.
    pub(crate) name: Option<Arc<str>>,
    /// Checked in the emitter, so that unwanted events take no buffer space.
    pub(crate) filter: Option<EventFilter>,
    /// Ends after the first event delivered.
    pub(crate) once: bool,
}

impl Interest {
    fn matches(&self, event: &Emitted) -> bool {
        self.service
            .as_deref()
            .is_none_or(|service| service == event.service())
            && self.name.as_deref().is_none_or(|name| name == event.name())
            && self.filter.as_ref().is_none_or(|filter| filter(event))
    }
}

/// One subscriber as the bus holds it.
pub(crate) struct Subscriber {
    id: u64,
    interest: Interest,
    sender: mpsc::Sender<Emitted>,
    /// Events that matched but found the buffer full.
    pub(crate) missed: AtomicU64,
    /// A `once` subscriber that already got its event.
    done: AtomicBool,
}

/// Every subscriber of one host.
#[derive(Default)]
pub(crate) struct EventBus {
    subscribers: RwLock<Vec<Arc<Subscriber>>>,
    next_id: AtomicU64,
}

impl EventBus {
    /// Adds a subscriber with a buffer of `buffer` events.
    pub(crate) fn subscribe(
        &self,
        interest: Interest,
        buffer: usize,
    ) -> (Arc<Subscriber>, mpsc::Receiver<Emitted>) {
        let (sender, receiver) = mpsc::channel(buffer.max(1));
        let subscriber = Arc::new(Subscriber {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            interest,
            sender,
            missed: AtomicU64::new(0),
            done: AtomicBool::new(false),
        });
        let mut subscribers = self
            .subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        subscribers.push(subscriber.clone());
        (subscriber, receiver)
    }

    pub(crate) fn unsubscribe(&self, subscriber: &Subscriber) {
        let mut subscribers = self
            .subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        subscribers.retain(|held| held.id != subscriber.id);
    }

    /// How many subscriptions are open.
    pub(crate) fn len(&self) -> usize {
        self.subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Hands the event to every matching subscriber without waiting for any.
    pub(crate) fn emit(&self, event: &Emitted) {
        let subscribers = self
            .subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        for subscriber in subscribers.iter() {
            if !subscriber.interest.matches(event) {
                continue;
            }
            if subscriber.interest.once && subscriber.done.swap(true, Ordering::AcqRel) {
                continue;
            }
            match subscriber.sender.try_send(event.clone()) {
                Ok(()) | Err(TrySendError::Closed(_)) => {}
                Err(TrySendError::Full(_)) => {
                    subscriber.missed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}
