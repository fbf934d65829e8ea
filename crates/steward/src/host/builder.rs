//! Assembling a host: services, configuration sources, observers.

use crate::metrics::Metrics;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use std::sync::atomic::AtomicBool;

use tokio::sync::{Notify, broadcast, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Host;
use super::plan::plan;
use super::shared::{HostShared, Observer, Phase, TRANSITION_BUFFER};
use crate::action::{Journal, MemoryJournal};
use crate::clock::Clock;
use crate::config::{
    Config, ConfigError, ConfigErrors, ConfigSource, Environment, Expected, Format, JournalConfig,
    JournalKind, Origin, load,
};
use crate::error::{BoxError, HostError};
use crate::event::EventBus;
use crate::service::{BuiltinKind, ServiceDef};
use crate::state::{State, Transition};

/// Builds a [`Host`]: register services, point at a configuration, then
/// [`build`](Self::build), which validates everything at once.
///
/// ```no_run
/// # use steward::{Context, Continuous, Result};
/// # struct Watcher; impl Continuous for Watcher { async fn run(&self, cx: &Context) -> Result { cx.cancelled().await; Ok(()) } }
/// use steward::{Host, continuous};
///
/// # #[tokio::main]
/// # async fn main() -> std::result::Result<(), steward::HostError> {
/// Host::builder()
///     .config_file("steward.toml")
///     .service(continuous("watcher", Watcher))
///     .build()?
///     .run()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct HostBuilder {
    defs: Vec<ServiceDef>,
    source: ConfigSource,
    env: Option<Vec<(String, String)>>,
    env_prefix: Option<String>,
    environment: Option<Environment>,
    /// The environment when neither this builder nor the configuration names one.
    default_environment: Option<Environment>,
    sections: Vec<String>,
    observers: Vec<Observer>,
    clock: Option<DateTime<Utc>>,
    journal: JournalChoice,
    kinds: Vec<BuiltinKind>,
}

/// Opens the journal a `[journal]` section names; `None` leaves it to the core.
type OpenJournal =
    Box<dyn FnOnce(&JournalConfig) -> Result<Option<Arc<dyn Journal>>, BoxError> + Send>;

/// Where the host's journal comes from.
enum JournalChoice {
    /// The `[journal]` section, read by the core: memory.
    Configured,
    /// One the program made.
    Given(Arc<dyn Journal>),
    /// One the program opens from the `[journal]` section once it is valid.
    Open(OpenJournal),
}

impl Default for HostBuilder {
    fn default() -> Self {
        Self {
            defs: Vec::new(),
            source: ConfigSource::None,
            env: None,
            env_prefix: Some("STEWARD".to_owned()),
            environment: None,
            default_environment: None,
            sections: Vec::new(),
            observers: Vec::new(),
            clock: None,
            journal: JournalChoice::Configured,
            kinds: Vec::new(),
        }
    }
}

impl HostBuilder {
    /// Registers a service (see [`continuous`](crate::continuous),
    /// [`periodic`](crate::periodic), [`startup`](crate::startup)).
    pub fn service(mut self, def: ServiceDef) -> Self {
        self.defs.push(def);
        self
    }

    /// Registers several services.
    pub fn services(mut self, defs: impl IntoIterator<Item = ServiceDef>) -> Self {
        self.defs.extend(defs);
        self
    }

    /// Lets configuration name `kind`: each `[services.NAME]` table with
    /// `kind = "…"` becomes an instance of it (see [`BuiltinKind`]).
    pub fn kind(mut self, kind: BuiltinKind) -> Self {
        self.kinds.push(kind);
        self
    }

    /// Lets configuration name each of these kinds.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = BuiltinKind>) -> Self {
        self.kinds.extend(kinds);
        self
    }

    /// Reads configuration from a `.toml`, `.json` or `.yaml` file.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = ConfigSource::File(path.into());
        self
    }

    /// Reads configuration from TOML text; errors name it `name`.
    pub fn config_toml(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.source = ConfigSource::Text {
            name: name.into(),
            format: Format::Toml,
            text: text.into(),
        };
        self
    }

    /// Sets the environment-variable prefix (`STEWARD` by default); `None` ignores
    /// the environment.
    pub fn env_prefix(mut self, prefix: Option<&str>) -> Self {
        self.env_prefix = prefix.map(str::to_owned);
        self
    }

    /// Uses these variables instead of the process environment (for tests).
    pub fn env_vars<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// The environment unless the configuration or [`environment`](Self::environment)
    /// names one (the test harness runs in `testing`).
    #[cfg(feature = "testing")]
    pub(crate) fn default_environment(mut self, environment: Environment) -> Self {
        self.default_environment = Some(environment);
        self
    }

    /// Sets the environment, over what the configuration says.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Accepts a top-level configuration section that an adapter reads (such as
    /// `http`); read it with [`Config::section`](crate::Config::section).
    pub fn config_section(mut self, name: impl Into<String>) -> Self {
        self.sections.push(name.into());
        self
    }

    /// Calls `observer` on every state transition, synchronously and in order.
    /// Keep it quick: it runs on the supervisor's task.
    pub fn on_transition(mut self, observer: impl Fn(&Transition) + Send + Sync + 'static) -> Self {
        self.observers.push(Arc::new(observer));
        self
    }

    /// Registers a service by its type (see [`Service`](crate::Service)).
    pub fn register<T: crate::Service>(self) -> Self {
        self.service(T::definition())
    }

    /// Registers every `#[derive(Service)]` type linked into the binary, in name
    /// order. A type from a crate the binary never names is not linked: mention
    /// that crate (`use that_crate as _;`).
    pub fn discover(mut self) -> Self {
        self.defs.extend(crate::discovery::discovered());
        self
    }

    /// Where accepted actions are recorded, whatever the `[journal]` section says
    /// (by default, the journal it names: [`MemoryJournal`] unless it says
    /// otherwise). Actions it holds unfinished are replayed when the host starts.
    pub fn journal(mut self, journal: impl Journal) -> Self {
        self.journal = JournalChoice::Given(Arc::new(journal));
        self
    }

    /// Opens the journal the `[journal]` section names with `open`, once the
    /// whole configuration has been found valid (so that nothing is created for a
    /// configuration that is refused). `Ok(None)` leaves the section to the core,
    /// which makes a [`MemoryJournal`] for `kind = "memory"` and refuses a kind it
    /// cannot open itself; an error fails [`build`](Self::build) with
    /// [`HostError::Journal`]. This is how an adapter's journal is chosen by
    /// configuration:
    ///
    /// ```
    /// use steward::{Host, JournalConfig, JournalKind, MemoryJournal};
    ///
    /// # fn main() -> Result<(), steward::HostError> {
    /// let host = Host::builder()
    ///     .config_toml("steward.toml", "[journal]\nkind = \"memory\"\nkeep_finished = 500")
    ///     .journal_from(|journal: &JournalConfig| match journal.kind {
    ///         // An adapter's journal here, such as steward-sqlite's for `Sqlite`.
    ///         JournalKind::Memory => {
    ///             let keep = journal.keep_finished.unwrap_or(10_000);
    ///             Ok::<_, std::io::Error>(Some(MemoryJournal::keeping(keep as usize)))
    ///         }
    ///         _ => Ok(None),
    ///     })
    ///     .build()?;
    /// # drop(host);
    /// # Ok(()) }
    /// ```
    pub fn journal_from<J, E>(
        mut self,
        open: impl FnOnce(&JournalConfig) -> Result<Option<J>, E> + Send + 'static,
    ) -> Self
    where
        J: Journal,
        E: Into<BoxError>,
    {
        self.journal = JournalChoice::Open(Box::new(move |config| match open(config) {
            Ok(journal) => Ok(journal.map(|journal| Arc::new(journal) as Arc<dyn Journal>)),
            Err(error) => Err(error.into()),
        }));
        self
    }

    /// Pins the host's wall clock to `now` at build time, advancing with tokio's
    /// time: with paused time, cron schedules become testable.
    #[cfg(feature = "testing")]
    pub(crate) fn wall_clock_at(mut self, now: DateTime<Utc>) -> Self {
        self.clock = Some(now);
        self
    }

    /// Loads and validates the configuration and the services; every problem is
    /// reported at once.
    pub fn build(self) -> Result<Host, HostError> {
        let (env, unreadable) = match (&self.env_prefix, self.env) {
            (None, _) => (Vec::new(), Vec::new()),
            (Some(_), Some(vars)) => (vars, Vec::new()),
            (Some(prefix), None) => environment_variables(prefix),
        };
        let names: Vec<&str> = self.defs.iter().map(ServiceDef::name).collect();
        let expected = Expected {
            services: &names,
            sections: &self.sections,
        };
        let (mut config, mut errors) =
            load(&self.source, &env, self.env_prefix.as_deref(), &expected)?;
        errors.extend(unreadable);
        match (self.environment, self.default_environment) {
            (Some(environment), _) => config.host.environment = environment,
            (None, Some(environment)) if !config.environment_named => {
                config.host.environment = environment;
            }
            _ => {}
        }
        let environment = config.host.environment;
        // The core's own journal is checked with the rest of the configuration;
        // one the program opens, only once all of it is valid.
        let mut configured = None;
        if matches!(self.journal, JournalChoice::Configured) {
            match configured_journal(&config) {
                Ok(journal) => configured = Some(journal),
                Err(error) => errors.push(error),
            }
        }
        let mut defs = self.defs;
        defs.extend(instances_of_kinds(&self.kinds, &defs, &config));
        // Problems in the file and problems with services are reported together.
        let plan = match plan(defs, &config, environment, &self.kinds) {
            Ok(plan) if errors.is_empty() => plan,
            Ok(_) => return Err(ConfigErrors(errors).into()),
            Err(more) => {
                errors.extend(more.0);
                return Err(ConfigErrors(errors).into());
            }
        };

        let journal = match self.journal {
            JournalChoice::Given(journal) => journal,
            JournalChoice::Open(open) => match open(&config.journal).map_err(HostError::Journal)? {
                Some(journal) => journal,
                None => configured_journal(&config).map_err(ConfigErrors::from)?,
            },
            JournalChoice::Configured => match configured {
                Some(journal) => journal,
                None => configured_journal(&config).map_err(ConfigErrors::from)?,
            },
        };
        let clock = self.clock.map_or(Clock::System, Clock::pinned);
        let metrics = Metrics::of(plan.cells.clone());
        let shared = HostShared {
            metrics,
            cells: plan.cells,
            by_name: plan.by_name,
            startup_count: plan.startup_count,
            stop_waves: plan.stop_waves,
            config,
            clock,
            transitions: broadcast::Sender::new(TRANSITION_BUFFER),
            observers: self.observers,
            tracker: TaskTracker::new(),
            shutdown_requested: CancellationToken::new(),
            phase: watch::Sender::new(Phase::Built),
            journal,
            events: EventBus::default(),
            accepting: AtomicBool::new(false),
            accepting_now: Notify::new(),
        };
        for cell in &shared.cells {
            if let Some(reason) = &cell.spec.disabled {
                shared.transition(cell, State::Disabled, Some(reason.clone()));
            }
        }
        Ok(Host {
            shared: Arc::new(shared),
        })
    }
}

/// The journal the core makes from the `[journal]` section itself: memory, or a
/// refusal of a kind that needs an adapter.
fn configured_journal(config: &Config) -> Result<Arc<dyn Journal>, crate::ConfigError> {
    let journal = &config.journal;
    match journal.kind {
        JournalKind::Memory => {
            let keep = journal
                .keep_finished
                .map_or(MemoryJournal::DEFAULT_KEEP, |keep| {
                    usize::try_from(keep).unwrap_or(usize::MAX)
                });
            Ok(Arc::new(MemoryJournal::keeping(keep)))
        }
        kind => Err(config.error(
            "journal.kind",
            format!(
                "the `{kind}` journal is not built into the core: pass one to \
                 `HostBuilder::journal` or `HostBuilder::journal_from` (for `sqlite`, \
                 steward-sqlite's `SqliteJournal`; the `steward` binary opens it itself)"
            ),
        )),
    }
}

/// One service per configuration table that names a known kind and no service in code.
fn instances_of_kinds(
    kinds: &[BuiltinKind],
    defs: &[ServiceDef],
    config: &crate::Config,
) -> Vec<ServiceDef> {
    let mut wanted = config
        .services
        .iter()
        .filter_map(|(name, table)| {
            let kind = kinds
                .iter()
                .find(|kind| Some(kind.name()) == table.kind.as_deref())?;
            Some((name, kind))
        })
        .peekable();
    // Most hosts name no kind: their services are not indexed for nothing.
    if wanted.peek().is_none() {
        return Vec::new();
    }
    let in_code: std::collections::HashSet<&str> = defs.iter().map(ServiceDef::name).collect();
    wanted
        .filter(|(name, _)| !in_code.contains(name.as_str()))
        .map(|(name, kind)| kind.instance(name))
        .collect()
}

/// The process environment's variables under `PREFIX__`, and an error for each whose
/// value is not valid UTF-8 (read in part, it would set something nobody wrote).
/// Others are not read, so an unrelated variable that is not valid UTF-8 cannot get
/// in the way.
fn environment_variables(prefix: &str) -> (Vec<(String, String)>, Vec<ConfigError>) {
    let head = format!("{prefix}__");
    let mut unreadable = Vec::new();
    let vars = std::env::vars_os()
        .filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            let key = name
                .strip_prefix(&head)?
                .replace("__", ".")
                .to_ascii_lowercase();
            match value.into_string() {
                Ok(value) => Some((name, value)),
                Err(_) => {
                    unreadable.push(ConfigError {
                        origin: Origin::Env(name),
                        key,
                        reason: "the value is not valid UTF-8".to_owned(),
                    });
                    None
                }
            }
        })
        .collect();
    (vars, unreadable)
}

impl std::fmt::Debug for HostBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostBuilder")
            .field("services", &self.defs)
            .field("source", &self.source)
            .field("env_prefix", &self.env_prefix)
            .finish_non_exhaustive()
    }
}
