//! Putting actions the journal holds unfinished back in their mailboxes at start,
//! and retrying dead letters on request.

use std::sync::Arc;

use super::journal::ActionChange;
use super::{ActionError, ActionId, ActionRecord, ActionState, Job, Retry};
use crate::host::HostShared;

/// Requeues every unfinished action of the journal; returns how many.
pub(crate) async fn replay_unfinished(host: &Arc<HostShared>) -> usize {
    let unfinished = match host.journal.unfinished().await {
        Ok(records) => records,
        Err(error) => {
            tracing::error!(%error, "cannot read unfinished actions from the journal");
            return 0;
        }
    };
    let mut replayed = 0;
    for record in unfinished {
        let (id, service) = (record.id, record.service.clone());
        match requeue(host, record) {
            Ok(()) => replayed += 1,
            Err(error) => {
                tracing::warn!(%id, %service, %error, "cannot replay action");
                let mut change = ActionChange::new(ActionState::Failed, 0, host.clock.now());
                change.error = Some(error.to_string());
                let _ = host.journal.update(id, change).await;
            }
        }
    }
    if replayed > 0 {
        tracing::info!(replayed, "replayed unfinished actions from the journal");
    }
    replayed
}

/// Sends a dead-lettered action round again, with no further retries.
pub(crate) async fn retry_dead_letter(
    host: &Arc<HostShared>,
    id: ActionId,
) -> Result<(), ActionError> {
    let record = host
        .journal
        .get(id)
        .await
        .map_err(|error| ActionError::Journal(error.0))?
        .ok_or(ActionError::UnknownId(id))?;
    if record.state != ActionState::DeadLettered {
        return Err(ActionError::Failed {
            action: record.action,
            reason: format!("action {id} is {}, not dead-lettered", record.state),
        });
    }
    let attempts = record.attempts;
    requeue(host, record)?;
    let change = ActionChange::new(ActionState::Queued, attempts, host.clock.now());
    host.journal
        .update(id, change)
        .await
        .map_err(|error| ActionError::Journal(error.0))
}

fn requeue(host: &HostShared, record: ActionRecord) -> Result<(), ActionError> {
    let index = host.find_name(&record.service)?;
    let cell = &host.cells[index];
    let Some(actions) = cell
        .actions
        .as_ref()
        .filter(|a| a.table.has(&record.action))
    else {
        return Err(ActionError::UnknownAction {
            service: record.service,
            action: record.action,
            known: Vec::new(),
        });
    };
    actions.mailbox.requeue(Job {
        id: record.id,
        action: record.action,
        params: None,
        params_json: record.params,
        priority: record.priority,
        timeout: None,
        correlation_id: record.correlation_id,
        retry: Retry::never(),
        attempts: record.attempts,
        reply: None,
        want_json: true,
    });
    Ok(())
}
