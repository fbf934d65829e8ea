#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::{Inbox, Next};
use crate::writer::Message;

fn prune_message() -> Message {
    let (reply, _) = oneshot::channel();
    Message::Prune(reply)
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_message_waiting_comes_first_even_when_the_time_is_past() {
    let (sender, receiver) = mpsc::channel(4);
    let mut inbox = Inbox::new(receiver);
    sender.try_send(prune_message()).unwrap();
    assert!(matches!(
        inbox.next(Instant::now()),
        Next::Message(Message::Prune(_))
    ));
}

#[test]
fn with_nothing_waiting_a_time_already_past_is_due_at_once() {
    let (_sender, receiver) = mpsc::channel(4);
    let mut inbox = Inbox::new(receiver);
    assert!(matches!(inbox.next(Instant::now()), Next::Due));
}

#[test]
fn a_message_sent_meanwhile_ends_the_wait_long_before_its_time() {
    let (sender, receiver) = mpsc::channel(4);
    let mut inbox = Inbox::new(receiver);
    let sending = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        sender.blocking_send(prune_message()).unwrap();
        sender
    });
    // A wake that never came would wait out the 10 s and say `Due`.
    let began = Instant::now();
    let next = inbox.next(began + Duration::from_secs(10));
    assert!(matches!(next, Next::Message(_)), "{next:?}");
    let sender = sending.join().unwrap();

    // Every sender gone: closed, however long it was to wait.
    drop(sender);
    assert!(matches!(inbox.next(Instant::now() + HOUR), Next::Closed));
}

#[test]
fn a_closed_inbox_still_delivers_what_was_sent_then_says_closed() {
    let (sender, receiver) = mpsc::channel(4);
    let mut inbox = Inbox::new(receiver);
    sender.try_send(prune_message()).unwrap();
    inbox.close();
    assert!(sender.try_send(prune_message()).is_err());
    assert!(matches!(inbox.waiting(), Some(Message::Prune(_))));
    assert!(matches!(inbox.next(Instant::now() + HOUR), Next::Closed));
}
