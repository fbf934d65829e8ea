//! Taking actions the journal holds out of line by hand (retrying a dead letter,
//! cancelling a queued one), and what replay at start decides about each action.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::backfill::Taken;
use super::journal::ActionChange;
use super::mailbox::JobState;
use super::request::known_action;
use super::scheduled::hold_until;
use super::table::Found;
use super::{ActionError, ActionId, ActionRecord, ActionState, Job, Retry};
use crate::host::HostShared;

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
pub(super) fn crash_looping(record: &ActionRecord) -> Option<u32> {
    let interrupted = record.attempts.saturating_sub(record.max_retries);
    (record.state == ActionState::Running && interrupted >= INTERRUPTIONS).then_some(interrupted)
}

/// Why an action that crash-looped was dead-lettered.
pub(super) fn interrupted_error(interrupted: u32, attempts: u32) -> String {
    format!(
        "not replayed at start: interrupted {interrupted} times (the process ended during \
         each of its last {interrupted} attempts, {attempts} in all), so it may be what \
         ends it; retry it by hand once that is ruled out"
    )
}

/// Sends a dead-lettered action round again, with no further retries.
pub(crate) async fn retry_dead_letter(
    host: &Arc<HostShared>,
    id: ActionId,
) -> Result<(), ActionError> {
    // Not before start: replay must know what it is still to read first.
    host.until_accepting().await;
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
    // Sent round here, not by a replay still reading the journal (which would
    // find it queued from the change below).
    let _ = actions.backfill.take(&record, || None);
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
    // Not before start: replay must know what it is still to read first.
    host.until_accepting().await;
    let record = read_record(host, id).await?;
    let index = host.find_name(&record.service)?;
    let Some(actions) = host.cells[index].actions.as_deref() else {
        return Err(ActionError::NotCancellable {
            id,
            state: record.state,
        });
    };
    // Held first: a due action moves from there to the mailbox, never back.
    let in_hand = || actions.withdraw(id).or_else(|| actions.mailbox.remove(id));
    let mut job = match actions.backfill.take(&record, in_hand) {
        Taken::InHand(job) => *job,
        Taken::Unread if !record.state.is_finished() => {
            let change =
                ActionChange::new(ActionState::Cancelled, record.attempts, host.clock.now());
            let Err(error) = host.journal.update(id, change).await else {
                return Ok(());
            };
            // Not cancelled after all: the reading takes it up again, or, if it
            // went past meanwhile, it goes in line from here.
            if !actions.backfill.give_back(id) {
                requeue(host, record)?;
            }
            return Err(error.into());
        }
        Taken::Unread | Taken::Neither => {
            let state = if record.state == ActionState::Queued {
                // Taken by a handler just now.
                ActionState::Running
            } else {
                record.state
            };
            return Err(ActionError::NotCancellable { id, state });
        }
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

/// Puts a journaled action back in line, beyond the mailbox's capacity, or holds
/// it until its time if that is still to come (a retry's backoff).
fn requeue(host: &Arc<HostShared>, record: ActionRecord) -> Result<(), ActionError> {
    let index = host.find_name(&record.service)?;
    let (actions, found) = known_action(&host.cells[index], &record.action)?;
    let not_before = record.not_before;
    let job = job_of(record, found);
    match not_before {
        Some(at) if at > host.clock.now() => hold_until(host, index, job, at),
        _ => actions.mailbox.requeue(job),
    }
    Ok(())
}

/// The job that runs a journaled action again.
pub(super) fn job_of(record: ActionRecord, found: Found) -> Job {
    Job::new(JobState {
        id: record.id,
        entry: found.index,
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
    })
}
