//! Reading an earlier run's unfinished actions back in at start, a page at a time
//! per service as its mailbox has room: a backlog of any size costs a page and a
//! mailbox of memory, and callers of the new run are not held up behind it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::backlog::{BacklogCursor, BacklogPage};
use super::dispatch::write_change;
use super::journal::{ActionChange, JournalError};
use super::replay::{crash_looping, interrupted_error, job_of};
use super::request::known_action;
use super::scheduled::hold_until;
use super::{ActionError, ActionId, ActionRecord, ActionState, Job};
use crate::host::HostShared;

/// The most actions read in one page. A smaller mailbox reads pages of its size.
const PAGE: usize = 256;

/// How long to wait before reading a page again after the journal failed to.
const RETRY_READ: Duration = Duration::from_secs(1);

/// Reads the journal's backlog back in: the first page of each service with
/// unfinished actions now (a small backlog is in line when the host starts), the
/// rest by a task per service as its mailbox has room. A journal that cannot tell
/// what it holds, or read a first page, stops the start: it must not be run past.
pub(crate) async fn replay_backlog(host: &Arc<HostShared>) -> Result<(), JournalError> {
    let backlog = host.journal.backlog().await?;
    let Some(newest) = backlog.newest else {
        return Ok(());
    };
    ActionId::issue_after(newest);
    let mut services = backlog.services;
    services.sort_unstable();
    services.dedup();
    tracing::info!(
        services = services.len(),
        "replaying unfinished actions from the journal"
    );
    let readers: Vec<Reader> = services
        .into_iter()
        .map(|service| Reader::new(host, service, newest))
        .collect();
    // Every reading is on record before the first page is read: a cancel or a
    // dead-letter retry from then on knows what is still to be read.
    for reader in &readers {
        if let Some(backfill) = reader.backfill(host) {
            backfill.begin(newest);
        }
    }
    for mut reader in readers {
        if !reader.read(host).await? {
            reader.done(host);
            continue;
        }
        let host = host.clone();
        host.tracker.clone().spawn(async move {
            while reader.read_again(&host).await {}
            reader.done(&host);
        });
    }
    Ok(())
}

/// One service's backlog, read a page at a time.
struct Reader {
    /// The page to read next.
    page: BacklogPage,
    /// The service among the host's; `None` if the configuration no longer has it.
    index: Option<usize>,
    replayed: usize,
}

impl Reader {
    /// A reader of `service`'s backlog up to `newest`, a page of its mailbox at
    /// most, so that a page is in line at once.
    fn new(host: &HostShared, service: Arc<str>, newest: ActionId) -> Self {
        let index = host.find_name(&service).ok();
        let actions = index.and_then(|index| host.cells[index].actions.as_deref());
        let limit = actions.map_or(PAGE, |actions| actions.mailbox.capacity().min(PAGE));
        Self {
            page: BacklogPage::first(service, newest, limit),
            index,
            replayed: 0,
        }
    }

    fn backfill<'a>(&self, host: &'a HostShared) -> Option<&'a Backfill> {
        let index = self.index?;
        Some(&host.cells[index].actions.as_deref()?.backfill)
    }

    /// Reads the next page and puts its actions back in line; whether there may
    /// be more. A host that stops taking actions ends the reading: the rest
    /// stays in the journal.
    async fn read(&mut self, host: &Arc<HostShared>) -> Result<bool, JournalError> {
        let records = host.journal.backlog_page(self.page.clone()).await?;
        let last = records.last().map(BacklogCursor::of);
        // A page shorter than asked for is the last.
        let whole = records.len() >= self.page.limit;
        for record in records {
            match replay_one(host, self.index, record).await {
                Replayed::InLine => self.replayed += 1,
                Replayed::Not => {}
                Replayed::Stopping => {
                    tracing::info!(service = %self.page.service, "host stopping; the rest of the backlog stays in the journal");
                    return Ok(false);
                }
            }
        }
        match last {
            Some(last) if whole => {
                self.page = self.page.next(last);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// [`read`](Self::read), waiting and trying again while the journal fails,
    /// until the host stops.
    async fn read_again(&mut self, host: &Arc<HostShared>) -> bool {
        let stopping = host.shutdown_requested.clone();
        loop {
            match stopping.run_until_cancelled(self.read(host)).await {
                None => return false,
                Some(Ok(more)) => return more,
                Some(Err(error)) => {
                    let service = &self.page.service;
                    tracing::error!(%service, %error, "cannot read unfinished actions; trying again");
                    let wait = tokio::time::sleep(RETRY_READ);
                    if stopping.run_until_cancelled(wait).await.is_none() {
                        return false;
                    }
                }
            }
        }
    }

    fn done(&self, host: &HostShared) {
        if let Some(backfill) = self.backfill(host) {
            backfill.end();
        }
        let (service, replayed) = (&self.page.service, self.replayed);
        tracing::info!(%service, replayed, "replayed unfinished actions from the journal");
    }
}

/// What became of one action read from the backlog.
enum Replayed {
    /// Back in line, or held until its time.
    InLine,
    /// Dead-lettered, or taken out of the reading's hands meanwhile.
    Not,
    /// The host stops taking actions: the rest stays in the journal.
    Stopping,
}

/// Puts one action back in line (waiting for room in its mailbox), holds it until
/// its time (waiting for room among the actions held), or dead-letters it if it
/// cannot or should not run.
async fn replay_one(
    host: &Arc<HostShared>,
    index: Option<usize>,
    record: ActionRecord,
) -> Replayed {
    let (id, attempts) = (record.id, record.attempts);
    let known = index
        .ok_or_else(|| ActionError::UnknownService(record.service.to_string()))
        .and_then(|index| Ok((index, known_action(&host.cells[index], &record.action)?)));
    let (index, (actions, found)) = match known {
        Ok(known) => known,
        Err(error) => {
            // Kept as a dead letter, attempts and all: once the service or action
            // is defined again it can be retried.
            tracing::warn!(%id, service = %record.service, %error, "cannot replay action; dead-lettered");
            let taken = index
                .and_then(|index| host.cells[index].actions.as_deref())
                .is_some_and(|actions| !actions.backfill.advance(&record));
            if !taken {
                let error = format!("not replayed at start: {error}");
                dead_letter(host, id, attempts, error).await;
            }
            return Replayed::Not;
        }
    };
    let cell = &host.cells[index];
    if let Some(interrupted) = crash_looping(&record) {
        let action = &record.action;
        tracing::error!(%id, service = %cell.name, %action, interrupted, "action interrupted too often; dead-lettered, not replayed");
        if actions.backfill.advance(&record) {
            dead_letter(host, id, attempts, interrupted_error(interrupted, attempts)).await;
        }
        return Replayed::Not;
    }
    let not_before = record.not_before.filter(|at| *at > host.clock.now());
    let position = BacklogCursor::of(&record);
    let job = job_of(record, found);
    let put = if let Some(at) = not_before {
        // Held as many at most as the mailbox holds, as scheduled sends are.
        actions.waiting.fewer_than(actions.mailbox.capacity()).await;
        let hold = |job| hold_until(host, index, job, at);
        actions.backfill.feed(position, job, hold)
    } else {
        let Ok(slot) = actions.mailbox.reserve(&cell.name, true).await else {
            return Replayed::Stopping;
        };
        actions.backfill.feed(position, job, |job| slot.push(job))
    };
    if put { Replayed::InLine } else { Replayed::Not }
}

async fn dead_letter(host: &Arc<HostShared>, id: ActionId, attempts: u32, error: String) {
    let mut change = ActionChange::new(ActionState::DeadLettered, attempts, host.clock.now());
    change.error = Some(error);
    write_change(host, id, change).await;
}

/// A service's backlog while it is read back in: how far the reading has got, and
/// the actions not yet read that were taken out of its hands meanwhile (cancelled,
/// or dead letters retried by hand), which it passes over.
#[derive(Debug, Default)]
pub(crate) struct Backfill(Mutex<Option<Reading>>);

#[derive(Debug)]
struct Reading {
    newest: ActionId,
    read: Option<BacklogCursor>,
    passed_over: HashSet<ActionId>,
}

impl Reading {
    /// Whether `record` is still to be read: no newer than the backlog's newest,
    /// and after the last action read.
    fn ahead(&self, record: &ActionRecord) -> bool {
        record.id <= self.newest
            && self
                .read
                .is_none_or(|read| read.precedes(record.priority, record.id))
    }
}

/// Where an action was found by someone taking it out of the backlog's hands.
pub(crate) enum Taken {
    /// In this run's hands already (queued, or waiting for its time).
    InHand(Box<Job>),
    /// Still to be read from the journal: the reading will pass it over.
    Unread,
    /// Neither: running, or finished.
    Neither,
}

impl Backfill {
    fn lock(&self) -> MutexGuard<'_, Option<Reading>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn begin(&self, newest: ActionId) {
        *self.lock() = Some(Reading {
            newest,
            read: None,
            passed_over: HashSet::new(),
        });
    }

    fn end(&self) {
        *self.lock() = None;
    }

    /// Takes `record`'s action out of the backlog's hands: `in_hand` looks for it
    /// among this run's, and if it is not there but still to be read, the reading
    /// will pass it over. Done under the reading's lock, so the action is never
    /// both read in and taken.
    pub(crate) fn take(
        &self,
        record: &ActionRecord,
        in_hand: impl FnOnce() -> Option<Job>,
    ) -> Taken {
        let mut reading = self.lock();
        if let Some(job) = in_hand() {
            return Taken::InHand(Box::new(job));
        }
        match reading.as_mut() {
            Some(reading) if reading.ahead(record) => {
                reading.passed_over.insert(record.id);
                Taken::Unread
            }
            _ => Taken::Neither,
        }
    }

    /// Moves the reading past `record`; `false` if it was taken meanwhile.
    fn advance(&self, record: &ActionRecord) -> bool {
        let mut reading = self.lock();
        Self::past(&mut reading, BacklogCursor::of(record), record.id)
    }

    /// Moves the reading past `position` and, unless the action was taken
    /// meanwhile, hands `job` to `put` (all under the lock, for [`take`](Self::take));
    /// whether it did.
    fn feed(&self, position: BacklogCursor, job: Job, put: impl FnOnce(Job)) -> bool {
        let mut reading = self.lock();
        let fed = Self::past(&mut reading, position, job.id);
        if fed {
            put(job);
        }
        fed
    }

    /// Gives back to the reading an action [taken](Self::take) as unread whose
    /// taking did not go through (its cancel could not be written); `false` if
    /// the reading has passed it meanwhile, so it is the caller's to put in line.
    pub(crate) fn give_back(&self, id: ActionId) -> bool {
        match self.lock().as_mut() {
            Some(reading) => reading.passed_over.remove(&id),
            None => false,
        }
    }

    fn past(reading: &mut Option<Reading>, position: BacklogCursor, id: ActionId) -> bool {
        match reading.as_mut() {
            Some(reading) => {
                reading.read = Some(position);
                !reading.passed_over.remove(&id)
            }
            None => true,
        }
    }
}
