//! The default journal: in memory, fast, and gone with the process.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

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

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<ActionId, ActionRecord, BuildHasherDefault<IdHasher>>,
    finished: VecDeque<ActionId>,
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

    fn lock(&self) -> MutexGuard<'_, Inner> {
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
        JournalFuture::ready(Ok(()))
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
        JournalFuture::ready(Ok(()))
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        let record = self.lock().records.get(&id).cloned();
        JournalFuture::ready(Ok(record))
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        JournalFuture::ready(Ok(self.sorted(|record| !record.state.is_finished())))
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        let dead = self.sorted(|record| record.state == ActionState::DeadLettered);
        JournalFuture::ready(Ok(dead))
    }

    fn is_immediate(&self) -> bool {
        true
    }
}
