//! Subscribing: which events, with what filter, handled how.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::FutureExt;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use super::bus::{EventFilter, Interest, Subscriber};
use super::{Emitted, Event, FromEmitted, Stamped};
use crate::action::ActionError;
use crate::error::panic_message;
use crate::host::HostShared;
use crate::text::Text;

/// How many events a subscriber's buffer holds unless told otherwise.
pub(crate) const DEFAULT_BUFFER: usize = 1024;

/// A subscription being set up: the events it wants, then
/// [`run`](Subscribe::run) a handler or take a [`stream`](Subscribe::stream).
///
/// `M` is the event type handed over: a typed [`Event`](super::Event), or
/// [`Emitted`] for events by name and wildcards.
#[must_use = "a subscription does nothing until `run` or `stream`"]
pub struct Subscribe<M> {
    host: Arc<HostShared>,
    service: Result<Option<Arc<str>>, ActionError>,
    name: Option<Arc<str>>,
    /// Every filter given, each already seeing the event as the type it was given
    /// for; all must pass.
    filter: Option<EventFilter>,
    once: bool,
    buffer: usize,
    lossless: bool,
    _events: PhantomData<fn() -> M>,
}

impl<M: FromEmitted> Subscribe<M> {
    pub(crate) fn new(
        host: Arc<HostShared>,
        service: Result<Option<Arc<str>>, ActionError>,
        name: Option<Arc<str>>,
    ) -> Self {
        Self {
            host,
            service,
            name: name.or_else(|| M::name().map(Into::into)),
            filter: None,
            once: false,
            buffer: DEFAULT_BUFFER,
            lossless: false,
            _events: PhantomData,
        }
    }

    /// Only events that pass `keep`. It runs in the emitter, before the event takes
    /// buffer space: keep it quick.
    /// Several filters all apply.
    pub fn filter(mut self, keep: impl Fn(&M) -> bool + Send + Sync + 'static) -> Self {
        let check = move |event: &Emitted| M::check(event, &keep);
        self.filter = Some(match self.filter.take() {
            Some(before) => Box::new(move |event| before(event) && check(event)),
            None => Box::new(check),
        });
        self
    }

    /// Only the first matching event; then the subscription ends.
    pub fn once(mut self) -> Self {
        self.once = true;
        self
    }

    /// How many events may wait for this subscriber (1,024 by default); more are
    /// dropped and counted in [`Subscription::missed`].
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events.max(1);
        self
    }

    /// Never drops an event: when the buffer is full, emitters wait until the
    /// subscriber has taken it down to half (back-pressure), instead of
    /// dropping the event and counting it in
    /// [`Subscription::missed`]. For pipeline stages that must see everything; a
    /// subscriber that stops taking events then stalls every service emitting to it.
    pub fn lossless(mut self) -> Self {
        self.lossless = true;
        self
    }

    /// Calls `handler` with each event, one at a time and in order, until the
    /// returned [`Subscription`] is dropped (or after one event, with `once`).
    /// A call that panics is logged and loses its event only: the next events
    /// still come.
    pub async fn run<F, Fut>(self, handler: F) -> Result<Subscription, ActionError>
    where
        F: FnMut(M) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.start(handler)
    }

    pub(crate) fn start<F, Fut>(self, mut handler: F) -> Result<Subscription, ActionError>
    where
        F: FnMut(M) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        // What names an event in the log should its handler panic: what the
        // subscription fixes, kept once, and the rest read from each event (for
        // wildcards only, so that other subscriptions pay nothing per event).
        let fixed_service = self.service.clone().ok().flatten();
        let fixed_name = self.name.clone();
        let (mut stream, subscriber) = self.open()?;
        let host = stream.host.clone();
        // A `once` stream ends by itself after its event.
        let task = tokio::spawn(async move {
            let origin = |event: &Emitted| {
                let service = fixed_service
                    .is_none()
                    .then(|| event.service_shared().clone());
                let name = fixed_name.is_none().then(|| event.name_text().clone());
                (service, name)
            };
            while let Some((event, (service, name))) = stream.next(&origin).await {
                // A handler that panics, before or after it returns its future, loses
                // that event, not its subscription.
                let call = std::panic::catch_unwind(AssertUnwindSafe(|| handler(event)));
                let handled = match call {
                    Ok(call) => AssertUnwindSafe(call).catch_unwind().await,
                    Err(panic) => Err(panic),
                };
                if let Err(panic) = handled {
                    let service = service.as_deref().or(fixed_service.as_deref());
                    let name = name.as_ref().map(Text::as_str).or(fixed_name.as_deref());
                    tracing::error!(
                        service = service.unwrap_or_default(),
                        event = name.unwrap_or_default(),
                        reason = %panic_message(panic.as_ref()),
                        "an event handler panicked; its subscription goes on",
                    );
                }
            }
        });
        Ok(Subscription {
            host,
            parts: vec![Part {
                subscriber,
                _task: AbortOnDropHandle::new(task),
            }],
        })
    }

    /// The events as a stream to pull from; dropping it unsubscribes.
    pub async fn stream(self) -> Result<EventStream<M>, ActionError> {
        let (stream, _) = self.open()?;
        Ok(stream)
    }

    fn open(self) -> Result<(EventStream<M>, Arc<Subscriber>), ActionError> {
        let service = self.service?;
        let filter = self.filter;
        // A filter checks the type itself (it sees the event as an `M`).
        let accepts = filter
            .is_none()
            .then_some(M::accepts as fn(&Emitted) -> bool);
        let interest = Interest {
            service,
            name: self.name,
            accepts,
            filter,
            once: self.once,
        };
        let (subscriber, receiver) =
            self.host
                .events
                .subscribe(interest, self.buffer, self.lossless);
        let stream = EventStream {
            host: self.host,
            subscriber: subscriber.clone(),
            receiver,
            left: self.once.then_some(1),
            _events: PhantomData,
        };
        Ok((stream, subscriber))
    }
}

impl<E: Event> Subscribe<E> {
    /// Hands the handler each event with the service that emitted it, the
    /// correlation id of the action behind it and its time, as a [`Stamped`].
    /// Filters given before this see the value alone, without a copy.
    pub fn stamped(self) -> Subscribe<Stamped<E>> {
        Subscribe {
            host: self.host,
            service: self.service,
            name: self.name,
            filter: self.filter,
            once: self.once,
            buffer: self.buffer,
            lossless: self.lossless,
            _events: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for Subscribe<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscribe")
            .field("service", &self.service)
            .field("name", &self.name)
            .field("once", &self.once)
            .field("buffer", &self.buffer)
            .field("lossless", &self.lossless)
            .finish_non_exhaustive()
    }
}

/// A running subscription (one, or several made together by
/// [`Subscriptions`](super::Subscriptions)). Dropping it unsubscribes and stops its
/// handlers.
#[must_use = "dropping a subscription unsubscribes it"]
pub struct Subscription {
    host: Arc<HostShared>,
    parts: Vec<Part>,
}

struct Part {
    subscriber: Arc<Subscriber>,
    _task: AbortOnDropHandle<()>,
}

impl Subscription {
    /// Events that matched but were dropped because a buffer was full.
    pub fn missed(&self) -> u64 {
        let missed = self
            .parts
            .iter()
            .map(|part| part.subscriber.missed.load(Ordering::Relaxed));
        missed.sum()
    }

    /// One subscription that holds both.
    pub(crate) fn merge(mut self, mut other: Subscription) -> Self {
        self.parts.append(&mut other.parts);
        self
    }

    pub(crate) fn empty(host: Arc<HostShared>) -> Self {
        Self {
            host,
            parts: Vec::new(),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        for part in &self.parts {
            self.host.events.unsubscribe(&part.subscriber);
        }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("missed", &self.missed())
            .finish_non_exhaustive()
    }
}

/// Events to pull, in emission order. Dropping it unsubscribes.
pub struct EventStream<M> {
    host: Arc<HostShared>,
    subscriber: Arc<Subscriber>,
    receiver: mpsc::UnboundedReceiver<Emitted>,
    /// For a `once` stream, how many events it may still hand out.
    left: Option<u8>,
    _events: PhantomData<fn() -> M>,
}

impl<M: FromEmitted> EventStream<M> {
    /// The next event; `None` once the host is gone, or after the one event of a
    /// `once` subscription.
    pub async fn recv(&mut self) -> Option<M> {
        self.next(|_| ()).await.map(|(event, ())| event)
    }

    /// The next event, with what `origin` reads from it before it is handed over.
    async fn next<O>(&mut self, origin: impl Fn(&Emitted) -> O) -> Option<(M, O)> {
        if self.left == Some(0) {
            return None;
        }
        loop {
            let event = self.receiver.recv().await?;
            self.subscriber.taken();
            let from = origin(&event);
            // The bus hands each subscriber its own reference: usually the only
            // one left, so the value moves out instead of being copied.
            if let Some(event) = M::from_owned(event) {
                if let Some(left) = &mut self.left {
                    *left -= 1;
                    self.host.events.unsubscribe(&self.subscriber);
                }
                return Some((event, from));
            }
        }
    }

    /// Events that matched but were dropped because the buffer was full.
    pub fn missed(&self) -> u64 {
        self.subscriber.missed.load(Ordering::Relaxed)
    }
}

impl<M> Drop for EventStream<M> {
    fn drop(&mut self) {
        self.host.events.unsubscribe(&self.subscriber);
    }
}

impl<M> std::fmt::Debug for EventStream<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("missed", &self.subscriber.missed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
