//! The default journal: in memory, fast, and gone with the process.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::backlog::{Backlog, BacklogPage};
use super::journal::{ActionChange, Journal, JournalFuture};
use super::{ActionId, ActionRecord, ActionState};

/// Keeps actions in memory: fast, and gone with the process.
///
/// Finished actions are kept for lookup up to a limit (10,000 by default), oldest
/// forgotten first; unfinished and dead-lettered ones are kept until done or retried.
#[derive(Debug)]
pub struct MemoryJournal {
    inner: Mutex<Inner>,
    keep_finished: usize,
}

/// A record as the journal holds it: boxed once when accepted, so that moving it
/// from the active map to the ring, and out of it, copies a pointer, not the
/// record (whose old place in the ring is rarely still in cache).
type Kept = Box<ActionRecord>;

/// Unfinished actions in a map of their own, which stays small and hot; finished
/// ones in a ring in the order they finished, found through a compact index, so
/// forgetting the oldest never searches.
#[derive(Debug, Default)]
struct Inner {
    active: HashMap<ActionId, Kept, BuildHasherDefault<IdHasher>>,
    finished: VecDeque<Kept>,
    /// Finished ids → their number in finishing order.
    index: HashMap<ActionId, u64, BuildHasherDefault<IdHasher>>,
    /// The number of the oldest record in `finished`.
    first: u64,
}

impl Inner {
    fn finished_mut(&mut self, id: ActionId) -> Option<&mut ActionRecord> {
        let number = *self.index.get(&id)?;
        let at = usize::try_from(number - self.first).ok()?;
        self.finished.get_mut(at).map(|record| &mut **record)
    }

    fn finished(&self, id: ActionId) -> Option<&ActionRecord> {
        let number = *self.index.get(&id)?;
        let at = usize::try_from(number - self.first).ok()?;
        self.finished.get(at).map(|record| &**record)
    }

    /// Moves a record that just finished into the ring; returns the oldest, which
    /// it forgot, for the caller to drop once the lock is released.
    #[must_use = "the forgotten record is dropped after the lock"]
    fn retire(&mut self, record: Kept, keep: usize) -> Option<Kept> {
        let number = self.first + self.finished.len() as u64;
        self.index.insert(record.id, number);
        self.finished.push_back(record);
        let mut forgotten = None;
        while self.finished.len() > keep {
            if let Some(old) = self.finished.pop_front() {
                self.index.remove(&old.id);
                forgotten = Some(old);
            }
            self.first += 1;
        }
        forgotten
    }
}

/// Action ids are unique and their low bits already vary: one multiply spreads
/// them over the hash (SipHash would cost more than the rest of a lookup).
#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(29) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl MemoryJournal {
    /// How many finished actions [`new`](Self::new) remembers.
    pub const DEFAULT_KEEP: usize = 10_000;

    /// An empty journal that remembers up to 10,000 finished actions.
    pub fn new() -> Self {
        Self::keeping(Self::DEFAULT_KEEP)
    }

    /// An empty journal that remembers up to `finished` finished actions.
    pub fn keeping(finished: usize) -> Self {
        Self {
            inner: Mutex::default(),
            keep_finished: finished,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Unfinished and dead-lettered records matching `keep`, oldest first (they are
    /// all in the active map).
    fn sorted(&self, keep: impl Fn(&ActionRecord) -> bool) -> Vec<ActionRecord> {
        let inner = self.lock();
        let mut records: Vec<ActionRecord> = inner
            .active
            .values()
            .filter(|r| keep(r))
            .map(|record| (**record).clone())
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
        // Boxed before the lock is taken.
        let record = Box::new(record);
        self.lock().active.insert(record.id, record);
        JournalFuture::ready(Ok(()))
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        let mut inner = self.lock();
        let retire = change.state.is_finished() && change.state != ActionState::DeadLettered;
        let mut forgotten = None;
        if let Some(record) = inner.active.get_mut(&id) {
            apply(record, change);
            if retire && let Some(record) = inner.active.remove(&id) {
                forgotten = inner.retire(record, self.keep_finished);
            }
        } else if let Some(record) = inner.finished_mut(id) {
            // Rare: a finished action changed again.
            apply(record, change);
        }
        // Dropped unlocked: freeing a record long out of cache is slow, and callers
        // accepting actions wait for this lock.
        drop(inner);
        drop(forgotten);
        JournalFuture::ready(Ok(()))
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        let inner = self.lock();
        let record = inner
            .active
            .get(&id)
            .map(|record| &**record)
            .or_else(|| inner.finished(id))
            .cloned();
        JournalFuture::ready(Ok(record))
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        JournalFuture::ready(Ok(self.sorted(|record| !record.state.is_finished())))
    }

    fn backlog(&self) -> JournalFuture<'_, Backlog> {
        let inner = self.lock();
        JournalFuture::ready(Ok(Backlog::of(inner.active.values().map(|r| &**r))))
    }

    /// Looks through every unfinished action for each page, copying only the page.
    fn backlog_page(&self, page: BacklogPage) -> JournalFuture<'_, Vec<ActionRecord>> {
        let inner = self.lock();
        JournalFuture::ready(Ok(page.select(inner.active.values().map(|r| &**r))))
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        let dead = self.sorted(|record| record.state == ActionState::DeadLettered);
        JournalFuture::ready(Ok(dead))
    }

    /// Looks through every finished action it remembers (and the dead letters),
    /// so the order is exact even when actions finished out of their time order.
    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        let inner = self.lock();
        let dead = inner
            .active
            .values()
            .filter(|record| record.state == ActionState::DeadLettered);
        let mut found: Vec<&ActionRecord> = inner
            .finished
            .iter()
            .chain(dead)
            .map(|record| &**record)
            .filter(|record| &*record.service == service)
            .collect();
        let newest_first =
            |a: &&ActionRecord, b: &&ActionRecord| (b.updated_at, b.id).cmp(&(a.updated_at, a.id));
        if found.len() > limit && limit > 0 {
            found.select_nth_unstable_by(limit - 1, newest_first);
        }
        found.truncate(limit);
        found.sort_unstable_by(newest_first);
        let records = found.into_iter().cloned().collect();
        JournalFuture::ready(Ok(records))
    }

    fn is_immediate(&self) -> bool {
        true
    }
}

fn apply(record: &mut ActionRecord, change: ActionChange) {
    record.state = change.state;
    record.attempts = change.attempts;
    record.updated_at = change.at;
    record.not_before = change.not_before;
    if change.state == ActionState::Running {
        record.started_at = Some(change.at);
    }
    if change.result.is_some() {
        record.result = change.result;
    }
    if change.error.is_some() {
        record.error = change.error;
    }
}
