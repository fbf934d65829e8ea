//! Why an action was refused or did not succeed.

use std::time::Duration;

use super::ActionId;

/// Why an action could not be sent, or did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// No service has this name.
    #[error("no service named `{0}`")]
    UnknownService(String),
    /// No service of this Rust type is registered, or several are (then name one).
    #[error("{0}")]
    NoSuchType(String),
    /// The service answers no action of this name.
    #[error("service `{service}` has no action `{action}`{}", known_list(.known))]
    UnknownAction {
        /// The service.
        service: String,
        /// The action asked for.
        action: String,
        /// The actions it does answer.
        known: Vec<String>,
    },
    /// The parameters do not fit the action's declared type.
    #[error("service `{service}`, action `{action}`: bad parameters at `{path}`: {reason}")]
    BadParameters {
        /// The service.
        service: String,
        /// The action.
        action: String,
        /// Where in the parameters the problem is (`.` for the whole value).
        path: String,
        /// What is wrong there.
        reason: String,
    },
    /// The mailbox is full and the caller asked not to wait.
    #[error("service `{service}`: action queue full ({capacity} waiting)")]
    QueueFull {
        /// The service.
        service: String,
        /// The mailbox's capacity.
        capacity: usize,
    },
    /// The service does not answer this built-in command.
    #[error("service `{service}` does not answer `{command}`: {reason}")]
    NotSupported {
        /// The service.
        service: String,
        /// The command.
        command: String,
        /// Why.
        reason: String,
    },
    /// The service is not running, so it cannot do this now.
    #[error("service `{service}` is {state}; `{command}` needs it running")]
    NotRunning {
        /// The service.
        service: String,
        /// The command or action.
        command: String,
        /// Its state.
        state: crate::State,
    },
    /// The host is shutting down and accepts no more actions.
    #[error("the host is shutting down; action not accepted")]
    ShuttingDown,
    /// The time an action was scheduled for cannot be kept (past year 9999).
    #[error("cannot schedule the action: {0}")]
    BadSchedule(String),
    /// The handler ran past the action's timeout and was cancelled.
    #[error("service `{service}`, action `{action}`: timed out after {}", humantime::format_duration(*.after))]
    TimedOut {
        /// The service.
        service: String,
        /// The action.
        action: String,
        /// Its timeout.
        after: Duration,
    },
    /// The handler returned an error (or panicked) on its last attempt.
    #[error("service `{service}`, action `{action}`: failed: {reason}")]
    Failed {
        /// The service.
        service: String,
        /// The action (or built-in command).
        action: String,
        /// The handler's error, or the panic message.
        reason: String,
    },
    /// The action failed every attempt its retry policy allows and was dead-lettered.
    #[error(
        "service `{service}`, action `{action}`: dead-lettered after {attempts} attempt(s): {reason}"
    )]
    DeadLettered {
        /// The service.
        service: String,
        /// The action.
        action: String,
        /// How many times it ran.
        attempts: u32,
        /// The last attempt's error.
        reason: String,
    },
    /// The result is not of the type the caller asked for.
    #[error("action `{action}`: the result does not fit the requested type: {reason}")]
    ResultType {
        /// The action.
        action: String,
        /// What went wrong.
        reason: String,
    },
    /// The host stopped before the action finished; it stays in the journal.
    #[error("the host stopped before action {0} finished")]
    Abandoned(ActionId),
    /// The action was cancelled before it ran.
    #[error("action {0} was cancelled before it ran")]
    Cancelled(ActionId),
    /// Only a queued action can be cancelled.
    #[error("action {id} is {state}; only a queued action can be cancelled")]
    NotCancellable {
        /// The action.
        id: ActionId,
        /// Its state.
        state: super::ActionState,
    },
    /// Only a dead-lettered action can be retried by hand.
    #[error("action {id} is {state}, not dead-lettered")]
    NotDeadLettered {
        /// The action.
        id: ActionId,
        /// Its state.
        state: super::ActionState,
    },
    /// No accepted action has this id (or it was forgotten).
    #[error("no action with id {0}")]
    UnknownId(ActionId),
    /// Not an action id.
    #[error("`{0}` is not an action id (32 hex digits)")]
    BadId(String),
    /// The journal refused to record the action.
    #[error("journal: {0}")]
    Journal(String),
}

impl From<super::JournalError> for ActionError {
    fn from(error: super::JournalError) -> Self {
        ActionError::Journal(error.0)
    }
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        " (it answers none)".to_owned()
    } else {
        format!(" (it answers: {})", known.join(", "))
    }
}
