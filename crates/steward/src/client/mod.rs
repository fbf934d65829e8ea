//! The fluent client: one service's actions, events and queries, by type or by name.

mod commands;
mod effective;

use std::any::TypeId;
use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::action::{ActionError, ActionInfo, ActionRecord, ActionRequest};
use crate::event::{Emitted, Event, EventInfo, Subscribe, Subscriptions};
use crate::health::Health;
use crate::host::HostShared;
use crate::service::ServiceKind;
use crate::status::ServiceStatus;
use effective::effective_config;

/// One service, addressed by name or by its Rust type, as callers reach it.
///
/// A reference names the service, not one run of it: it stays valid across the
/// service's restarts. Made by [`HostHandle::of`](crate::HostHandle::of) (typed) or
/// [`HostHandle::named`](crate::HostHandle::named) (by name, JSON).
pub struct ServiceRef<T = ()> {
    pub(crate) host: Arc<HostShared>,
    /// How the caller named it (a name, or a type's name), for `Debug`.
    target: Cow<'static, str>,
    /// The service's place in the host, looked up once: a host's services never
    /// change after it is built.
    index: Result<usize, ActionError>,
    _service: PhantomData<fn() -> T>,
}

/// What a caller can learn about a service without running anything.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ServiceInfo {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ServiceKind,
    /// The configured kind it is an instance of (`process`), if it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builtin: Option<&'static str>,
    /// A periodic service's schedule.
    pub schedule: Option<String>,
    /// The actions it answers.
    pub actions: Vec<ActionInfo>,
    /// The events it declares it emits.
    pub events: Vec<EventInfo>,
    /// How many of its actions may run at once.
    pub max_concurrency: Option<usize>,
    /// Its mailbox, if it has actions.
    pub queue: Option<QueueInfo>,
    /// Its effective configuration table.
    pub config: Value,
}

/// A service's mailbox at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct QueueInfo {
    /// Actions waiting now.
    pub depth: usize,
    /// Actions that may wait.
    pub capacity: usize,
    /// Actions waiting for their time, not yet in line (they take no place in it):
    /// scheduled for later, or retries waiting out their backoff.
    pub scheduled: usize,
}

impl<T> ServiceRef<T> {
    pub(crate) fn named(host: Arc<HostShared>, name: &str) -> Self {
        Self {
            index: host.find_name(name),
            host,
            target: Cow::Owned(name.to_owned()),
            _service: PhantomData,
        }
    }

    pub(crate) fn index(&self) -> Result<usize, ActionError> {
        self.index.clone()
    }

    /// Prepares an action with typed parameters (a JSON [`Value`] works too: it is
    /// checked against the action's parameter type when sent).
    pub fn act<P: Serialize + Send + 'static>(&self, action: &str, params: P) -> ActionRequest {
        ActionRequest::new(self.host.clone(), self.index(), action, params)
    }

    /// Prepares an action with JSON parameters, as the HTTP API and the CLI send them.
    pub fn act_json(&self, action: &str, params: Value) -> ActionRequest {
        ActionRequest::json(self.host.clone(), self.index(), action, params)
    }

    /// Subscribes to this service's events of type `E`.
    pub fn on<E: Event>(&self) -> Subscribe<E> {
        Subscribe::new(self.host.clone(), self.service_name().map(Some), None)
    }

    /// Subscribes to this service's events named `name`, whatever their type.
    pub fn on_named(&self, name: &str) -> Subscribe<Emitted> {
        Subscribe::new(
            self.host.clone(),
            self.service_name().map(Some),
            Some(name.into()),
        )
    }

    /// Several handlers for this service's events, started and ended together.
    pub fn subscribe(&self) -> Subscriptions {
        Subscriptions::new(self.host.clone(), self.service_name().map(Some))
    }

    /// Subscribes to every event this service emits.
    pub fn events(&self) -> Subscribe<Emitted> {
        Subscribe::new(self.host.clone(), self.service_name().map(Some), None)
    }

    /// Its state, health summary, restarts and run history.
    pub async fn status(&self) -> Result<ServiceStatus, ActionError> {
        let index = self.index()?;
        Ok(self.host.cells[index].status(&self.host.clock))
    }

    /// Its health, as reported and as derived from its state.
    pub async fn health(&self) -> Result<Health, ActionError> {
        let index = self.index()?;
        Ok(self.host.cells[index].health())
    }

    /// Its schedule, actions and effective configuration.
    pub async fn info(&self) -> Result<ServiceInfo, ActionError> {
        let index = self.index()?;
        let cell = &self.host.cells[index];
        let config = effective_config(&self.host, cell);
        let actions = cell.actions.as_ref();
        Ok(ServiceInfo {
            name: cell.name.to_string(),
            kind: cell.spec.kind,
            builtin: cell.spec.builtin,
            schedule: cell.spec.schedule.as_ref().map(ToString::to_string),
            actions: actions
                .map(|actions| actions.table.infos())
                .unwrap_or_default(),
            events: cell.spec.emits.to_vec(),
            max_concurrency: actions.map(|actions| actions.max_concurrency),
            queue: actions.map(|actions| actions.queue()),
            config,
        })
    }

    /// Its finished actions (succeeded, failed, timed out, cancelled or
    /// dead-lettered) that the host's journal still holds, the most recently
    /// finished first, at most `limit`. How far back it goes is the journal's
    /// history setting (`[journal] keep_finished`, `keep_for`).
    pub async fn history(&self, limit: usize) -> Result<Vec<ActionRecord>, ActionError> {
        let name = self.service_name()?;
        Ok(self.host.journal.history(&name, limit).await?)
    }

    fn service_name(&self) -> Result<Arc<str>, ActionError> {
        let index = self.index()?;
        Ok(self.host.cells[index].name.clone())
    }
}

impl<T: 'static> ServiceRef<T> {
    pub(crate) fn of(host: Arc<HostShared>) -> Self {
        let (type_id, type_name) = (TypeId::of::<T>(), std::any::type_name::<T>());
        Self {
            index: host.find_type(type_id, type_name),
            host,
            target: Cow::Borrowed(type_name),
            _service: PhantomData,
        }
    }
}

impl<T> Clone for ServiceRef<T> {
    fn clone(&self) -> Self {
        Self {
            host: self.host.clone(),
            target: self.target.clone(),
            index: self.index.clone(),
            _service: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ServiceRef<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceRef")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}
