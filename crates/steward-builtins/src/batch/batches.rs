//! Open batches by key, and the rules that close them.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::time::Instant;

use super::events::{BatchClosed, CloseReason};
use super::settings::KeyTemplate;

/// Room for this many events (or `max_size`, if fewer) is made when a batch
/// opens: fewer copies as it grows, without reserving a large `max_size` up
/// front for batches that may close small.
const FIRST_ROOM: usize = 32;

/// When batches close.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) window: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_size: usize,
}

/// One open batch.
#[derive(Debug)]
struct Open {
    opened: Instant,
    opened_at: DateTime<Utc>,
    last: Instant,
    items: Vec<Value>,
}

/// Every open batch.
#[derive(Debug)]
pub(crate) struct Batches {
    limits: Limits,
    open: HashMap<String, Open>,
    items: usize,
}

impl Batches {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            open: HashMap::new(),
            items: 0,
        }
    }

    /// Open batches, and the events they hold.
    pub(crate) fn depth(&self) -> (usize, usize) {
        (self.open.len(), self.items)
    }

    /// Adds an event to its key's batch (opening one if needed); the batch, if
    /// that filled it. `wall` is read only when a batch opens or closes; the key
    /// is copied only when its batch opens.
    pub(crate) fn add(
        &mut self,
        key: &KeyTemplate,
        item: Value,
        now: Instant,
        wall: impl Fn() -> DateTime<Utc>,
    ) -> Option<BatchClosed> {
        let max_size = self.limits.max_size;
        self.items += 1;
        // The key usually borrows from the event, which the batch then takes.
        let key = key.key(&item);
        if let Some(batch) = self.open.get_mut(&*key) {
            if batch.items.len() + 1 < max_size {
                batch.items.push(item);
                batch.last = now;
                return None;
            }
        } else if max_size > 1 {
            let key = key.into_owned();
            let mut items = Vec::with_capacity(max_size.min(FIRST_ROOM));
            items.push(item);
            let batch = Open {
                opened: now,
                opened_at: wall(),
                last: now,
                items,
            };
            self.open.insert(key, batch);
            return None;
        }
        // It fills its batch (or opens and fills one of a single event).
        let closed = wall();
        let (key, opened, items) = match self.open.remove_entry(&*key) {
            Some((key, mut batch)) => {
                batch.items.push(item);
                (key, batch.opened_at, batch.items)
            }
            None => (key.into_owned(), closed, vec![item]),
        };
        Some(self.closed(key, items, CloseReason::Size, opened, closed))
    }

    /// Closes the batches whose window or idle time is up, oldest first.
    pub(crate) fn due(&mut self, now: Instant, wall: DateTime<Utc>) -> Vec<BatchClosed> {
        let limits = self.limits;
        let mut due: Vec<(Instant, String, CloseReason)> = self
            .open
            .iter()
            .filter_map(|(key, batch)| {
                let reason = if now.duration_since(batch.opened) >= limits.window {
                    CloseReason::Window
                } else if now.duration_since(batch.last) >= limits.idle_timeout {
                    CloseReason::Idle
                } else {
                    return None;
                };
                Some((batch.opened, key.clone(), reason))
            })
            .collect();
        due.sort();
        due.into_iter()
            .filter_map(|(_, key, reason)| self.close(&key, reason, wall))
            .collect()
    }

    /// Closes every batch, oldest first: the host is stopping.
    pub(crate) fn flush(&mut self, wall: DateTime<Utc>) -> Vec<BatchClosed> {
        let mut keys: Vec<(Instant, String)> = self
            .open
            .iter()
            .map(|(key, batch)| (batch.opened, key.clone()))
            .collect();
        keys.sort();
        keys.into_iter()
            .filter_map(|(_, key)| self.close(&key, CloseReason::Shutdown, wall))
            .collect()
    }

    fn close(
        &mut self,
        key: &str,
        reason: CloseReason,
        wall: DateTime<Utc>,
    ) -> Option<BatchClosed> {
        let (key, batch) = self.open.remove_entry(key)?;
        Some(self.closed(key, batch.items, reason, batch.opened_at, wall))
    }

    /// A batch taken out of the open ones, closed for `reason`.
    fn closed(
        &mut self,
        key: String,
        items: Vec<Value>,
        reason: CloseReason,
        opened: DateTime<Utc>,
        closed: DateTime<Utc>,
    ) -> BatchClosed {
        self.items -= items.len();
        BatchClosed {
            key,
            size: items.len(),
            items,
            reason,
            opened,
            closed,
        }
    }
}
