//! Actions accepted to run later: held beside the mailbox until their time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::mailbox::abandon;
use super::{ActionId, Job};
use crate::host::HostShared;

/// One service's actions waiting for their time (scheduled for later, or a retry
/// waiting out its backoff), by id, so that a cancel can withdraw one before it is
/// due. They take no place in the mailbox until then.
#[derive(Default)]
pub(crate) struct Waiting {
    held: Mutex<HashMap<ActionId, Held>>,
    /// Told whenever one leaves, for replay waiting for room among them.
    left: Notify,
}

/// A waiting action, and whether it is a retry (which a drain waits for).
pub(crate) struct Held {
    pub(crate) job: Job,
    pub(crate) retry: bool,
}

impl Waiting {
    fn lock(&self) -> MutexGuard<'_, HashMap<ActionId, Held>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds an action until it is taken.
    pub(crate) fn hold(&self, job: Job, retry: bool) {
        self.lock().insert(job.id, Held { job, retry });
    }

    /// Withdraws a waiting action.
    pub(crate) fn take(&self, id: ActionId) -> Option<Held> {
        let held = self.lock().remove(&id);
        if held.is_some() {
            self.left.notify_waiters();
        }
        held
    }

    /// Completes once fewer than `most` wait.
    pub(crate) async fn fewer_than(&self, most: usize) {
        loop {
            let left = self.left.notified();
            tokio::pin!(left);
            left.as_mut().enable();
            if self.len() < most {
                return;
            }
            left.await;
        }
    }

    /// How many wait.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Holds `job` for the service at `index` until `at`, then puts it in line.
///
/// A host that stops first leaves it as it is in the journal (queued, with its
/// time) for the next start; a caller waiting for its result hears it was abandoned.
pub(crate) fn hold_until(host: &Arc<HostShared>, index: usize, job: Job, at: DateTime<Utc>) {
    let cell = host.cells[index].clone();
    let Some(actions) = cell.actions.as_deref() else {
        abandon(job);
        return;
    };
    let id = job.id;
    actions.waiting.hold(job, false);
    let due = tokio::time::sleep_until(host.clock.instant_at(at));
    let stopping = host.shutdown_requested.clone();
    host.tracker.spawn(async move {
        let reached = stopping.run_until_cancelled(due).await.is_some();
        let Some(actions) = cell.actions.as_deref() else {
            return;
        };
        // Gone if it was cancelled meanwhile.
        let Some(job) = actions.withdraw(id) else {
            return;
        };
        if reached {
            actions.mailbox.requeue(job);
        } else {
            abandon(job);
        }
    });
}
