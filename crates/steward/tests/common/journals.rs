//! A memory journal whose updates go through a hook: for tests that break or
//! hold back the writes they are about.

use steward::{ActionChange, ActionId, ActionRecord, Journal, JournalFuture, MemoryJournal};

/// What becomes of each update written to a [`Hooked`] journal.
pub trait UpdateHook: Send + Sync + 'static {
    /// Writes `change` to `journal` (or not, or later).
    fn update<'a>(
        &'a self,
        journal: &'a MemoryJournal,
        id: ActionId,
        change: ActionChange,
    ) -> JournalFuture<'a, ()>;
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
        self.hook.update(&self.journal, id, change)
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
