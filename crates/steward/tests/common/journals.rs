//! A memory journal whose updates a hook may refuse or hold back: for tests that
//! break or delay the writes they are about.

use std::future::Future;
use std::pin::Pin;

use steward::{
    ActionChange, ActionId, ActionRecord, Journal, JournalError, JournalFuture, MemoryJournal,
};

/// What becomes of one update.
pub enum Verdict {
    /// Written at once.
    Write,
    /// Refused with this error.
    Refuse(JournalError),
    /// Written once this is done (never, if it never is).
    WriteAfter(Pin<Box<dyn Future<Output = ()> + Send>>),
}

/// Decides what becomes of each update written to a [`Hooked`] journal.
pub trait UpdateHook: Send + Sync + 'static {
    fn verdict(&self, change: &ActionChange) -> Verdict;
}

/// A memory journal whose updates go through `hook`; everything else is the
/// memory journal's own.
pub struct Hooked<H> {
    pub journal: MemoryJournal,
    pub hook: H,
    /// Whether it claims to answer at once, as the memory journal does.
    pub immediate: bool,
}

impl<H> Hooked<H> {
    /// A journal claiming to answer at once, as the memory journal does.
    pub fn immediate(hook: H) -> Self {
        Self {
            journal: MemoryJournal::new(),
            hook,
            immediate: true,
        }
    }

    /// A journal that may make its callers wait.
    pub fn waiting(hook: H) -> Self {
        Self {
            immediate: false,
            ..Self::immediate(hook)
        }
    }
}

impl<H: UpdateHook> Journal for Hooked<H> {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        self.journal.accept(record)
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        match self.hook.verdict(&change) {
            Verdict::Write => self.journal.update(id, change),
            Verdict::Refuse(error) => JournalFuture::ready(Err(error)),
            Verdict::WriteAfter(wait) => JournalFuture::new(async move {
                wait.await;
                self.journal.update(id, change).await
            }),
        }
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        self.journal.get(id)
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.unfinished()
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.dead_letters()
    }

    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.journal.history(service, limit)
    }

    fn is_immediate(&self) -> bool {
        self.immediate
    }
}
