//! What a journal holds unfinished at start, and how replay reads it a page at a
//! time, so that a backlog of any size costs a page of memory per service.

use std::cmp::Ordering;
use std::sync::Arc;

use super::{ActionId, ActionRecord, ActionState};

/// What replay will read at start: the services that have unfinished actions,
/// and the newest of those actions.
///
/// Replay reads only actions up to [`newest`](Backlog::newest): anything accepted
/// after start is already in this process's hands, and is not replayed twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backlog {
    /// Each service with an unfinished action, once, in no particular order.
    pub services: Vec<Arc<str>>,
    /// The newest unfinished action; `None` when there is none.
    pub newest: Option<ActionId>,
}

impl Backlog {
    /// A backlog of `services` whose newest unfinished action is `newest`.
    pub fn new(services: Vec<Arc<str>>, newest: Option<ActionId>) -> Self {
        Self { services, newest }
    }

    /// The backlog of `records` (any records; only unfinished ones count).
    pub fn of<'a>(records: impl IntoIterator<Item = &'a ActionRecord>) -> Self {
        let mut backlog = Self::default();
        for record in records {
            backlog.count(record.state, &record.service, record.id);
        }
        backlog
    }

    /// Counts one record, given by its parts, if it is unfinished.
    pub(crate) fn count(&mut self, state: ActionState, service: &Arc<str>, id: ActionId) {
        if state.is_finished() {
            return;
        }
        if !self.services.contains(service) {
            self.services.push(service.clone());
        }
        self.newest = self.newest.max(Some(id));
    }
}

/// Where a page of one service's backlog starts: just after this action in
/// replay order (highest priority first, then oldest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacklogCursor {
    /// The priority of the last action read.
    pub priority: i32,
    /// The id of the last action read.
    pub id: ActionId,
}

impl BacklogCursor {
    /// The position of `record`.
    pub fn of(record: &ActionRecord) -> Self {
        Self {
            priority: record.priority,
            id: record.id,
        }
    }

    /// Whether an action with `priority` and `id` comes after this position in
    /// replay order.
    pub fn precedes(&self, priority: i32, id: ActionId) -> bool {
        replay_order((self.priority, self.id), (priority, id)) == Ordering::Less
    }
}

/// One page of a service's backlog, as [`Journal::backlog_page`](super::Journal::backlog_page) reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BacklogPage {
    /// The service whose actions are read.
    pub service: Arc<str>,
    /// Read after this position; from the start when `None`.
    pub after: Option<BacklogCursor>,
    /// Read no action newer than this ([`Backlog::newest`]).
    pub newest: ActionId,
    /// At most this many actions.
    pub limit: usize,
}

impl BacklogPage {
    /// The first `limit` actions of `service`'s backlog up to `newest`.
    pub fn first(service: Arc<str>, newest: ActionId, limit: usize) -> Self {
        Self {
            service,
            after: None,
            newest,
            limit,
        }
    }

    /// The page that follows this one, which ended at `last`.
    pub fn next(&self, last: BacklogCursor) -> Self {
        Self {
            after: Some(last),
            ..self.clone()
        }
    }

    /// Whether `record` belongs on this page or a later one: unfinished, of this
    /// service, no newer than [`newest`](BacklogPage::newest), after the cursor.
    pub fn admits(&self, record: &ActionRecord) -> bool {
        self.admits_one(record.state, &record.service, record.priority, record.id)
    }

    /// [`admits`](Self::admits), of a record's parts.
    pub(crate) fn admits_one(
        &self,
        state: ActionState,
        service: &str,
        priority: i32,
        id: ActionId,
    ) -> bool {
        !state.is_finished()
            && service == &*self.service
            && id <= self.newest
            && self.after.is_none_or(|after| after.precedes(priority, id))
    }

    /// This page out of `records` (any records, in any order): what it admits,
    /// in replay order, at most [`limit`](BacklogPage::limit).
    pub fn select<'a>(
        &self,
        records: impl IntoIterator<Item = &'a ActionRecord>,
    ) -> Vec<ActionRecord> {
        let mut page: Vec<&ActionRecord> = records
            .into_iter()
            .filter(|record| self.admits(record))
            .collect();
        page.sort_unstable_by(|a, b| replay_order((a.priority, a.id), (b.priority, b.id)));
        page.truncate(self.limit);
        page.into_iter().cloned().collect()
    }
}

/// Replay order: highest priority first, then oldest (lowest id) first.
pub(super) fn replay_order(a: (i32, ActionId), b: (i32, ActionId)) -> Ordering {
    b.0.cmp(&a.0).then(a.1.cmp(&b.1))
}
