//! Replay of a backlog larger than a mailbox: read in a page at a time as room
//! frees, in priority order, each action once, with cancels and dead-letter
//! retries of actions not yet read honoured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::records::until_state;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steward::testing::TestHost;
use steward::{
    ActionId, ActionRecord, ActionState, ActionTable, Context, Continuous, Journal, MemoryJournal,
    Result, State, continuous,
};

/// Notes the id of every action it handles, in order; each takes a second.
#[derive(Default, Clone)]
struct Worker {
    handled: Arc<Mutex<Vec<u128>>>,
}

impl Continuous for Worker {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

fn table() -> ActionTable<Worker> {
    ActionTable::new().action("work", "Takes a second", |worker: &Worker, cx, (): ()| {
        let id = cx.action_id().unwrap().as_u128();
        worker.handled.lock().unwrap().push(id);
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        })
    })
}

/// An action a previous process left queued.
fn left(n: u128, priority: i32) -> ActionRecord {
    let at = chrono::Utc::now();
    let params = serde_json::Value::Null;
    ActionRecord {
        priority,
        ..ActionRecord::queued(ActionId::from(n), "worker", "work", params, at)
    }
}

/// A journal holding `count` actions left queued, ids 1 to `count`, at
/// priorities 0, 1 and 2 in turn.
async fn backlog(count: u128) -> Arc<MemoryJournal> {
    let journal = Arc::new(MemoryJournal::new());
    for n in 1..=count {
        journal.accept(left(n, (n % 3) as i32)).await.unwrap();
    }
    journal
}

async fn start(journal: &Arc<MemoryJournal>, worker: &Worker, mailbox: usize) -> TestHost {
    let journal = journal.clone();
    let host = TestHost::builder()
        .with(|builder| builder.journal(journal))
        .service(
            continuous("worker", worker.clone())
                .actions(table())
                .mailbox(mailbox),
        )
        .start()
        .await
        .unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    host
}

/// Lets the host work, a second at a time, until `worker` has handled `count`.
async fn until_handled(host: &TestHost, worker: &Worker, count: usize) {
    for _ in 0..10_000 {
        if worker.handled.lock().unwrap().len() >= count {
            return;
        }
        host.advance(Duration::from_secs(1)).await;
    }
    panic!("only {} handled", worker.handled.lock().unwrap().len());
}

async fn depth(host: &TestHost) -> usize {
    let status = host.handle().named("worker").status().await.unwrap();
    status.queue.unwrap().depth
}

#[tokio::test(start_paused = true)]
async fn a_backlog_larger_than_the_mailbox_is_read_in_as_room_frees_highest_priority_first() {
    let journal = backlog(300).await;
    let worker = Worker::default();
    let host = start(&journal, &worker, 8).await;
    // Only a mailbox's worth is in memory, not the whole backlog.
    assert!(depth(&host).await <= 8, "depth {}", depth(&host).await);

    let mut deepest = 0;
    while worker.handled.lock().unwrap().len() < 300 {
        deepest = deepest.max(depth(&host).await);
        host.advance(Duration::from_secs(1)).await;
    }
    assert!(deepest <= 8, "the mailbox held {deepest}");
    let handled = worker.handled.lock().unwrap().clone();
    let mut expected: Vec<u128> = (1..=300).collect();
    expected.sort_by_key(|n| (std::cmp::Reverse(n % 3), *n));
    assert_eq!(handled, expected, "priority order, oldest first within one");
    host.shutdown().await;
    assert!(journal.unfinished().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn actions_sent_while_a_backlog_is_read_in_run_once_each_and_so_does_the_backlog() {
    let journal = backlog(100).await;
    let worker = Worker::default();
    let host = start(&journal, &worker, 8).await;
    let worker_ref = host.handle().named("worker");
    let mut live = Vec::new();
    // Below the backlog's priorities too: those wait in line until the reading
    // has passed where their ids would fall.
    for priority in [-1, 2, 5] {
        for _ in 0..3 {
            let id = worker_ref
                .act("work", ())
                .priority(priority)
                .submit()
                .await
                .unwrap();
            live.push(id.as_u128());
            host.advance(Duration::from_millis(300)).await;
        }
    }
    until_handled(&host, &worker, 109).await;
    host.advance(Duration::from_secs(5)).await;

    let handled = worker.handled.lock().unwrap().clone();
    let mut runs: HashMap<u128, usize> = HashMap::new();
    for id in &handled {
        *runs.entry(*id).or_default() += 1;
    }
    let twice: Vec<_> = runs.iter().filter(|(_, runs)| **runs > 1).collect();
    assert!(twice.is_empty(), "ran more than once: {twice:?}");
    assert_eq!(runs.len(), 109);
    assert!(live.iter().all(|id| runs.contains_key(id)));
    host.shutdown().await;
}

async fn assert_cancelled(host: &TestHost, ids: &[u128]) {
    for n in ids {
        let record = host.handle().action(ActionId::from(*n)).await.unwrap();
        assert_eq!(record.state, ActionState::Cancelled);
    }
}

#[tokio::test(start_paused = true)]
async fn actions_not_yet_read_in_can_be_cancelled_and_never_run() {
    let journal = backlog(60).await;
    let worker = Worker::default();
    let host = start(&journal, &worker, 4).await;
    // From the mailbox, from a page in the reader's hands, and from pages still to
    // be read (priority 0, oldest: among the last).
    let cancelled: Vec<u128> = (14..60).step_by(3).chain([3]).collect();
    for n in &cancelled {
        host.handle().cancel(ActionId::from(*n)).await.unwrap();
    }
    assert_cancelled(&host, &cancelled).await;

    let left = 60 - cancelled.len();
    until_handled(&host, &worker, left).await;
    host.advance(Duration::from_secs(5)).await;
    let handled = worker.handled.lock().unwrap().clone();
    assert_eq!(handled.len(), left, "{handled:?}");
    let ran: Vec<_> = cancelled.iter().filter(|n| handled.contains(n)).collect();
    assert!(ran.is_empty(), "cancelled actions ran: {ran:?}");
    assert_cancelled(&host, &cancelled).await;
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_dead_letter_retried_while_the_backlog_is_read_in_runs_once() {
    let journal = backlog(60).await;
    // Older than the backlog, so within what replay reads; the lowest priority,
    // so it waits in line until the reading gets to it.
    let dead = ActionId::from(0);
    let mut record = left(0, -1);
    record.state = ActionState::DeadLettered;
    journal.accept(record).await.unwrap();
    let worker = Worker::default();
    let host = start(&journal, &worker, 4).await;
    host.handle().retry_dead_letter(dead).await.unwrap();

    until_handled(&host, &worker, 61).await;
    host.advance(Duration::from_secs(5)).await;
    let handled = worker.handled.lock().unwrap().clone();
    let runs = handled.iter().filter(|id| **id == 0).count();
    assert_eq!(runs, 1, "{handled:?}");
    assert_eq!(handled.len(), 61);
    until_state(&host, dead, ActionState::Succeeded).await;
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_leaves_what_was_not_read_in_queued_in_the_journal() {
    let journal = backlog(50).await;
    let worker = Worker::default();
    let host = start(&journal, &worker, 4).await;
    host.advance(Duration::from_secs(3)).await;
    host.shutdown().await;
    let handled = worker.handled.lock().unwrap().len();
    let left = journal.unfinished().await.unwrap();
    assert!(handled < 50, "{handled}");
    assert_eq!(left.len() + handled, 50, "nothing lost, nothing run twice");
    assert!(
        left.iter()
            .all(|record| record.state == ActionState::Queued)
    );
    // A later start takes up the rest.
    let worker = Worker::default();
    let again = start(&journal, &worker, 4).await;
    until_handled(&again, &worker, left.len()).await;
    again.advance(Duration::from_secs(2)).await;
    again.shutdown().await;
    assert!(journal.unfinished().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn replayed_actions_due_later_are_held_no_more_than_the_mailbox_holds() {
    let journal = Arc::new(MemoryJournal::new());
    let now = chrono::Utc::now();
    let due = now + chrono::Duration::hours(1);
    for n in 1..=40 {
        let record = ActionRecord {
            not_before: Some(due),
            ..left(n, 0)
        };
        journal.accept(record).await.unwrap();
    }
    let worker = Worker::default();
    let journal_for_host = journal.clone();
    let host = TestHost::builder()
        .wall_clock(now)
        .with(|builder| builder.journal(journal_for_host))
        .service(
            continuous("worker", worker.clone())
                .actions(table())
                .mailbox(4),
        )
        .start()
        .await
        .unwrap();
    let scheduled = || async {
        let status = host.handle().named("worker").status().await.unwrap();
        status.queue.unwrap().scheduled
    };
    host.advance(Duration::from_secs(60)).await;
    assert_eq!(scheduled().await, 4, "held: as many as the mailbox holds");
    assert!(worker.handled.lock().unwrap().is_empty());

    until_handled(&host, &worker, 40).await;
    host.advance(Duration::from_secs(5)).await;
    let mut handled = worker.handled.lock().unwrap().clone();
    handled.sort_unstable();
    assert_eq!(handled, (1..=40).collect::<Vec<u128>>(), "each once");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_cancel_sent_before_the_host_starts_waits_for_it_and_the_action_never_runs() {
    let journal = backlog(60).await;
    let worker = Worker::default();
    let journal_for_host = journal.clone();
    let (host, _recorder) = TestHost::builder()
        .with(|builder| builder.journal(journal_for_host))
        .service(
            continuous("worker", worker.clone())
                .actions(table())
                .mailbox(4),
        )
        .build()
        .unwrap();
    let handle = host.handle();
    let cancel = tokio::spawn(async move { handle.cancel(ActionId::from(3)).await });
    tokio::task::yield_now().await;
    assert!(!cancel.is_finished(), "it waits for the start");
    let running = host.start().await.unwrap();
    cancel.await.unwrap().unwrap();
    for _ in 0..100 {
        if worker.handled.lock().unwrap().len() >= 59 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let handled = worker.handled.lock().unwrap().clone();
    assert_eq!(handled.len(), 59);
    assert!(!handled.contains(&3));
    running.shutdown().await;
}
