//! A service's current state: one atomic byte and a `Notify` for those waiting on it.
//!
//! Lighter than a `watch` channel (which carries eight notifiers), and every host has
//! one per service.

use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use tokio::sync::Notify;

use crate::state::State;

pub(crate) struct StateCell {
    state: AtomicU8,
    /// How many are waiting: most changes have no one to wake, and waking no one
    /// through `Notify` still takes its lock.
    waiting: AtomicU32,
    changed: Notify,
}

impl StateCell {
    pub(crate) fn new(state: State) -> Self {
        Self {
            state: AtomicU8::new(state as u8),
            waiting: AtomicU32::new(0),
            changed: Notify::new(),
        }
    }

    pub(crate) fn get(&self) -> State {
        decode(self.state.load(Ordering::Acquire))
    }

    /// Sets `to` and returns the state it replaced; wakes waiters on a change.
    pub(crate) fn replace(&self, to: State) -> State {
        let from = decode(self.state.swap(to as u8, Ordering::SeqCst));
        if from != to {
            self.wake();
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
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => {
                    self.wake();
                    return Some(from);
                }
                Err(actual) => current = actual,
            }
        }
    }

    fn wake(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.changed.notify_waiters();
        }
    }

    /// Waits until the state satisfies `wanted`, and returns it.
    pub(crate) async fn wait_for(&self, wanted: impl Fn(State) -> bool) -> State {
        let state = self.get();
        if wanted(state) {
            return state;
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _done = Waiting(&self.waiting);
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered (and counted) before the check, so no change is missed: a
            // change after this check sees the count and wakes us.
            notified.as_mut().enable();
            let state = decode(self.state.load(Ordering::SeqCst));
            if wanted(state) {
                return state;
            }
            notified.await;
        }
    }
}

/// Uncounts a waiter however its wait ends (done, or dropped).
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
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
