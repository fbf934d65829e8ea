//! Another service's events that a built-in listens to: named `SERVICE:EVENT` in
//! settings, subscribed without loss in `start` (so the source, which waits for
//! its listeners, never emits unseen), and taken by `run`.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Deserializer};
use steward::{Context, Emitted, EventStream};

/// Another service's event: `watcher:file.created`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSource {
    /// The service that emits it.
    pub service: String,
    /// The event's name.
    pub event: String,
}

impl<'de> Deserialize<'de> for EventSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.split_once(':') {
            Some((service, event)) if !service.is_empty() && !event.is_empty() => Ok(Self {
                service: service.to_owned(),
                event: event.to_owned(),
            }),
            _ => Err(serde::de::Error::custom(format!(
                "`{text}`: give the service and its event as `SERVICE:EVENT`, such as `watcher:file.created`"
            ))),
        }
    }
}

impl fmt::Display for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.event)
    }
}

impl EventSource {
    /// Subscribes to it without loss: when `buffer` events wait, the source waits.
    async fn subscribe(
        &self,
        cx: &Context,
        buffer: usize,
    ) -> steward::Result<EventStream<Emitted>> {
        let events = cx
            .host()
            .named(&self.service)
            .on_named(&self.event)
            .buffer(buffer)
            .lossless()
            .stream()
            .await?;
        Ok(events)
    }
}

/// A subscription opened by a service's `start` and taken by its `run`.
#[derive(Debug, Default)]
pub(crate) struct Subscription {
    events: Mutex<Option<EventStream<Emitted>>>,
}

impl Subscription {
    /// Subscribes to `source`, replacing what a previous attempt left.
    pub(crate) async fn open(
        &self,
        cx: &Context,
        source: &EventSource,
        buffer: usize,
    ) -> steward::Result {
        let events = source.subscribe(cx, buffer).await?;
        *self.lock() = Some(events);
        Ok(())
    }

    /// The subscription `start` opened, if it did.
    pub(crate) fn take(&self) -> Option<EventStream<Emitted>> {
        self.lock().take()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<EventStream<Emitted>>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
