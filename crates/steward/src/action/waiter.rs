//! Who hears how an action ended: nobody, a caller waiting on a channel, or a
//! caller polling the attempt itself.
//!
//! A caller that starts its action in its own task (see `here`) polls the
//! attempt, and most attempts end during that first poll: the outcome is then the
//! attempt's output, with no channel made, sent on and received from. Only an
//! attempt that goes on without its caller (its handler waits and it is handed
//! to the service's task, or it is retried) needs a channel: it makes one then,
//! and leaves the receiver for the caller to take as the poll returns.

use std::cell::Cell;

use tokio::sync::oneshot;

use super::{ActionError, Payload};

/// How an action ended, as its caller hears it.
pub(crate) type Answer = Result<Payload, ActionError>;

/// Where a waiting caller hears the answer.
pub(crate) type Reply = oneshot::Sender<Answer>;

/// What a caller waits on when the attempt goes on without it.
pub(crate) type Receiver = oneshot::Receiver<Answer>;

/// Who hears how an action ended.
#[derive(Debug, Default)]
pub(crate) enum Waiter {
    /// Nobody waits: the result is kept in the journal for whoever looks it up.
    #[default]
    Nobody,
    /// A caller waits on this channel.
    Channel(Reply),
    /// The caller is polling the attempt: the answer is the attempt's output.
    Polling,
}

impl Waiter {
    /// Whether somebody waits for the answer.
    pub(crate) fn waits(&self) -> bool {
        !matches!(self, Waiter::Nobody)
    }

    /// The caller polling the attempt stops doing so: from now on it waits on a
    /// channel, whose receiver this returns.
    pub(crate) fn stop_polling(&mut self) -> Option<Receiver> {
        if !matches!(self, Waiter::Polling) {
            return None;
        }
        let (sender, receiver) = oneshot::channel();
        *self = Waiter::Channel(sender);
        Some(receiver)
    }

    /// The channel a caller waits on, if any, taken (nobody is left waiting).
    pub(crate) fn take_channel(&mut self) -> Option<Reply> {
        match std::mem::take(self) {
            Waiter::Channel(reply) => Some(reply),
            other => {
                *self = other;
                None
            }
        }
    }

    /// Gives `answer` to whoever waits: sent on the channel, or returned for the
    /// caller polling the attempt to take as its output.
    pub(crate) fn answer(self, answer: Answer) -> Option<Answer> {
        match self {
            Waiter::Nobody => None,
            Waiter::Channel(reply) => {
                let _ = reply.send(answer);
                None
            }
            Waiter::Polling => Some(answer),
        }
    }
}

thread_local! {
    /// The receiver an attempt leaves, during its caller's poll, when it goes on
    /// without that caller.
    static LEFT: Cell<Option<Receiver>> = const { Cell::new(None) };
}

/// Leaves `receiver` (if any) for the caller polling the attempt on this thread.
/// The caller takes it as soon as its poll returns, so an attempt started inside
/// a handler (one caller's poll within another's) takes its own before the outer
/// one can leave one.
pub(crate) fn leave(receiver: Option<Receiver>) {
    if receiver.is_some() {
        LEFT.set(receiver);
    }
}

/// The receiver an attempt this thread just polled left, if any.
pub(crate) fn take_left() -> Option<Receiver> {
    LEFT.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_polling_caller_turns_into_a_channel() {
        assert!(Waiter::Nobody.stop_polling().is_none());
        let (reply, _) = oneshot::channel();
        assert!(Waiter::Channel(reply).stop_polling().is_none());
        let mut polling = Waiter::Polling;
        let receiver = polling.stop_polling();
        assert!(matches!(polling, Waiter::Channel(_)) && receiver.is_some());
    }

    #[test]
    fn an_answer_goes_to_whoever_waits() {
        assert!(Waiter::Nobody.answer(Ok(Payload::Json(1.into()))).is_none());
        assert!(matches!(
            Waiter::Polling.answer(Ok(Payload::Json(1.into()))),
            Some(Ok(Payload::Json(_)))
        ));
        let mut polling = Waiter::Polling;
        let Some(mut receiver) = polling.stop_polling() else {
            panic!("a polling caller gets a channel");
        };
        assert!(polling.answer(Ok(Payload::Json(2.into()))).is_none());
        assert!(matches!(receiver.try_recv(), Ok(Ok(Payload::Json(_)))));
    }

    #[test]
    fn a_left_receiver_is_taken_once() {
        leave(None);
        assert!(take_left().is_none());
        let mut polling = Waiter::Polling;
        leave(polling.stop_polling());
        assert!(take_left().is_some());
        assert!(take_left().is_none());
    }
}
