//! Several actions sent one after another.

use serde_json::Value;

use super::{ActionError, ActionRequest};

/// Actions sent in order, each once the one before has succeeded:
///
/// ```no_run
/// # async fn example(services: steward::HostHandle) -> Result<(), steward::ActionError> {
/// let (cameras, uploads) = (services.named("cameras"), services.named("uploads"));
/// let results = cameras
///     .act("pause", ())
///     .then(uploads.act("flush", ()))
///     .then(cameras.act("resume", ()))
///     .send()
///     .await?;
/// # let _ = results; Ok(()) }
/// # let _ = example;
/// ```
///
/// Made by [`ActionRequest::then`]. The first failure ends the sequence; the actions
/// after it are not sent.
#[must_use = "a sequence is sent by `send`"]
#[derive(Debug)]
pub struct ActionSequence {
    steps: Vec<ActionRequest>,
}

impl ActionSequence {
    /// Adds an action to send after the others.
    pub fn then(mut self, next: ActionRequest) -> Self {
        self.steps.push(next);
        self
    }

    /// Sends each action in turn and collects their results as JSON.
    pub async fn send(self) -> Result<Vec<Value>, ActionError> {
        let mut results = Vec::with_capacity(self.steps.len());
        for step in self.steps {
            results.push(step.send::<Value>().await?);
        }
        Ok(results)
    }
}

impl ActionRequest {
    /// Starts a sequence: this action, then `next` once this one has succeeded.
    pub fn then(self, next: ActionRequest) -> ActionSequence {
        ActionSequence {
            steps: vec![self, next],
        }
    }
}
