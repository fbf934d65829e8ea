//! Where accepted actions live until they are done.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::backlog::{Backlog, BacklogPage};
use super::{ActionId, ActionRecord, ActionState};

/// A journal operation's future: [`ready`](JournalFuture::ready) for a journal that
/// answers at once (no allocation), or [`new`](JournalFuture::new) around any future.
#[must_use = "a journal operation does nothing unless awaited"]
pub struct JournalFuture<'a, T>(Answer<'a, T>);

enum Answer<'a, T> {
    Ready(Option<Result<T, JournalError>>),
    Pending(Pin<Box<dyn Future<Output = Result<T, JournalError>> + Send + 'a>>),
}

impl<'a, T> JournalFuture<'a, T> {
    /// The answer, if it is already known.
    pub(crate) fn now(self) -> Result<Result<T, JournalError>, Self> {
        match self.0 {
            Answer::Ready(Some(result)) => Ok(result),
            answer => Err(Self(answer)),
        }
    }

    /// An answer already known.
    pub fn ready(result: Result<T, JournalError>) -> Self {
        Self(Answer::Ready(Some(result)))
    }

    /// An answer still to come.
    pub fn new(future: impl Future<Output = Result<T, JournalError>> + Send + 'a) -> Self {
        Self(Answer::Pending(Box::pin(future)))
    }
}

// Nothing in it is pinned in place: the pending future lives behind a `Box`, and a
// ready value is only ever moved out.
impl<T> Unpin for JournalFuture<'_, T> {}

impl<T> Future for JournalFuture<'_, T> {
    type Output = Result<T, JournalError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            Answer::Ready(result) => Poll::Ready(result.take().unwrap_or_else(|| {
                Err(JournalError(
                    "journal future polled after completion".into(),
                ))
            })),
            Answer::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

impl<T> std::fmt::Debug for JournalFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Answer::Ready(_) => "JournalFuture::Ready",
            Answer::Pending(_) => "JournalFuture::Pending",
        })
    }
}

/// A journal could not read or write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JournalError(pub String);

/// Where accepted actions are recorded until done.
///
/// The host calls [`accept`](Journal::accept) before it acknowledges an action, and
/// [`update`](Journal::update) on every state change. On start it replays the
/// unfinished actions (queued or running when the last process stopped) into their
/// services' mailboxes: it reads the [`backlog`](Journal::backlog), then each
/// service's actions a [page](Journal::backlog_page) at a time as its mailbox has
/// room. Delivery is at least once, so a handler may see an action again after a
/// crash.
///
/// [`MemoryJournal`](super::MemoryJournal) is the default; durable journals live in adapter crates.
pub trait Journal: Send + Sync + 'static {
    /// Records a newly accepted action: `queued`, or already `running` with its
    /// first attempt counted and [`started_at`](ActionRecord::started_at) set,
    /// when its service starts it as soon as this is written (the journal then
    /// sees no change to `running` for that attempt).
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()>;

    /// Records that an action changed state. A change to
    /// [`Running`](ActionState::Running) starts an attempt: its time is kept as the
    /// record's [`started_at`](ActionRecord::started_at) until the next one starts.
    /// (The first attempt of an action accepted `running` started with it.)
    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()>;

    /// One action, if the journal still holds it.
    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>>;

    /// Actions accepted and not finished, oldest first. For inspection: replay
    /// reads [`backlog`](Journal::backlog) and [`backlog_page`](Journal::backlog_page).
    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>>;

    /// The services with unfinished actions, and the newest such action.
    ///
    /// The default reads every unfinished action; a journal that may hold many
    /// answers from an index instead.
    fn backlog(&self) -> JournalFuture<'_, Backlog> {
        JournalFuture::new(async move { Ok(Backlog::of(&self.unfinished().await?)) })
    }

    /// One page of a service's unfinished actions, in replay order: highest
    /// priority first, oldest first within a priority (see [`BacklogPage::select`]).
    /// At most [`limit`](BacklogPage::limit) of them; fewer only when no more
    /// follow (replay stops reading at a short page).
    ///
    /// The default reads every unfinished action for each page; a journal that
    /// may hold many seeks to the page along an index instead.
    fn backlog_page(&self, page: BacklogPage) -> JournalFuture<'_, Vec<ActionRecord>> {
        JournalFuture::new(async move { Ok(page.select(&self.unfinished().await?)) })
    }

    /// Dead-lettered actions, oldest first.
    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>>;

    /// The history of `service`: its finished actions (succeeded, failed, timed
    /// out, cancelled or dead-lettered) that the journal still holds, the most
    /// recently finished first (by [`updated_at`](ActionRecord::updated_at), then
    /// by id), at most `limit`.
    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>>;

    /// Whether every operation answers at once ([`JournalFuture::ready`]), as an
    /// in-memory journal's do: the host then records actions without awaiting.
    fn is_immediate(&self) -> bool {
        false
    }
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

    fn backlog(&self) -> JournalFuture<'_, Backlog> {
        (**self).backlog()
    }

    fn backlog_page(&self, page: BacklogPage) -> JournalFuture<'_, Vec<ActionRecord>> {
        (**self).backlog_page(page)
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        (**self).dead_letters()
    }

    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        (**self).history(service, limit)
    }

    fn is_immediate(&self) -> bool {
        (**self).is_immediate()
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
    /// When (for a change to [`Running`](ActionState::Running), when the attempt
    /// started).
    pub at: DateTime<Utc>,
    /// Not to run again before this time (a retry's backoff); `None` clears it.
    pub not_before: Option<DateTime<Utc>>,
}

impl ActionChange {
    /// A change to `state` at `at`, after `attempts` attempts, with no result or
    /// error (set those fields as needed). Journal implementations and their tests
    /// build changes with it; the host makes its own.
    pub fn new(state: ActionState, attempts: u32, at: DateTime<Utc>) -> Self {
        Self {
            state,
            attempts,
            result: None,
            error: None,
            at,
            not_before: None,
        }
    }
}
