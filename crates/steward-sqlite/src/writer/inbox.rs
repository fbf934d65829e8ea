//! The writer's queue as its thread waits on it: for the next message, or until
//! a pass of pruning is due, whichever comes first.

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Instant;

use tokio::sync::mpsc;

use super::Message;

/// What waiting brought.
#[derive(Debug)]
pub(crate) enum Next {
    /// A message.
    Message(Message),
    /// Nothing came before the time waited for.
    Due,
    /// Every sender is gone (or the queue was closed) and nothing is left in it.
    Closed,
}

/// The writer's end of the queue, waited on by the thread that made it.
#[derive(Debug)]
pub(crate) struct Inbox {
    receiver: mpsc::Receiver<Message>,
    /// Wakes this thread when a message comes.
    waker: Waker,
}

/// Unparks a thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

impl Inbox {
    /// The queue's receiving end, to be waited on by the calling thread only.
    pub(crate) fn new(receiver: mpsc::Receiver<Message>) -> Self {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        Self { receiver, waker }
    }

    /// The next message, waiting for it until `until` at most.
    pub(crate) fn next(&mut self, until: Instant) -> Next {
        let mut cx = Context::from_waker(&self.waker);
        loop {
            match self.receiver.poll_recv(&mut cx) {
                Poll::Ready(Some(message)) => return Next::Message(message),
                Poll::Ready(None) => return Next::Closed,
                Poll::Pending => {}
            }
            let now = Instant::now();
            if now >= until {
                return Next::Due;
            }
            // Woken early by a message (or for no reason): the loop looks again.
            std::thread::park_timeout(until - now);
        }
    }

    /// A message already waiting, if any.
    pub(crate) fn waiting(&mut self) -> Option<Message> {
        self.receiver.try_recv().ok()
    }

    /// Takes no new messages; those already sent are still delivered.
    pub(crate) fn close(&mut self) {
        self.receiver.close();
    }
}

#[cfg(test)]
mod tests;
