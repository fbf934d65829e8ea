//! The host's metrics registry: what the supervisor, the action dispatcher and the
//! event bus measure as they go, and what is read off the services at scrape time,
//! in the Prometheus names other people's dashboards depend on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};
use prometheus_client::registry::Registry;

pub use prometheus_client::metrics::counter::Counter;
pub use prometheus_client::metrics::family::Family;
pub use prometheus_client::metrics::gauge::Gauge;
pub use prometheus_client::metrics::histogram::Histogram;
pub use prometheus_client::registry::Metric;

use crate::action::ActionState;
use crate::state::State;
use crate::status::Outcome;
use crate::supervisor::ServiceCell;
use crate::text::Text;

mod durations;
mod emitted;

pub(crate) use durations::Durations;
pub(crate) use emitted::EmittedCounters;

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

impl EncodeLabelValue for Text {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

type Labels<const N: usize> = [(&'static str, Text); N];

/// A registered metric that others may ask for by name.
type Shared = Box<dyn std::any::Any + Send + Sync>;

/// A host's metrics: Steward's own (`steward_*`) and any that services and
/// adapters register. Cheap to clone; every clone is the same registry.
///
/// ```
/// use steward::metrics::{Counter, Metrics};
///
/// let metrics = Metrics::default();
/// let seen = Counter::<u64>::default();
/// metrics.register("files_seen", "Files the watcher noticed", seen.clone());
/// seen.inc();
/// // A second registration under the same name keeps the first metric.
/// metrics.register("files_seen", "Files the watcher noticed", Counter::<u64>::default());
/// assert!(metrics.encode().contains("files_seen_total 1"));
/// ```
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The services whose gauges are read at scrape time.
    cells: Vec<Arc<ServiceCell>>,
    /// Metrics registered by services and adapters, by name, with a handle on
    /// those registered to be shared.
    registry: Mutex<(Registry, HashMap<String, Option<Shared>>)>,
    run_duration: Family<Labels<1>, Durations>,
    action_duration: Family<Labels<3>, Durations>,
    events: Family<Labels<2>, Counter>,
}

impl Metrics {
    /// A host's registry, reading its services' gauges at scrape time.
    pub(crate) fn of(cells: Vec<Arc<ServiceCell>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                cells,
                ..Inner::default()
            }),
        }
    }

    /// Registers a metric under `name` (Prometheus rules: letters, digits and
    /// underscores; counters get `_total` added). Built-in services register theirs
    /// as `steward_<builtin>_*`.
    ///
    /// A name registered twice keeps its first metric, so a service may register
    /// in `start`, which runs again on every restart, metrics it keeps in its own
    /// struct.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        let mut registry = self.registry();
        let (registry, names) = &mut *registry;
        if !names.contains_key(name) {
            names.insert(name.to_owned(), None);
            registry.register(name, help, metric);
        }
    }

    /// The metric registered under `name`, registering the one `make` builds if
    /// there is none yet: how several instances of one service kind share a
    /// family, each writing its own labels. (A name taken by a metric of another
    /// type gets a fresh metric that is not exported, and a warning.)
    ///
    /// ```
    /// use steward::metrics::{Family, Gauge, Metrics};
    ///
    /// let metrics = Metrics::default();
    /// let open = || Family::<Vec<(String, String)>, Gauge>::default();
    /// let first = metrics.shared("batches_open", "Open batches", open);
    /// let second = metrics.shared("batches_open", "Open batches", open);
    /// first.get_or_create(&vec![("service".into(), "a".into())]).set(3);
    /// assert_eq!(second.get_or_create(&vec![("service".into(), "a".into())]).get(), 3);
    /// ```
    pub fn shared<M: Metric + Clone>(&self, name: &str, help: &str, make: impl FnOnce() -> M) -> M {
        let mut registry = self.registry();
        let (registry, names) = &mut *registry;
        match names.get(name) {
            None => {
                let metric = make();
                registry.register(name, help, metric.clone());
                names.insert(name.to_owned(), Some(Box::new(metric.clone())));
                metric
            }
            Some(existing) => match existing
                .as_ref()
                .and_then(|shared| shared.downcast_ref::<M>())
            {
                Some(metric) => metric.clone(),
                None => {
                    tracing::warn!(
                        name,
                        "a metric of another type has this name; this one is not exported"
                    );
                    make()
                }
            },
        }
    }

    /// Everything in the OpenMetrics text format (see [`CONTENT_TYPE`]), with
    /// the services' gauges read now.
    pub fn encode(&self) -> String {
        let mut steward = Registry::with_prefix("steward");
        self.register_own(&mut steward);
        let mut text = String::new();
        let encoded = prometheus_client::encoding::text::encode_registry(&mut text, &steward)
            .and_then(|()| {
                prometheus_client::encoding::text::encode_registry(&mut text, &self.registry().0)
            })
            .and_then(|()| prometheus_client::encoding::text::encode_eof(&mut text));
        if let Err(error) = encoded {
            // Writing to a String does not fail; a metric's own encoder might.
            tracing::warn!(%error, "a metric could not be encoded");
        }
        text
    }

    /// Steward's own metrics: the recorded families and the gauges read now.
    fn register_own(&self, registry: &mut Registry) {
        let up = Family::<Labels<1>, Gauge>::default();
        let restarts = Family::<Labels<1>, Counter>::default();
        let queue = Family::<Labels<1>, Gauge>::default();
        let runs = Family::<Labels<2>, Counter>::default();
        for cell in &self.inner.cells {
            let service = [("service", Text::Shared(cell.name.clone()))];
            let running = cell.current_state() == State::Running;
            up.get_or_create(&service).set(i64::from(running));
            restarts
                .get_or_create(&service)
                .inc_by(u64::from(cell.record().restarts));
            if let Some(actions) = &cell.actions {
                let depth = i64::try_from(actions.mailbox.depth()).unwrap_or(i64::MAX);
                queue.get_or_create(&service).set(depth);
            }
            // Counted beside the run histogram, where a tick touches one cache
            // line; a service that never ran has no series yet.
            if let Some(counts) = cell.run_counts() {
                let (succeeded, failed) = counts.outcomes();
                for (outcome, count) in [(Outcome::Success, succeeded), (Outcome::Failure, failed)]
                {
                    let labels = [
                        service[0].clone(),
                        ("outcome", Text::Static(outcome.as_str())),
                    ];
                    runs.get_or_create(&labels).inc_by(count);
                }
            }
        }
        let inner = &self.inner;
        registry.register(
            "service_up",
            "Whether the service is running (1) or not (0)",
            up,
        );
        registry.register(
            "service_restarts",
            "Restarts of the service since the host started",
            restarts,
        );
        registry.register(
            "service_runs",
            "Runs of a continuous service that ended by themselves, and ticks of a periodic one, by outcome",
            runs,
        );
        registry.register(
            "service_run_duration_seconds",
            "How long runs and ticks took",
            inner.run_duration.clone(),
        );
        registry.register(
            "action_queue_depth",
            "Actions waiting in the service's mailbox",
            queue,
        );
        registry.register(
            "action_duration_seconds",
            "How long action attempts took, by outcome",
            inner.action_duration.clone(),
        );
        registry.register(
            "events_emitted",
            "Events emitted, by service and name",
            inner.events.clone(),
        );
    }

    /// A service's run counters and duration histogram, for it to keep rather
    /// than look them up per run.
    pub(crate) fn runs(&self, service: &Arc<str>) -> RunMetrics {
        let labels = [("service", Text::Shared(service.clone()))];
        RunMetrics(self.inner.run_duration.get_or_create_owned(&labels))
    }

    /// The histogram of an action's attempts that ended in `state`; the
    /// dispatcher keeps it rather than look it up per attempt.
    pub(crate) fn action_duration(
        &self,
        service: &Arc<str>,
        action: &Arc<str>,
        state: ActionState,
    ) -> Durations {
        let labels = [
            ("service", Text::Shared(service.clone())),
            ("action", Text::Shared(action.clone())),
            ("outcome", Text::Static(state.as_str())),
        ];
        self.inner.action_duration.get_or_create_owned(&labels)
    }

    /// The counter of the events named `event` that a service emits, for it to
    /// keep rather than look up per event.
    pub(crate) fn events_emitted(&self, service: &Arc<str>, event: Text) -> Counter {
        let labels = [("service", Text::Shared(service.clone())), ("event", event)];
        self.inner.events.get_or_create_owned(&labels)
    }

    fn registry(&self) -> MutexGuard<'_, (Registry, HashMap<String, Option<Shared>>)> {
        // A registration that panicked leaves the registry as it was.
        self.inner
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One service's runs (or ticks) by outcome, and how long they took; clones
/// share their counts.
#[derive(Debug, Clone)]
pub(crate) struct RunMetrics(Durations);

impl RunMetrics {
    /// A run or tick ended.
    pub(crate) fn ended(&self, outcome: Outcome, took: Duration) {
        self.0.ended(outcome, took);
    }

    /// Runs that ended so far: succeeded, failed.
    pub(crate) fn outcomes(&self) -> (u64, u64) {
        self.0.outcomes()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}
