//! The built-in commands through a [`ServiceRef`]: `trigger`, `check-queue`,
//! `process-batch`.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use serde_json::Value;
use tracing::Instrument;

use super::ServiceRef;
use crate::action::ActionError;
use crate::command::{BUILT_IN_COMMANDS, NotSupported, ProcessBatch};
use crate::context::Context;
use crate::error::{panic_message, render_error};
use crate::service::{Body, CommandCall, ServiceKind};
use crate::state::State;
use crate::supervisor::ServiceCell;

impl<T> ServiceRef<T> {
    /// Runs a periodic service's tick now, between its scheduled ticks, and
    /// returns when that tick is done. A tick already running finishes first (ticks
    /// never overlap); triggers made meanwhile share the one tick that follows it.
    /// The schedule is unchanged.
    ///
    /// A continuous service answers through its
    /// [`Continuous::trigger`](crate::Continuous::trigger), if it implements it.
    pub async fn trigger(&self) -> Result<(), ActionError> {
        let cell = &self.host.cells[self.index()?];
        let Some(ticks) = cell.ticks() else {
            return self
                .command_call("trigger", CommandCall::Trigger)
                .await
                .map(drop);
        };
        running(cell, "trigger")?;
        let outcome = ticks.request_trigger();
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(ActionError::Failed {
                service: cell.name.to_string(),
                action: "trigger".to_owned(),
                reason,
            }),
            Err(_) => Err(not_running(cell, "trigger", cell.current_state())),
        }
    }

    /// Asks a periodic service how much work waits (the `check-queue` command).
    pub async fn check_queue(&self) -> Result<Value, ActionError> {
        self.command_call("check-queue", CommandCall::CheckQueue)
            .await
    }

    /// Asks a periodic service to work through a batch now (the `process-batch`
    /// command).
    pub async fn process_batch(&self, batch: ProcessBatch) -> Result<Value, ActionError> {
        self.command_call("process-batch", CommandCall::ProcessBatch(batch))
            .await
    }

    /// Runs a built-in command by name with JSON parameters, as the HTTP API and
    /// the CLI do: `trigger` (answers `null`), `check-queue`, `process-batch`.
    pub async fn command(&self, name: &str, params: Value) -> Result<Value, ActionError> {
        let index = self.index()?;
        let service = || self.host.cells[index].name.to_string();
        match name {
            "trigger" => self.trigger().await.map(|()| Value::Null),
            "check-queue" => self.check_queue().await,
            "process-batch" => {
                let params = if params.is_null() {
                    Value::Object(Default::default())
                } else {
                    params
                };
                let batch: ProcessBatch =
                    serde_path_to_error::deserialize(params).map_err(|error| {
                        ActionError::BadParameters {
                            service: service(),
                            action: name.to_owned(),
                            path: error.path().to_string(),
                            reason: error.into_inner().to_string(),
                        }
                    })?;
                self.process_batch(batch).await
            }
            other => Err(ActionError::UnknownAction {
                service: service(),
                action: other.to_owned(),
                known: BUILT_IN_COMMANDS.map(String::from).to_vec(),
            }),
        }
    }

    async fn command_call(&self, name: &str, call: CommandCall) -> Result<Value, ActionError> {
        let cell = &self.host.cells[self.index()?];
        let Body::Supervised(work) = &cell.body else {
            return Err(not_periodic(cell, name));
        };
        running(cell, name)?;
        let token = cell
            .run_handle()
            .as_ref()
            .map(|run| run.token.clone())
            .unwrap_or_default();
        let cx = Context::new(self.host.clone(), cell.clone(), token);
        let Some(answer) = work.command(&cx, call) else {
            return Err(not_periodic(cell, name));
        };
        // As an action's span does: what the command logs names its service.
        let span = tracing::info_span!("command", service = %cell.name, command = name);
        let answer = answer.instrument(crate::span::recorded(span));
        match AssertUnwindSafe(answer).catch_unwind().await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is::<NotSupported>() => Err(ActionError::NotSupported {
                service: cell.name.to_string(),
                command: name.to_owned(),
                reason: match cell.spec.kind {
                    ServiceKind::Periodic => "the service does not implement it".to_owned(),
                    kind => format!("it is a {kind} service that does not implement it"),
                },
            }),
            Ok(Err(error)) => Err(ActionError::Failed {
                service: cell.name.to_string(),
                action: name.to_owned(),
                reason: render_error(error.as_ref()),
            }),
            Err(panic) => Err(ActionError::Failed {
                service: cell.name.to_string(),
                action: name.to_owned(),
                reason: panic_message(panic.as_ref()),
            }),
        }
    }
}

fn not_periodic(cell: &ServiceCell, command: &str) -> ActionError {
    ActionError::NotSupported {
        service: cell.name.to_string(),
        command: command.to_owned(),
        reason: format!(
            "it is a {} service; commands are for periodic ones",
            cell.spec.kind
        ),
    }
}

fn running(cell: &ServiceCell, command: &str) -> Result<(), ActionError> {
    match cell.current_state() {
        State::Running => Ok(()),
        state => Err(not_running(cell, command, state)),
    }
}

fn not_running(cell: &ServiceCell, command: &str, state: State) -> ActionError {
    ActionError::NotRunning {
        service: cell.name.to_string(),
        command: command.to_owned(),
        state,
    }
}
