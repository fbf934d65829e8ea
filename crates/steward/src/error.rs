//! Errors the host reports, and the error type user services return.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::time::Duration;

use crate::action::JournalError;
use crate::config::ConfigErrors;

/// The error type service code returns: anything that is an error.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What a service's `run`, `start` or `tick` returns.
pub type Result<T = (), E = BoxError> = std::result::Result<T, E>;

/// Why a host could not be built, started or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The configuration (file, environment or code) is invalid; every problem is listed.
    #[error("invalid configuration:\n{0}")]
    Config(#[from] ConfigErrors),
    /// A startup service failed and neither it nor the host allows continuing.
    #[error("start-up aborted: startup service `{service}` failed: {reason}")]
    StartupFailed {
        /// The startup service.
        service: String,
        /// Its error, panic message or timeout.
        reason: String,
    },
    /// The journal the configuration names could not be opened (a file that
    /// cannot be read or created, or was written by a newer version): the host
    /// does not start rather than lose what the journal holds. The message names
    /// the journal and why.
    #[error("{0}")]
    Journal(BoxError),
    /// The journal could not list the actions it holds unfinished, so they could
    /// not be put back in line: the host does not start rather than leave them
    /// stranded in the journal. The message says why the journal could not be read.
    #[error("cannot replay the journal: reading its unfinished actions failed: {0}")]
    Replay(#[source] JournalError),
    /// The operating system refused to deliver termination signals.
    #[error("cannot listen for termination signals: {0}")]
    Signals(#[source] std::io::Error),
    /// A termination signal arrived while a graceful shutdown was under way. Every
    /// service was cancelled and its task aborted; code that blocks a thread cannot
    /// be interrupted, so a binary should exit the process on this error
    /// (`std::process::exit(130)`) rather than wait for the runtime to wind down.
    #[error("shutdown forced by a second signal; {0} service(s) were still stopping")]
    Forced(usize),
}

/// Why a run-time control request (start, stop, restart) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// No service has this name.
    #[error("no service named `{0}`")]
    UnknownService(String),
    /// The service is disabled by configuration or environment.
    #[error("service `{0}` is disabled")]
    Disabled(String),
    /// Startup services run once, during start-up.
    #[error("service `{0}` is a startup service; it runs only during start-up")]
    StartupService(String),
    /// The host has not finished starting: services start with it.
    #[error("the host has not started yet")]
    NotStarted,
    /// The host is shutting down (or has shut down).
    #[error("the host is shutting down")]
    ShuttingDown,
}

/// What happened during a graceful shutdown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Services that stopped within their stop timeout, in stop order.
    pub stopped: Vec<String>,
    /// Services that ignored cancellation past their stop timeout (or the host's
    /// shutdown timeout) and were abandoned.
    pub abandoned: Vec<String>,
    /// How long the shutdown took.
    pub elapsed: Duration,
}

/// Renders an error with its chain of sources: `outer: inner: root`.
pub(crate) fn render_error(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

/// Turns a panic payload into a message.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    format!("panicked: {detail}")
}
