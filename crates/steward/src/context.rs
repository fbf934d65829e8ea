//! What a running service gets from the host: its name, cancellation, health
//! reporting and the host's clock.

use std::borrow::Cow;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::action::ActionId;
use crate::event::{Emitted, Event, EventError, Origin};
use crate::health::Health;
use crate::host::{HostHandle, HostShared};
use crate::metrics::{EmittedCounters, Metrics};
use crate::supervisor::ServiceCell;
use crate::text::Text;

/// A service's view of the host for one attempt (a `start` and `run`, or the
/// ticks between two restarts).
///
/// Cheap to clone; clones share the same cancellation.
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
    /// Set while an action handler runs: which action, which attempt.
    action: Option<Handling>,
}

/// The action a handler's context is for.
#[derive(Debug, Clone)]
struct Handling {
    id: ActionId,
    attempt: u32,
    correlation: Correlation,
}

/// An action's correlation id: the caller's, or else the action's own id (formatted
/// only if someone asks).
#[derive(Debug, Clone)]
pub(crate) enum Correlation {
    Given(Arc<str>),
    Action(ActionId),
}

impl Correlation {
    pub(crate) fn of(given: Option<&Arc<str>>, id: ActionId) -> Self {
        given.map_or(Correlation::Action(id), |given| {
            Correlation::Given(given.clone())
        })
    }

    fn text(&self) -> Cow<'_, str> {
        match self {
            Correlation::Given(given) => Cow::Borrowed(given),
            Correlation::Action(id) => Cow::Owned(id.to_string()),
        }
    }

    fn shared(&self) -> Arc<str> {
        match self {
            Correlation::Given(given) => given.clone(),
            Correlation::Action(id) => id.to_string().into(),
        }
    }
}

impl std::fmt::Display for Correlation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Correlation::Given(given) => f.write_str(given),
            Correlation::Action(id) => id.fmt(f),
        }
    }
}

struct Inner {
    host: Arc<HostShared>,
    cell: Arc<ServiceCell>,
    /// Cancelled when the service is asked to stop.
    stop: CancellationToken,
    /// Parent of the tokens handed out by `child_token`, cancelled when this attempt
    /// ends; made on first use, as most services never ask.
    attempt: OnceLock<CancellationToken>,
    /// The counters of the events this attempt emits, by name.
    emitted: EmittedCounters,
}

impl Context {
    pub(crate) fn new(
        host: Arc<HostShared>,
        cell: Arc<ServiceCell>,
        stop: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                host,
                cell,
                stop,
                attempt: OnceLock::new(),
                emitted: EmittedCounters::default(),
            }),
            action: None,
        }
    }

    /// This context, inside the handler of action `id` on its `attempt`th attempt,
    /// with this correlation id.
    pub(crate) fn handling(&self, id: ActionId, attempt: u32, correlation: Correlation) -> Self {
        Self {
            inner: self.inner.clone(),
            action: Some(Handling {
                id,
                attempt,
                correlation,
            }),
        }
    }

    /// The correlation id of the action being handled, if any: the caller's, or
    /// else the action's own id.
    pub fn correlation_id(&self) -> Option<Cow<'_, str>> {
        self.action.as_ref().map(|action| action.correlation.text())
    }

    /// The id of the action being handled, if any: the same on every attempt,
    /// after a restart or a crash too, so a handler can tell an action it has
    /// already done (delivery is at least once) and do it only once.
    pub fn action_id(&self) -> Option<ActionId> {
        self.action.as_ref().map(|action| action.id)
    }

    /// Which attempt at the action being handled this is, if any: 1 the first
    /// time. More than 1 means an earlier attempt started and may have done some
    /// of the work: it failed and is being retried, or the process stopped (or
    /// crashed) before its outcome was recorded. An attempt interrupted because
    /// the service's own `run` failed is not counted: the action runs again with
    /// the same number (see `docs/semantics.md`, Actions).
    pub fn attempt(&self) -> Option<u32> {
        self.action.as_ref().map(|action| action.attempt)
    }

    fn correlation(&self) -> Option<Arc<str>> {
        self.action
            .as_ref()
            .map(|action| action.correlation.shared())
    }

    /// Emits an event from this service to every subscriber whose filter it
    /// passes. A slow subscriber's full buffer drops the event (see
    /// [`Subscription::missed`]), except for a [`lossless`] one: for that one this
    /// waits until the subscriber has taken its buffer down to half. Inside an action handler the event carries the
    /// action's correlation id.
    ///
    /// [`Subscription::missed`]: crate::Subscription::missed
    /// [`lossless`]: crate::Subscribe::lossless
    pub async fn emit<E: Event>(&self, event: E) -> Result<(), EventError> {
        let host = &self.inner.host;
        let origin = self.counted(E::NAME, || Text::Static(E::NAME));
        let emitted = Emitted::typed(origin, self.correlation(), host.clock.now(), event);
        self.publish(emitted).await;
        Ok(())
    }

    /// Emits an event by name with a JSON value, as other hosts and built-in
    /// services do; typed subscribers receive it if it decodes as their type.
    pub async fn emit_json(&self, name: &str, value: serde_json::Value) -> Result<(), EventError> {
        let host = &self.inner.host;
        let origin = self.counted(name, || Text::Shared(name.into()));
        let emitted = Emitted::from_json(origin, self.correlation(), host.clock.now(), value);
        self.publish(emitted).await;
        Ok(())
    }

    /// Counts an event named `name` about to be emitted; its origin, this
    /// service and the name as the host shares it (`shared()` the first time).
    fn counted(&self, name: &str, shared: impl FnOnce() -> Text) -> Arc<Origin> {
        let inner = &self.inner;
        inner
            .emitted
            .count(&inner.host.metrics, &inner.cell.name, name, shared)
    }

    /// Hands the event to its subscribers, waiting for room in the lossless
    /// ones' buffers.
    async fn publish(&self, emitted: Emitted) {
        let host = &self.inner.host;
        for waiting in host.events.emit(emitted) {
            waiting.deliver().await;
        }
    }

    /// The services of this host: actions, events and queries (the same as
    /// [`host`](Self::host)).
    pub fn services(&self) -> HostHandle {
        self.host()
    }

    /// Ends the attempt: cancels the tokens handed out by [`child_token`](Self::child_token).
    pub(crate) fn end_attempt(&self) {
        if let Some(attempt) = self.inner.attempt.get() {
            attempt.cancel();
        }
    }

    /// The token cancelled when the service is asked to stop.
    pub(crate) fn stop_token(&self) -> &CancellationToken {
        &self.inner.stop
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.inner.cell.name
    }

    /// Completes when the service is asked to stop.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.inner.stop.cancelled()
    }

    /// Whether the service has been asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.inner.stop.is_cancelled()
    }

    /// Runs `work` until it completes (`Some`) or the service is asked to stop (`None`).
    pub async fn run_until_cancelled<F: Future>(&self, work: F) -> Option<F::Output> {
        self.inner.stop.run_until_cancelled(work).await
    }

    /// A token for tasks the service spawns itself: cancelled when the service is
    /// asked to stop, and when this attempt ends (the service failed and is about
    /// to be restarted), so helpers never outlive the run that started them.
    pub fn child_token(&self) -> CancellationToken {
        self.inner
            .attempt
            .get_or_init(|| self.inner.stop.child_token())
            .child_token()
    }

    /// Reports the service's health; it stands until the next report or restart.
    ///
    /// Failed and backing-off services are unhealthy whatever they reported.
    pub fn set_health(&self, health: Health) {
        self.inner.cell.set_reported_health(health);
    }

    /// The host's wall-clock time (follows tokio's paused time under test).
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.host.clock.now()
    }

    /// The host's metrics registry, where a service registers its own metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.host.metrics
    }

    /// The host this context's service belongs to.
    pub(crate) fn host_shared(&self) -> &Arc<HostShared> {
        &self.inner.host
    }

    /// The service this context is for.
    pub(crate) fn cell(&self) -> &Arc<ServiceCell> {
        &self.inner.cell
    }

    /// A handle to the host: other services' status, health and control.
    pub fn host(&self) -> HostHandle {
        HostHandle::new(self.inner.host.clone())
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("service", &self.inner.cell.name)
            .field("cancelled", &self.inner.stop.is_cancelled())
            .field("action", &self.action)
            .finish()
    }
}
