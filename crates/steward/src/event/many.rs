//! Several subscriptions made, and ended, together.

use std::future::Future;
use std::sync::Arc;

use super::{Emitted, Event, FromEmitted, Subscribe, Subscription};
use crate::action::ActionError;
use crate::host::HostShared;

type Starter = Box<dyn FnOnce() -> Result<Subscription, ActionError> + Send>;

/// Several handlers set up in one chain and held by one [`Subscription`]:
///
/// ```no_run
/// # #[allow(dead_code)] #[derive(Clone, serde::Serialize, serde::Deserialize)] struct TranslationCompleted;
/// # impl steward::Event for TranslationCompleted { const NAME: &'static str = "translation.completed"; }
/// # #[allow(dead_code)] #[derive(Clone, serde::Serialize, serde::Deserialize)] struct Progress;
/// # impl steward::Event for Progress { const NAME: &'static str = "translation.progress"; }
/// # async fn example(services: steward::HostHandle) -> Result<(), steward::ActionError> {
/// let subscription = services
///     .subscribe()
///     .on(|_done: TranslationCompleted| async move { /* … */ })
///     .on(|_progress: Progress| async move { /* … */ })
///     .with(services.named("watcher").on_named("file.created").once(), |_event| async move { /* … */ })
///     .start()
///     .await?;
/// # drop(subscription); Ok(()) }
/// # let _ = example;
/// ```
///
/// Made by [`HostHandle::subscribe`](crate::HostHandle::subscribe) (events of every
/// service) or [`ServiceRef::subscribe`](crate::ServiceRef::subscribe) (one service's).
#[must_use = "nothing is subscribed until `start`"]
pub struct Subscriptions {
    host: Arc<HostShared>,
    service: Result<Option<Arc<str>>, ActionError>,
    starters: Vec<Starter>,
}

impl Subscriptions {
    pub(crate) fn new(
        host: Arc<HostShared>,
        service: Result<Option<Arc<str>>, ActionError>,
    ) -> Self {
        Self {
            host,
            service,
            starters: Vec::new(),
        }
    }

    /// Handles every event of type `E` (from the service, or from any service).
    pub fn on<E, F, Fut>(self, handler: F) -> Self
    where
        E: Event,
        F: FnMut(E) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let subscribe = Subscribe::<E>::new(self.host.clone(), self.service.clone(), None);
        self.with(subscribe, handler)
    }

    /// Handles every event named `name`, as JSON.
    pub fn on_named<F, Fut>(self, name: &str, handler: F) -> Self
    where
        F: FnMut(Emitted) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let subscribe =
            Subscribe::<Emitted>::new(self.host.clone(), self.service.clone(), Some(name.into()));
        self.with(subscribe, handler)
    }

    /// Handles the events of a subscription set up elsewhere (with a filter, `once`
    /// or a buffer size).
    pub fn with<M, F, Fut>(mut self, subscribe: Subscribe<M>, handler: F) -> Self
    where
        M: FromEmitted,
        F: FnMut(M) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.starters
            .push(Box::new(move || subscribe.start(handler)));
        self
    }

    /// Subscribes every handler; if one cannot be, none is.
    pub async fn start(self) -> Result<Subscription, ActionError> {
        let mut all = Subscription::empty(self.host);
        for start in self.starters {
            all = all.merge(start()?);
        }
        Ok(all)
    }
}

impl std::fmt::Debug for Subscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriptions")
            .field("service", &self.service)
            .field("handlers", &self.starters.len())
            .finish()
    }
}
