//! What the journal knows about one action.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::ActionId;
use crate::Backoff;

/// Where an accepted action is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ActionState {
    /// Accepted, waiting in the service's mailbox (or for a retry).
    Queued,
    /// A handler is working on it.
    Running,
    /// Done; the result is kept.
    Succeeded,
    /// The handler failed and no retry was asked for.
    Failed,
    /// The handler ran past the timeout and was cancelled.
    TimedOut,
    /// Withdrawn before it ran.
    Cancelled,
    /// Failed every attempt its retry policy allowed; kept until retried.
    DeadLettered,
}

impl ActionState {
    /// The state's name (`timed-out`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Queued => "queued",
            ActionState::Running => "running",
            ActionState::Succeeded => "succeeded",
            ActionState::Failed => "failed",
            ActionState::TimedOut => "timed-out",
            ActionState::Cancelled => "cancelled",
            ActionState::DeadLettered => "dead-lettered",
        }
    }

    /// Whether the action is done with (for better or worse).
    pub fn is_finished(self) -> bool {
        !matches!(self, ActionState::Queued | ActionState::Running)
    }
}

impl fmt::Display for ActionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One accepted action as the journal holds it: enough to replay it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, JsonSchema)]
pub struct ActionRecord {
    /// Its id.
    pub id: ActionId,
    /// The service it was sent to.
    pub service: Arc<str>,
    /// The action's name.
    pub action: Arc<str>,
    /// Its parameters, as JSON.
    pub params: Value,
    /// Higher runs first.
    pub priority: i32,
    /// How long a handler may run on it.
    #[serde(default, with = "crate::config::duration::option")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<std::time::Duration>,
    /// How many retries it may have after its first attempt.
    #[serde(default)]
    pub max_retries: u32,
    /// The delay before each retry, when retries were asked for with a backoff of
    /// their own (`None`: the default, `1s..30s` jittered), so that an action
    /// replayed after a restart keeps waiting as its sender asked.
    #[serde(default, with = "retry_backoff")]
    #[schemars(with = "Option<BackoffFields>")]
    pub retry_backoff: Option<Backoff>,
    /// Carried in the handler's tracing span and on every event it emits.
    /// (`None`: the action's own id.)
    pub correlation_id: Option<Arc<str>>,
    /// Where it is.
    pub state: ActionState,
    /// How many times a handler has started on it.
    pub attempts: u32,
    /// The result, once it succeeded.
    pub result: Option<Value>,
    /// The last attempt's error.
    pub error: Option<String>,
    /// When it was accepted.
    pub accepted_at: DateTime<Utc>,
    /// When its last attempt started (it went `running`): with
    /// [`updated_at`](Self::updated_at), how long a finished action's last attempt
    /// ran, its wait in line left out. `None`: no attempt has started.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When its state last changed.
    pub updated_at: DateTime<Utc>,
    /// Not to run before this time: scheduled with
    /// [`at`](crate::ActionRequest::at) or [`after`](crate::ActionRequest::after),
    /// or waiting out a retry's backoff. `None`: as soon as it can.
    #[serde(default)]
    pub not_before: Option<DateTime<Utc>>,
}

impl ActionRecord {
    /// The record of action `id`, accepted at `at` and queued: priority 0, no
    /// timeout, retries or correlation id, no attempt yet. Journal tests and tools
    /// start from it and set what differs:
    ///
    /// ```
    /// use steward::{ActionId, ActionRecord};
    ///
    /// let record = ActionRecord {
    ///     priority: 5,
    ///     ..ActionRecord::queued(ActionId::from(1), "worker", "work", serde_json::json!({}), chrono::Utc::now())
    /// };
    /// assert_eq!((record.priority, record.attempts), (5, 0));
    /// ```
    pub fn queued(
        id: ActionId,
        service: &str,
        action: &str,
        params: Value,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            service: service.into(),
            action: action.into(),
            params,
            priority: 0,
            timeout: None,
            max_retries: 0,
            retry_backoff: None,
            correlation_id: None,
            state: ActionState::Queued,
            attempts: 0,
            result: None,
            error: None,
            accepted_at: at,
            started_at: None,
            updated_at: at,
            not_before: None,
        }
    }
}

/// A retry backoff as a record writes it: both ends and the jitter.
#[derive(Serialize, serde::Deserialize, JsonSchema)]
struct BackoffFields {
    /// The first delay, such as `1s`.
    #[serde(with = "crate::config::duration")]
    #[schemars(with = "String")]
    min: std::time::Duration,
    /// The longest delay.
    #[serde(with = "crate::config::duration")]
    #[schemars(with = "String")]
    max: std::time::Duration,
    /// The largest fraction (0.0–1.0) taken off a delay at random.
    jitter: f64,
}

mod retry_backoff {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::BackoffFields;
    use crate::Backoff;

    pub(super) fn serialize<S: Serializer>(
        backoff: &Option<Backoff>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let fields = backoff.map(|backoff| BackoffFields {
            min: backoff.min,
            max: backoff.max,
            jitter: backoff.jitter,
        });
        fields.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Backoff>, D::Error> {
        let fields = Option::<BackoffFields>::deserialize(deserializer)?;
        Ok(fields.map(|fields| Backoff::new(fields.min, fields.max).jitter(fields.jitter)))
    }
}
