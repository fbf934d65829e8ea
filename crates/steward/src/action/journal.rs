//! Where accepted actions live until they are done.

use std::collections::{HashMap, VecDeque};
use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{ActionId, ActionRecord, ActionState};

/// A journal operation's future.
pub type JournalFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, JournalError>> + Send + 'a>>;

/// A journal could not read or write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JournalError(pub String);

/// Where accepted actions are recorded until done.
///
/// The host calls [`accept`](Journal::accept) before it acknowledges an action, and
/// [`update`](Journal::update) on every state change. On start it replays
/// [`unfinished`](Journal::unfinished) actions (queued or running when the last
/// process stopped) into their services' mailboxes: delivery is at least once, so a
/// handler may see an action again after a crash.
///
/// [`MemoryJournal`] is the default; durable journals live in adapter crates.
pub trait Journal: Send + Sync + 'static {
    /// Records a newly accepted action.
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()>;

    /// Records that an action changed state.
    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()>;

    /// One action, if the journal still holds it.
    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>>;

    /// Actions accepted and not finished, oldest first.
    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>>;

    /// Dead-lettered actions, oldest first.
    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>>;
}

impl<J: Journal> Journal for std::sync::Arc<J> {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        (**self).accept(record)
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        (**self).update(id, change)
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        (**self).get(id)
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        (**self).unfinished()
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        (**self).dead_letters()
    }
}

/// A change to an action's record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActionChange {
    /// The new state.
    pub state: ActionState,
    /// Attempts started so far.
    pub attempts: u32,
    /// The result, when it succeeded.
    pub result: Option<Value>,
    /// The last error, when it failed.
    pub error: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl ActionChange {
    pub(crate) fn new(state: ActionState, attempts: u32, at: DateTime<Utc>) -> Self {
        Self {
            state,
            attempts,
            result: None,
            error: None,
            at,
        }
    }
}

/// Keeps actions in memory: fast, and gone with the process.
///
/// Finished actions are kept for lookup up to a limit (10,000 by default), oldest
/// forgotten first; unfinished and dead-lettered ones are kept until done or retried.
#[derive(Debug)]
pub struct MemoryJournal {
    inner: Mutex<Inner>,
    keep_finished: usize,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<ActionId, ActionRecord>,
    finished: VecDeque<ActionId>,
}

impl MemoryJournal {
    /// An empty journal that remembers up to 10,000 finished actions.
    pub fn new() -> Self {
        Self::keeping(10_000)
    }

    /// An empty journal that remembers up to `finished` finished actions.
    pub fn keeping(finished: usize) -> Self {
        Self {
            inner: Mutex::default(),
            keep_finished: finished,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sorted(&self, keep: impl Fn(&ActionRecord) -> bool) -> Vec<ActionRecord> {
        let inner = self.lock();
        let mut records: Vec<_> = inner
            .records
            .values()
            .filter(|r| keep(r))
            .cloned()
            .collect();
        records.sort_by_key(|record| record.id);
        records
    }
}

impl Default for MemoryJournal {
    fn default() -> Self {
        Self::new()
    }
}

impl Journal for MemoryJournal {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        self.lock().records.insert(record.id, record);
        Box::pin(ready(Ok(())))
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        let mut inner = self.lock();
        let Inner { records, finished } = &mut *inner;
        if let Some(record) = records.get_mut(&id) {
            let was_finished = record.state.is_finished();
            record.state = change.state;
            record.attempts = change.attempts;
            record.updated_at = change.at;
            if change.result.is_some() {
                record.result = change.result;
            }
            if change.error.is_some() {
                record.error = change.error;
            }
            let forgettable =
                change.state.is_finished() && change.state != ActionState::DeadLettered;
            if forgettable && !was_finished {
                finished.push_back(id);
                while finished.len() > self.keep_finished {
                    if let Some(old) = finished.pop_front() {
                        records.remove(&old);
                    }
                }
            }
        }
        Box::pin(ready(Ok(())))
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        let record = self.lock().records.get(&id).cloned();
        Box::pin(ready(Ok(record)))
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        Box::pin(ready(Ok(self.sorted(|record| !record.state.is_finished()))))
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        let dead = self.sorted(|record| record.state == ActionState::DeadLettered);
        Box::pin(ready(Ok(dead)))
    }
}
