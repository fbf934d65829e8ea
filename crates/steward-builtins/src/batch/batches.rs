//! Open batches by key, and the rules that close them.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::time::Instant;

use super::events::{BatchClosed, CloseReason};

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
        key: &str,
        item: Value,
        now: Instant,
        wall: impl Fn() -> DateTime<Utc>,
    ) -> Option<BatchClosed> {
        let max_size = self.limits.max_size;
        let full = match self.open.get_mut(key) {
            Some(batch) => {
                batch.items.push(item);
                batch.last = now;
                batch.items.len() >= max_size
            }
            None => {
                let batch = Open {
                    opened: now,
                    opened_at: wall(),
                    last: now,
                    items: vec![item],
                };
                self.open.insert(key.to_owned(), batch);
                max_size <= 1
            }
        };
        self.items += 1;
        if !full {
            return None;
        }
        self.close(key, CloseReason::Size, wall())
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
        self.items -= batch.items.len();
        Some(BatchClosed {
            key,
            size: batch.items.len(),
            items: batch.items,
            reason,
            opened: batch.opened_at,
            closed: wall,
        })
    }
}
