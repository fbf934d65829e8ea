//! A service definition: a name, a kind, options, and how to build the service from
//! its configured settings.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::erased::{AsContinuous, AsPeriodic, ErasedStartup, Supervised};
use super::table_key::TableKey;
use super::traits::{Continuous, Periodic, Startup};
use crate::action::{ActionTable, ErasedTable};
use crate::config::{Environment, SettingsError};
use crate::event::{Event, EventInfo};
use crate::restart::Restart;
use crate::schedule::Schedule;

/// Which of the three kinds a service is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ServiceKind {
    /// Runs until cancelled.
    Continuous,
    /// Ticks on a schedule.
    Periodic,
    /// Runs once, in order, during start-up.
    Startup,
}

impl ServiceKind {
    /// The kind's name (`periodic`).
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Continuous => "continuous",
            ServiceKind::Periodic => "periodic",
            ServiceKind::Startup => "startup",
        }
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A built service, ready to be supervised.
#[derive(Clone)]
pub(crate) enum Body {
    /// Continuous or periodic: the kind is in the spec.
    Supervised(Arc<dyn Supervised>),
    Startup(Arc<dyn ErasedStartup>),
}

impl Body {
    /// The user's service itself.
    pub(crate) fn service(&self) -> &(dyn Any + Send + Sync) {
        match self {
            Body::Supervised(work) => work.service(),
            Body::Startup(service) => service.service(),
        }
    }
}

/// How a service is made once its configuration is known.
pub(crate) enum Factory {
    /// Made in code already: it takes no settings.
    Made(Body),
    /// Made from its typed `settings` table.
    FromSettings(Box<dyn FnOnce(Option<Value>) -> Result<Body, SettingsError> + Send>),
}

impl Factory {
    /// The service, given its `settings` from configuration.
    pub(crate) fn make(self, settings: Option<Value>) -> Result<Body, SettingsError> {
        match self {
            Factory::Made(body) => match settings {
                Some(value) if !is_empty(&value) => Err(SettingsError {
                    path: String::new(),
                    reason: "this service takes no settings".to_owned(),
                }),
                _ => Ok(body),
            },
            Factory::FromSettings(build) => build(settings),
        }
    }
}

/// Options set in code; configuration may override each of them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServiceOptions {
    pub(crate) disabled: bool,
    pub(crate) environments: Option<Vec<Environment>>,
    pub(crate) critical: bool,
    pub(crate) depends_on: Vec<String>,
    pub(crate) order: i32,
    pub(crate) restart: Option<Restart>,
    pub(crate) stop_timeout: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) continue_on_failure: bool,
    pub(crate) schedule: Option<Schedule>,
}

/// A named service and its options, ready to hand to
/// [`HostBuilder::service`](crate::HostBuilder::service).
///
/// Made by [`continuous`], [`periodic`] and [`startup`] (or their `_with` forms that
/// bind typed settings from configuration), then refined:
///
/// ```
/// # use steward::{Context, Continuous, Result};
/// # struct Db; impl Continuous for Db { async fn run(&self, cx: &Context) -> Result { cx.cancelled().await; Ok(()) } }
/// # struct Api; impl Continuous for Api { async fn run(&self, cx: &Context) -> Result { cx.cancelled().await; Ok(()) } }
/// use steward::{Host, continuous};
///
/// let host = Host::builder()
///     .service(continuous("db", Db).critical())
///     .service(continuous("api", Api).depends_on(["db"]))
///     .build()?;
/// assert_eq!(host.handle().services()[1].depends_on, ["db"]);
/// # Ok::<(), steward::HostError>(())
/// ```
pub struct ServiceDef {
    pub(crate) name: String,
    pub(crate) kind: ServiceKind,
    pub(crate) options: ServiceOptions,
    pub(crate) factory: Factory,
    pub(crate) actions: Option<ActionsDef>,
    pub(crate) emits: Vec<EventInfo>,
    /// The configured kind it is an instance of, if it is one.
    pub(crate) builtin: Option<&'static str>,
    /// Options set in code that cannot work, reported when the host is built.
    pub(crate) misused: Vec<&'static str>,
    /// Keys of its table it reads itself, handed to it in its settings.
    pub(crate) table_keys: Vec<TableKey>,
}

/// A service's actions as registered, with how many run at once and wait.
pub(crate) struct ActionsDef {
    pub(crate) table: Box<dyn ErasedTable>,
    pub(crate) type_name: &'static str,
    pub(crate) max_concurrency: usize,
    pub(crate) capacity: usize,
}

/// How many actions wait in a mailbox unless told otherwise.
pub(crate) const DEFAULT_MAILBOX: usize = 1024;

impl ServiceDef {
    /// The service's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The service's kind.
    pub fn kind(&self) -> ServiceKind {
        self.kind
    }

    /// Marks the service critical: while it is not running the host is not ready,
    /// its health is the host's, and (when configured) its failure shuts the host down.
    pub fn critical(mut self) -> Self {
        self.options.critical = true;
        self
    }

    /// Starts this service only after these are running, and stops it before them.
    pub fn depends_on<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.options
            .depends_on
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// Sets the start order: lower first. For startup services it is the order they
    /// run in; for the others it orders start-up and (reversed) shutdown.
    pub fn order(mut self, order: i32) -> Self {
        self.options.order = order;
        self
    }

    /// Sets the restart policy, backoff and intensity (the host's default otherwise).
    pub fn restart(mut self, restart: Restart) -> Self {
        self.options.restart = Some(restart);
        self
    }

    /// How long a stop waits for the service before abandoning it.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.options.stop_timeout = Some(timeout);
        self
    }

    /// For a startup service, how long it may run; for the others, how long the
    /// `start` hook may take.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// For a startup service: a failure is logged and start-up goes on.
    pub fn continue_on_failure(mut self) -> Self {
        self.options.continue_on_failure = true;
        self
    }

    /// Registers the service switched off; configuration may switch it on.
    pub fn disabled(mut self) -> Self {
        self.options.disabled = true;
        self
    }

    /// Runs the service only in these environments.
    pub fn environments(mut self, environments: impl IntoIterator<Item = Environment>) -> Self {
        self.options.environments = Some(environments.into_iter().collect());
        self
    }

    /// Replaces a periodic service's own schedule.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.options.schedule = Some(schedule);
        self
    }

    /// Gives the service actions: named requests callers send it (see
    /// [`ActionTable`]). `S` must be the service's own type; the host says so at
    /// build time if it is not.
    pub fn actions<S: Send + Sync + 'static>(mut self, table: ActionTable<S>) -> Self {
        let (max_concurrency, capacity) = self
            .actions
            .as_ref()
            .map_or((1, DEFAULT_MAILBOX), |actions| {
                (actions.max_concurrency, actions.capacity)
            });
        self.actions = Some(ActionsDef {
            table: Box::new(table),
            type_name: std::any::type_name::<S>(),
            max_concurrency,
            capacity,
        });
        self
    }

    /// Declares that the service emits events of type `E`, so that callers see them
    /// (with their schema) in [`ServiceInfo`](crate::ServiceInfo).
    pub fn emits<E: Event>(mut self) -> Self {
        if !self.emits.iter().any(|known| known.name == E::NAME) {
            self.emits.push(EventInfo::of::<E>());
        }
        self
    }

    /// How many of its actions may run at once (1 by default). Call after
    /// [`actions`](Self::actions); on a service without actions, or as 0, it is an
    /// error when the host is built.
    pub fn max_concurrency(mut self, handlers: usize) -> Self {
        match &mut self.actions {
            _ if handlers == 0 => self.misuse("`max_concurrency` must be at least 1"),
            Some(actions) => actions.max_concurrency = handlers,
            None => self.misuse(
                "`max_concurrency` is set but the service has no actions (set it after `actions`)",
            ),
        }
        self
    }

    /// How many of its actions may wait (1,024 by default); callers then wait for
    /// room or are told the queue is full. Call after [`actions`](Self::actions); on
    /// a service without actions, or as 0, it is an error when the host is built.
    pub fn mailbox(mut self, capacity: usize) -> Self {
        match &mut self.actions {
            _ if capacity == 0 => self.misuse("`mailbox` must be at least 1"),
            Some(actions) => actions.capacity = capacity,
            None => self
                .misuse("`mailbox` is set but the service has no actions (set it after `actions`)"),
        }
        self
    }

    /// Keys of its `[services.NAME]` table that the service reads itself: the
    /// host hands each one the table gives to the service inside its settings, as
    /// if it were written there, and reports a problem with it at the table's key.
    /// Without this a table may not give `on`, and only a periodic service may
    /// give `interval` or `cron`.
    ///
    /// ```
    /// use steward::{Context, Continuous, Host, Result, TableKey};
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Settings { on: String }
    ///
    /// struct Listener { settings: Settings }
    /// impl Continuous for Listener {
    ///     async fn run(&self, cx: &Context) -> Result {
    ///         tracing::info!(on = %self.settings.on, "listening");
    ///         cx.cancelled().await;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let def = steward::continuous_with("listener", |settings| Listener { settings })
    ///     .table_keys([TableKey::On]);
    /// let host = Host::builder()
    ///     .service(def)
    ///     .config_toml("steward.toml", "[services.listener]\non = \"batcher:batch.closed\"")
    ///     .build();
    /// // `batcher` is no service of this host, but the key was read.
    /// assert!(host.is_ok());
    /// ```
    ///
    /// A periodic service's `interval` and `cron` are its schedule, which the host
    /// keeps: handing them over is an error when the host is built.
    pub fn table_keys(mut self, keys: impl IntoIterator<Item = TableKey>) -> Self {
        for key in keys {
            let schedule = matches!(key, TableKey::Interval | TableKey::Cron);
            if schedule && self.kind == ServiceKind::Periodic {
                self.misuse("a periodic service's `interval` and `cron` are its schedule, kept by the host: do not hand them over with `table_keys`");
            } else if !self.table_keys.contains(&key) {
                self.table_keys.push(key);
            }
        }
        self
    }

    /// Notes an option set in a way that cannot work: the host's build reports it.
    fn misuse(&mut self, reason: &'static str) {
        self.misused.push(reason);
    }

    fn new(name: impl Into<String>, kind: ServiceKind, factory: Factory) -> Self {
        Self {
            name: name.into(),
            kind,
            options: ServiceOptions::default(),
            factory,
            actions: None,
            emits: Vec::new(),
            builtin: None,
            misused: Vec::new(),
            table_keys: Vec::new(),
        }
    }
}

impl fmt::Debug for ServiceDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceDef")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A continuous service that takes no settings.
pub fn continuous<S: Continuous>(name: impl Into<String>, service: S) -> ServiceDef {
    let body = Body::Supervised(Arc::new(AsContinuous(service)));
    ServiceDef::new(name, ServiceKind::Continuous, Factory::Made(body))
}

/// A continuous service built from its typed `settings` table.
///
/// ```
/// # use steward::{Context, Continuous, Result};
/// #[derive(serde::Deserialize)]
/// #[serde(deny_unknown_fields)]
/// struct WatchSettings { folder: String }
///
/// struct Watcher { settings: WatchSettings }
/// impl Continuous for Watcher {
///     async fn run(&self, cx: &Context) -> Result {
///         tracing::info!(folder = %self.settings.folder, "watching");
///         cx.cancelled().await;
///         Ok(())
///     }
/// }
///
/// // Built from `[services.watcher] settings = { folder = "inbox" }` when the host is built.
/// let def = steward::continuous_with("watcher", |settings: WatchSettings| Watcher { settings });
/// assert_eq!(def.name(), "watcher");
/// ```
pub fn continuous_with<S, T, F>(name: impl Into<String>, build: F) -> ServiceDef
where
    S: Continuous,
    T: DeserializeOwned,
    F: FnOnce(T) -> S + Send + 'static,
{
    let factory =
        with_settings(move |settings| Body::Supervised(Arc::new(AsContinuous(build(settings)))));
    ServiceDef::new(name, ServiceKind::Continuous, factory)
}

/// A periodic service that takes no settings.
pub fn periodic<S: Periodic>(name: impl Into<String>, service: S) -> ServiceDef {
    let body = Body::Supervised(Arc::new(AsPeriodic::new(service)));
    ServiceDef::new(name, ServiceKind::Periodic, Factory::Made(body))
}

/// A periodic service built from its typed `settings` table.
pub fn periodic_with<S, T, F>(name: impl Into<String>, build: F) -> ServiceDef
where
    S: Periodic,
    T: DeserializeOwned,
    F: FnOnce(T) -> S + Send + 'static,
{
    let factory =
        with_settings(move |settings| Body::Supervised(Arc::new(AsPeriodic::new(build(settings)))));
    ServiceDef::new(name, ServiceKind::Periodic, factory)
}

/// A startup service that takes no settings.
pub fn startup<S: Startup>(name: impl Into<String>, service: S) -> ServiceDef {
    let body = Body::Startup(Arc::new(service));
    ServiceDef::new(name, ServiceKind::Startup, Factory::Made(body))
}

/// A startup service built from its typed `settings` table.
pub fn startup_with<S, T, F>(name: impl Into<String>, build: F) -> ServiceDef
where
    S: Startup,
    T: DeserializeOwned,
    F: FnOnce(T) -> S + Send + 'static,
{
    let factory = with_settings(move |settings| Body::Startup(Arc::new(build(settings))));
    ServiceDef::new(name, ServiceKind::Startup, factory)
}

fn with_settings<T, F>(build: F) -> Factory
where
    T: DeserializeOwned,
    F: FnOnce(T) -> Body + Send + 'static,
{
    Factory::FromSettings(Box::new(move |settings| {
        let value = settings.unwrap_or_else(|| Value::Object(Default::default()));
        let typed = SettingsError::deserialize::<T>(value)?;
        Ok(build(typed))
    }))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}
