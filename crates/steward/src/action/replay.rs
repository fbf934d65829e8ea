//! Putting actions the journal holds unfinished back in their mailboxes at start,
//! and retrying dead letters on request.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::dispatch::write_change;
use super::journal::{ActionChange, JournalError};
use super::mailbox::JobState;
use super::request::known_action;
use super::scheduled::hold_until;
use super::{ActionError, ActionId, ActionRecord, ActionState, Job, Retry};
use crate::host::HostShared;

/// Requeues every unfinished action of the journal; returns how many. A journal
/// that cannot list them is an error: the host must not start without them.
pub(crate) async fn replay_unfinished(host: &Arc<HostShared>) -> Result<usize, JournalError> {
    let unfinished = host.journal.unfinished().await?;
    let mut replayed = 0;
    for record in unfinished {
        let (id, service, attempts) = (record.id, record.service.to_string(), record.attempts);
        if let Some(interrupted) = crash_looping(&record) {
            let action = &record.action;
            tracing::error!(%id, %service, %action, interrupted, "action interrupted too often; dead-lettered, not replayed");
            let mut change =
                ActionChange::new(ActionState::DeadLettered, attempts, host.clock.now());
            change.error = Some(format!(
                "not replayed at start: interrupted {interrupted} times (the process ended \
                 during each of its last {interrupted} attempts, {attempts} in all), so it may \
                 be what ends it; retry it by hand once that is ruled out"
            ));
            write_change(host, id, change).await;
            continue;
        }
        match requeue(host, record) {
            Ok(()) => replayed += 1,
            Err(error) => {
                // Kept as a dead letter, attempts and all: once the service or
                // action is defined again it can be retried.
                tracing::warn!(%id, %service, %error, "cannot replay action; dead-lettered");
                let mut change =
                    ActionChange::new(ActionState::DeadLettered, attempts, host.clock.now());
                change.error = Some(format!("not replayed at start: {error}"));
                write_change(host, id, change).await;
            }
        }
    }
    if replayed > 0 {
        tracing::info!(replayed, "replayed unfinished actions from the journal");
    }
    Ok(replayed)
}

/// Replay gives up on an action once this many of its attempts in a row, counting
/// from the last one its retries allow, were cut short by the process ending. Each
/// `running` record replayed cost a process that died while it ran: the third such
/// loss past its retries is taken for the action causing it (a crash, abort or OOM
/// kill in its handler) rather than bad luck. A sender who expects its actions to
/// be cut short more often (long actions across frequent restarts) raises the
/// bound per action with more retries.
const INTERRUPTIONS: u32 = 3;

/// How many times in a row the action's attempts were cut short by the process
/// ending, if that is too many to replay it again. A `running` record means its
/// latest attempt was; so was every attempt from the last its retries allow (one
/// that failed there would have been dead-lettered, unless retried by hand).
fn crash_looping(record: &ActionRecord) -> Option<u32> {
    let interrupted = record.attempts.saturating_sub(record.max_retries);
    (record.state == ActionState::Running && interrupted >= INTERRUPTIONS).then_some(interrupted)
}

/// Sends a dead-lettered action round again, with no further retries.
pub(crate) async fn retry_dead_letter(
    host: &Arc<HostShared>,
    id: ActionId,
) -> Result<(), ActionError> {
    let record = dead_letter(host, id).await?;
    let index = host.find_name(&record.service)?;
    let (actions, _) = known_action(&host.cells[index], &record.action)?;
    // Two retries at once could both find it dead-lettered below: one claims it,
    // the other hears it is already on its way.
    let Some(_claimed) = actions.retrying.claim(id) else {
        return Err(ActionError::NotDeadLettered {
            id,
            state: ActionState::Queued,
        });
    };
    // Read again under the claim: a retry that held it just now has sent it round.
    let record = dead_letter(host, id).await?;
    // Recorded as queued before it is queued, so the handler's outcome is never
    // overwritten by this change.
    let change = ActionChange::new(ActionState::Queued, record.attempts, host.clock.now());
    host.journal.update(id, change).await?;
    requeue(host, record)
}

/// The record of action `id`, if it is dead-lettered.
async fn dead_letter(host: &HostShared, id: ActionId) -> Result<ActionRecord, ActionError> {
    let record = read_record(host, id).await?;
    if record.state != ActionState::DeadLettered {
        return Err(ActionError::NotDeadLettered {
            id,
            state: record.state,
        });
    }
    Ok(record)
}

/// Dead letters being sent round by hand now, one retry each.
#[derive(Debug, Default)]
pub(crate) struct Retrying(Mutex<HashSet<ActionId>>);

impl Retrying {
    /// Claims `id` until the claim is dropped; `None` if it is claimed already.
    fn claim(&self, id: ActionId) -> Option<Claim<'_>> {
        // The lock is released before a claim exists: dropping one takes it.
        let claimed = self.lock().insert(id);
        claimed.then(|| Claim(self, id))
    }

    fn lock(&self) -> MutexGuard<'_, HashSet<ActionId>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A dead letter claimed for one retry.
struct Claim<'a>(&'a Retrying, ActionId);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.lock().remove(&self.1);
    }
}

/// Withdraws a queued action: it will not run, and a caller waiting for it hears so.
pub(crate) async fn cancel(host: &Arc<HostShared>, id: ActionId) -> Result<(), ActionError> {
    let record = read_record(host, id).await?;
    let index = host.find_name(&record.service)?;
    let removed = host.cells[index].actions.as_ref().and_then(|actions| {
        // Held first: a due action moves from there to the mailbox, never back.
        actions.withdraw(id).or_else(|| actions.mailbox.remove(id))
    });
    let Some(mut job) = removed else {
        let state = if record.state == ActionState::Queued {
            // Taken by a handler just now.
            ActionState::Running
        } else {
            record.state
        };
        return Err(ActionError::NotCancellable { id, state });
    };
    let change = ActionChange::new(ActionState::Cancelled, job.attempts, host.clock.now());
    let written = host.journal.update(id, change).await;
    if let Some(reply) = job.reply.take() {
        let _ = reply.send(Err(ActionError::Cancelled(id)));
    }
    Ok(written?)
}

/// An accepted action's record, if the journal holds it.
pub(crate) async fn read_record(
    host: &HostShared,
    id: ActionId,
) -> Result<ActionRecord, ActionError> {
    host.journal
        .get(id)
        .await?
        .ok_or(ActionError::UnknownId(id))
}

/// Puts a journaled action back in line, or holds it until its time if that is
/// still to come (a scheduled action, or a retry's backoff).
fn requeue(host: &Arc<HostShared>, record: ActionRecord) -> Result<(), ActionError> {
    let index = host.find_name(&record.service)?;
    let (actions, found) = known_action(&host.cells[index], &record.action)?;
    let job = Job::new(JobState {
        id: record.id,
        entry: found.index,
        action: found.name,
        params: None,
        params_json: record.params,
        priority: record.priority,
        timeout: record.timeout,
        correlation_id: record.correlation_id,
        retry: Retry::times(record.max_retries).backoff(record.retry_backoff.unwrap_or_default()),
        attempts: record.attempts,
        unrecorded: 0,
        reply: None,
        want_json: true,
    });
    match record.not_before {
        Some(at) if at > host.clock.now() => hold_until(host, index, job, at),
        _ => actions.mailbox.requeue(job),
    }
    Ok(())
}
