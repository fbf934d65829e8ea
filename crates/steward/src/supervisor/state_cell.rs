//! A service's current state: one atomic byte and a `Notify` for those waiting on it.
//!
//! Lighter than a `watch` channel (which carries eight notifiers), and every host has
//! one per service.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::Notify;

use crate::state::State;

pub(crate) struct StateCell {
    state: AtomicU8,
    changed: Notify,
}

impl StateCell {
    pub(crate) fn new(state: State) -> Self {
        Self {
            state: AtomicU8::new(state as u8),
            changed: Notify::new(),
        }
    }

    pub(crate) fn get(&self) -> State {
        decode(self.state.load(Ordering::Acquire))
    }

    /// Sets `to` and returns the state it replaced; wakes waiters on a change.
    pub(crate) fn replace(&self, to: State) -> State {
        let from = decode(self.state.swap(to as u8, Ordering::AcqRel));
        if from != to {
            self.changed.notify_waiters();
        }
        from
    }

    /// Sets `to` unless the current state is `to` or `keep` says to keep it; returns
    /// the state it replaced, if it did.
    pub(crate) fn replace_unless(&self, keep: impl Fn(State) -> bool, to: State) -> Option<State> {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let from = decode(current);
            if keep(from) || from == to {
                return None;
            }
            match self.state.compare_exchange_weak(
                current,
                to as u8,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.changed.notify_waiters();
                    return Some(from);
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Waits until the state satisfies `wanted`, and returns it.
    pub(crate) async fn wait_for(&self, wanted: impl Fn(State) -> bool) -> State {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before the check, so no change between the two is missed.
            notified.as_mut().enable();
            let state = self.get();
            if wanted(state) {
                return state;
            }
            notified.await;
        }
    }
}

fn decode(byte: u8) -> State {
    const STATES: [State; 8] = [
        State::Pending,
        State::Starting,
        State::Running,
        State::BackingOff,
        State::Stopping,
        State::Stopped,
        State::Failed,
        State::Disabled,
    ];
    STATES
        .into_iter()
        .find(|state| *state as u8 == byte)
        .unwrap_or(State::Failed)
}
