//! Requests to run a periodic service's tick now, between scheduled ticks.

use std::sync::{Mutex, PoisonError};

use tokio::sync::{Notify, oneshot};

/// What a triggered tick's caller hears: the tick's outcome.
pub(crate) type TickOutcome = Result<(), String>;

/// Pending trigger requests of one periodic service. Requests that arrive while a
/// tick runs are served together by one tick right after it: ticks never overlap.
#[derive(Debug, Default)]
pub(crate) struct Triggers {
    waiting: Mutex<Vec<oneshot::Sender<TickOutcome>>>,
    /// Wakes the tick loop.
    pub(crate) wake: Notify,
}

impl Triggers {
    /// Registers a request; the receiver hears the outcome of the tick that serves it.
    pub(crate) fn request(&self) -> oneshot::Receiver<TickOutcome> {
        let (sender, receiver) = oneshot::channel();
        self.lock().push(sender);
        receiver
    }

    /// Takes the requests the next tick serves.
    pub(crate) fn take(&self) -> Vec<oneshot::Sender<TickOutcome>> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<oneshot::Sender<TickOutcome>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
