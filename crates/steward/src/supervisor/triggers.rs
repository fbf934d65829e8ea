//! Requests to run a periodic service's tick now, between scheduled ticks.

use std::sync::{Mutex, PoisonError};

use tokio::sync::{Notify, oneshot};

/// What a triggered tick's caller hears: the tick's outcome.
pub(crate) type TickOutcome = Result<(), String>;

/// Pending trigger requests of one periodic service. Requests that arrive while a
/// tick runs are served together by one tick right after it: ticks never overlap.
#[derive(Debug, Default)]
pub(crate) struct Triggers {
    state: Mutex<State>,
    /// Wakes the tick loop.
    pub(crate) wake: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Whether a tick loop runs to serve requests.
    serving: bool,
    waiting: Vec<oneshot::Sender<TickOutcome>>,
}

impl Triggers {
    /// Registers a request; the receiver hears the outcome of the tick that serves
    /// it, or sees its sender dropped if no tick loop runs (or it ends first).
    pub(crate) fn request(&self) -> oneshot::Receiver<TickOutcome> {
        let (sender, receiver) = oneshot::channel();
        let mut state = self.lock();
        if state.serving {
            state.waiting.push(sender);
        }
        receiver
    }

    /// Takes the requests the next tick serves.
    pub(crate) fn take(&self) -> Vec<oneshot::Sender<TickOutcome>> {
        std::mem::take(&mut self.lock().waiting)
    }

    /// A tick loop begins (`true`) or ends (`false`) serving requests; when it
    /// ends, the requests still waiting are dropped.
    pub(crate) fn serving(&self, serving: bool) {
        let dropped = {
            let mut state = self.lock();
            state.serving = serving;
            if serving {
                Vec::new()
            } else {
                std::mem::take(&mut state.waiting)
            }
        };
        drop(dropped);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
