//! The default journal: in memory, fast, and gone with the process.

mod kept;

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use kept::Kept;

use super::backlog::{Backlog, BacklogPage, replay_order};
use super::journal::{ActionChange, Journal, JournalFuture};
use super::{ActionId, ActionRecord, ActionState};

/// Keeps actions in memory: fast, and gone with the process.
///
/// Finished actions are kept for lookup up to a limit (10,000 by default), oldest
/// forgotten first; unfinished and dead-lettered ones are kept until done or retried.
/// A large limit is shared out among a few shards (by action id), each forgetting
/// its own oldest, so that callers and handlers on different threads seldom wait
/// for one another.
#[derive(Debug)]
pub struct MemoryJournal {
    shards: Box<[Shard]>,
    /// What each shard remembers of the finished actions.
    keep_finished: usize,
}

/// One shard, on cache lines of its own: a lock taken on every action should not
/// share its line with another shard's.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard(Mutex<Inner>);

/// Every record a shard keeps, each in a slot of its own: a record is written once,
/// in place and in the compact form of [`Kept`], and is not moved while it is kept
/// (a slot freed by a forgotten record takes the next one). Finished ones are also listed in the
/// order they finished, so forgetting the oldest never searches.
#[derive(Debug, Default)]
struct Inner {
    /// Ids → their slot.
    index: HashMap<ActionId, u32, BuildHasherDefault<IdHasher>>,
    slots: Vec<Option<Kept>>,
    /// Slots no record holds.
    free: Vec<u32>,
    /// Finished records, oldest first, by id and slot.
    finished: VecDeque<(ActionId, u32)>,
}

impl Inner {
    fn get(&self, id: ActionId) -> Option<&Kept> {
        let slot = *self.index.get(&id)?;
        self.slots.get(slot as usize)?.as_ref()
    }

    fn get_mut(&mut self, id: ActionId) -> Option<(u32, &mut Kept)> {
        let slot = *self.index.get(&id)?;
        let record = self.slots.get_mut(slot as usize)?.as_mut()?;
        Some((slot, record))
    }

    fn records(&self) -> impl Iterator<Item = &Kept> {
        self.slots.iter().flatten()
    }

    /// Keeps `record` (in place of one with its id, if any).
    fn insert(&mut self, record: ActionRecord) {
        let record = Kept::new(record);
        if let Some((_, kept)) = self.get_mut(record.id) {
            *kept = record;
            return;
        }
        let id = record.id;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(record);
                slot
            }
            None => {
                // More than four billion records in memory is out of reach.
                let slot = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Some(record));
                slot
            }
        };
        self.index.insert(id, slot);
    }

    /// Lists the record in `slot`, which just finished; past `keep`, forgets the
    /// oldest. Dropped where it lies: moving a record long out of cache to drop it
    /// elsewhere reads all of it, dropping it reads only what it points to.
    fn retire(&mut self, id: ActionId, slot: u32, keep: usize) {
        self.finished.push_back((id, slot));
        if self.finished.len() <= keep {
            return;
        }
        let Some((old, slot)) = self.finished.pop_front() else {
            return;
        };
        let Some(place) = self.slots.get_mut(slot as usize) else {
            return;
        };
        // A record changed again since it finished is not the list's to forget
        // any more (and if it finishes again, the list names it a second time).
        if !place
            .as_ref()
            .is_some_and(|record| record.id == old && is_retired(record.state))
        {
            return;
        }
        *place = None;
        self.index.remove(&old);
        self.free.push(slot);
    }
}

/// Whether a record in this state is one of the finished ones the journal may
/// forget (dead letters are kept until retried).
fn is_retired(state: ActionState) -> bool {
    state.is_finished() && state != ActionState::DeadLettered
}

/// Hashes action ids: the high bits well mixed (the table's tag for each entry),
/// the low bits the id's own low bits as they are (the derived `Hash` of an
/// [`ActionId`] writes its high half, then its low half).
/// Ids of one process are counted there, so ids made one after another land in
/// nearby buckets: accepting the newest action and forgetting the oldest each
/// touch lines recently touched, not one at random in a table of thousands.
/// (SipHash would also cost more than the rest of a lookup.)
#[derive(Debug, Default)]
struct IdHasher {
    mixed: u64,
    last: u64,
}

/// The bits of an id's hash taken from the id as it is.
const AS_IS: u64 = (1 << 56) - 1;

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        (self.mixed & !AS_IS) | (self.last & AS_IS)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.mixed = (self.mixed.rotate_left(29) ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.last = value;
    }
}

/// The most shards a journal has.
const MAX_SHARDS: usize = 8;

/// The fewest finished actions a shard remembers: a journal keeping fewer has one
/// shard, so that what it forgets is exactly the oldest.
const KEEP_PER_SHARD: usize = 1_024;

impl MemoryJournal {
    /// How many finished actions [`new`](Self::new) remembers.
    pub const DEFAULT_KEEP: usize = 10_000;

    /// An empty journal that remembers up to 10,000 finished actions.
    pub fn new() -> Self {
        Self::keeping(Self::DEFAULT_KEEP)
    }

    /// An empty journal that remembers up to `finished` finished actions.
    pub fn keeping(finished: usize) -> Self {
        // A power of two, so a shard is picked with a mask.
        let shards = 1 << (finished / KEEP_PER_SHARD).clamp(1, MAX_SHARDS).ilog2();
        Self {
            shards: (0..shards).map(|_| Shard::default()).collect(),
            keep_finished: finished / shards,
        }
    }

    /// The shard holding `id`.
    fn lock(&self, id: ActionId) -> MutexGuard<'_, Inner> {
        let mut hasher = IdHasher::default();
        id.hash(&mut hasher);
        // Mixed bits the hash leaves out: a shard's ids then differ in all of
        // the table's tag bits.
        let at = (hasher.mixed >> 32) as usize & (self.shards.len() - 1);
        lock(&self.shards[at])
    }

    /// Records matching `keep` in every shard, oldest first.
    fn sorted(&self, keep: impl Fn(&Kept) -> bool) -> Vec<ActionRecord> {
        let mut records = Vec::new();
        for shard in &self.shards {
            let inner = lock(shard);
            records.extend(inner.records().filter(|r| keep(r)).map(Kept::record));
        }
        records.sort_by_key(|record| record.id);
        records
    }
}

fn lock(shard: &Shard) -> MutexGuard<'_, Inner> {
    shard.0.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for MemoryJournal {
    fn default() -> Self {
        Self::new()
    }
}

impl Journal for MemoryJournal {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        self.lock(record.id).insert(record);
        JournalFuture::ready(Ok(()))
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        let mut inner = self.lock(id);
        if let Some((slot, record)) = inner.get_mut(id) {
            let was_retired = is_retired(record.state);
            record.apply(change);
            if !was_retired && is_retired(record.state) {
                inner.retire(id, slot, self.keep_finished);
            }
        }
        drop(inner);
        JournalFuture::ready(Ok(()))
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        let record = self.lock(id).get(id).map(Kept::record);
        JournalFuture::ready(Ok(record))
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        JournalFuture::ready(Ok(self.sorted(|record| !record.state.is_finished())))
    }

    fn backlog(&self) -> JournalFuture<'_, Backlog> {
        let mut backlog = Backlog::default();
        for shard in &self.shards {
            let inner = lock(shard);
            for record in inner.records() {
                backlog.count(record.state, &record.service, record.id);
            }
        }
        JournalFuture::ready(Ok(backlog))
    }

    /// Looks through the service's unfinished actions for each page, copying
    /// only each shard's first of the page.
    fn backlog_page(&self, page: BacklogPage) -> JournalFuture<'_, Vec<ActionRecord>> {
        let in_order = |a: &&Kept, b: &&Kept| replay_order(a.replay_key(), b.replay_key());
        let mut firsts = Vec::new();
        for shard in &self.shards {
            let inner = lock(shard);
            let mut mine: Vec<&Kept> = inner.records().filter(|record| record.on(&page)).collect();
            if mine.len() > page.limit && page.limit > 0 {
                mine.select_nth_unstable_by(page.limit - 1, in_order);
            }
            mine.truncate(page.limit);
            firsts.extend(mine.into_iter().map(Kept::record));
        }
        JournalFuture::ready(Ok(page.select(&firsts)))
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        let dead = self.sorted(|record| record.state == ActionState::DeadLettered);
        JournalFuture::ready(Ok(dead))
    }

    /// Looks through every finished action it remembers (and the dead letters),
    /// so the order is exact even when actions finished out of their time order.
    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        let newest_first = |a: &&Kept, b: &&Kept| (b.updated_at, b.id).cmp(&(a.updated_at, a.id));
        let mut found = Vec::new();
        for shard in &self.shards {
            let inner = lock(shard);
            let mut mine: Vec<&Kept> = inner
                .records()
                .filter(|record| record.state.is_finished() && &*record.service == service)
                .collect();
            if mine.len() > limit && limit > 0 {
                mine.select_nth_unstable_by(limit - 1, newest_first);
            }
            mine.truncate(limit);
            found.extend(mine.into_iter().map(Kept::record));
        }
        found.sort_unstable_by_key(|record| std::cmp::Reverse((record.updated_at, record.id)));
        found.truncate(limit);
        JournalFuture::ready(Ok(found))
    }

    fn is_immediate(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::Value;

    use super::*;

    fn ready<T>(future: JournalFuture<'_, T>) -> T {
        match future.now() {
            Ok(Ok(value)) => value,
            _ => panic!("the memory journal answers at once"),
        }
    }

    /// Accepts `count` actions of `service` and finishes each (as `state`), oldest first.
    fn finish(journal: &MemoryJournal, count: usize, state: ActionState) -> Vec<ActionId> {
        (0..count)
            .map(|_| {
                let id = ActionId::at(Utc::now());
                let record = ActionRecord::queued(id, "svc", "act", Value::Null, Utc::now());
                ready(journal.accept(record));
                ready(journal.update(id, ActionChange::new(state, 1, Utc::now())));
                id
            })
            .collect()
    }

    fn kept(journal: &MemoryJournal, ids: &[ActionId]) -> Vec<bool> {
        ids.iter()
            .map(|&id| ready(journal.get(id)).is_some())
            .collect()
    }

    #[test]
    fn ids_counted_one_after_another_take_neighbouring_buckets_in_every_shard() {
        let hash = |id: ActionId| {
            let mut hasher = IdHasher::default();
            id.hash(&mut hasher);
            hasher
        };
        let journal = MemoryJournal::new();
        let base = 0x0192_a5e3_c1f0_u128 << 80;
        let mut shards = vec![0; journal.shards.len()];
        for count in 0..256 {
            let (this, next) = (
                hash(ActionId::from(base + count)),
                hash(ActionId::from(base + count + 1)),
            );
            assert_eq!((next.finish() & AS_IS) - (this.finish() & AS_IS), 1);
            let shard = (this.mixed >> 32) as usize & (journal.shards.len() - 1);
            shards[shard] += 1;
        }
        assert!(shards.iter().all(|&ids| ids > 10), "{shards:?}");
    }

    #[test]
    fn a_small_limit_forgets_exactly_the_oldest() {
        let journal = MemoryJournal::keeping(3);
        let ids = finish(&journal, 5, ActionState::Succeeded);
        assert_eq!(kept(&journal, &ids), [false, false, true, true, true]);
        assert_eq!(ready(journal.history("svc", 10)).len(), 3);
    }

    #[test]
    fn a_large_limit_is_shared_out_and_never_exceeded() {
        let journal = MemoryJournal::new();
        assert!(journal.shards.len() > 1, "{} shards", journal.shards.len());
        let ids = finish(&journal, 25_000, ActionState::Succeeded);
        let kept = kept(&journal, &ids);
        let remembered = kept.iter().filter(|&&kept| kept).count();
        // Each shard forgets its own oldest: the total is the limit, to within
        // what the limit does not divide evenly.
        assert!(
            (MemoryJournal::DEFAULT_KEEP - journal.shards.len()..=MemoryJournal::DEFAULT_KEEP)
                .contains(&remembered),
            "{remembered} remembered"
        );
        // The oldest are all gone and the newest all kept.
        assert!(kept[..10_000].iter().all(|&kept| !kept));
        assert!(kept[ids.len() - 5_000..].iter().all(|&kept| kept));
        assert_eq!(ready(journal.history("svc", 20_000)).len(), remembered);
    }

    #[test]
    fn dead_letters_and_unfinished_actions_are_never_forgotten() {
        let journal = MemoryJournal::keeping(2);
        let dead = finish(&journal, 3, ActionState::DeadLettered);
        let running = finish(&journal, 3, ActionState::Running);
        let done = finish(&journal, 4, ActionState::Succeeded);
        assert!(kept(&journal, &dead).iter().all(|&kept| kept));
        assert!(kept(&journal, &running).iter().all(|&kept| kept));
        assert_eq!(kept(&journal, &done), [false, false, true, true]);
        assert_eq!(ready(journal.dead_letters()).len(), 3);
        assert_eq!(ready(journal.unfinished()).len(), 3);
    }

    #[test]
    fn a_finished_action_changed_again_is_kept_while_unfinished() {
        let journal = MemoryJournal::keeping(1);
        let first = finish(&journal, 1, ActionState::Succeeded)[0];
        // Asked to run again (a retried dead letter takes this path too).
        ready(journal.update(first, ActionChange::new(ActionState::Queued, 1, Utc::now())));
        let later = finish(&journal, 3, ActionState::Succeeded);
        assert_eq!(kept(&journal, &[first]), [true]);
        assert_eq!(kept(&journal, &later), [false, false, true]);
        // Finished once more, it is the newest, then forgotten in its turn.
        ready(journal.update(first, ActionChange::new(ActionState::Failed, 2, Utc::now())));
        assert_eq!(kept(&journal, &[first, later[2]]), [true, false]);
        finish(&journal, 1, ActionState::Succeeded);
        assert_eq!(kept(&journal, &[first]), [false]);
    }
}
