//! At-least-once delivery at its edges: an attempt the journal cannot record does
//! not start, an action that keeps ending the process is not replayed forever,
//! and a dead letter retried twice at once runs once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::journals::{Hooked, UpdateHook, Verdict};
use common::records::{until_record, until_state};

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use tokio::sync::Notify;

use steward::testing::TestHost;
use steward::{
    ActionChange, ActionError, ActionId, ActionRecord, ActionState, ActionTable, Context,
    Continuous, Journal, JournalError, JournalFuture, MemoryJournal, Result, State, continuous,
};

/// Each label worked on, with the attempt it was.
type Runs = Arc<Mutex<Vec<(String, Option<u32>)>>>;

/// Notes each label it works on with the attempt, and never finishes while `hang`
/// is set (as a handler that takes the process down never does). The label
/// `gate` holds its handler slot until the gate opens.
#[derive(Default)]
struct Worker {
    runs: Runs,
    hang: Arc<AtomicBool>,
    gate: Arc<Gate>,
}

/// Told when the `gate` action starts; holds it until told to open.
#[derive(Default)]
struct Gate {
    started: Notify,
    open: Notify,
}

impl Continuous for Worker {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

fn table() -> ActionTable<Worker> {
    ActionTable::new().action(
        "work",
        "Notes its label",
        |worker: &Worker, cx, label: String| {
            worker
                .runs
                .lock()
                .unwrap()
                .push((label.clone(), cx.attempt()));
            let hang = worker.hang.load(Ordering::SeqCst);
            if label == "gate" {
                worker.gate.started.notify_one();
            }
            Box::pin(async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                if label == "gate" {
                    worker.gate.open.notified().await;
                }
                Ok(label)
            })
        },
    )
}

async fn start(journal: impl Journal, worker: Worker) -> TestHost {
    let host = TestHost::builder()
        .with(|builder| builder.journal(journal))
        .service(continuous("worker", worker).actions(table()))
        .start()
        .await
        .unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    host
}

fn runs_of(runs: &Runs) -> Vec<(String, Option<u32>)> {
    let mut runs = runs.lock().unwrap().clone();
    runs.sort();
    runs
}
/// Refuses to record an attempt as started while `broken`, as a full disk would
/// answer; every other write goes through.
#[derive(Default)]
struct Faulty {
    broken: AtomicBool,
    refused: AtomicU32,
}

impl Faulty {
    /// A memory journal that answers at once, with this fault.
    fn journal() -> Arc<Hooked<Self>> {
        Arc::new(Hooked::immediate(Self::default()))
    }
}

impl UpdateHook for Faulty {
    fn verdict(&self, change: &ActionChange) -> Verdict {
        if change.state == ActionState::Running && self.broken.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Verdict::Refuse(JournalError("disk full".to_owned()));
        }
        Verdict::Write
    }
}

type Caller = tokio::task::JoinHandle<Result<String, ActionError>>;

/// Sends `label` to the worker and waits for its result, on a task of its own.
fn send(host: &TestHost, label: &str) -> Caller {
    let request = host.handle().named("worker").act("work", label.to_owned());
    tokio::spawn(async move { request.send::<String>().await })
}

/// [`send`], once the action is accepted: with a journal that answers at once,
/// the first poll of `send` accepts it (and queues it, or starts it).
async fn send_accepted(host: &TestHost, label: &str) -> Caller {
    let request = host.handle().named("worker").act("work", label.to_owned());
    let mut sending = Box::pin(request.send::<String>());
    let first = std::future::poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await;
    assert!(first.is_pending(), "{label} answered at once");
    tokio::spawn(sending)
}

/// Has a `gate` action take the worker's one handler slot, so that the next
/// action sent waits in the mailbox and the service's task starts it: an action
/// that finds the slot free is written as started with its acceptance, and only
/// one taken from the mailbox writes its start on its own.
async fn hold_the_slot(host: &TestHost, gate: &Gate) -> Caller {
    let held = send(host, "gate");
    gate.started.notified().await;
    held
}

/// Opens the gate and waits for it to be through.
async fn release(gate: &Gate, held: Caller) {
    gate.open.notify_one();
    assert_eq!(held.await.unwrap().unwrap(), "gate");
}

/// The runs other than the gate's.
fn work_of(runs: &Runs) -> Vec<(String, Option<u32>)> {
    runs_of(runs)
        .into_iter()
        .filter(|(label, _)| label != "gate")
        .collect()
}

/// The one unfinished action in `journal`.
async fn only_unfinished(journal: &MemoryJournal) -> ActionRecord {
    let mut unfinished = journal.unfinished().await.unwrap();
    assert_eq!(unfinished.len(), 1, "{unfinished:?}");
    unfinished.remove(0)
}

#[tokio::test(start_paused = true)]
async fn an_attempt_the_journal_cannot_record_does_not_start_and_waits_for_the_journal() {
    let journal = Faulty::journal();
    let worker = Worker::default();
    let (runs, gate) = (worker.runs.clone(), worker.gate.clone());
    let host = start(journal.clone(), worker).await;
    let held = hold_the_slot(&host, &gate).await;
    journal.hook.broken.store(true, Ordering::SeqCst);
    let caller = send_accepted(&host, "kept").await;
    release(&gate, held).await;
    host.advance(Duration::from_secs(60)).await;
    assert!(work_of(&runs).is_empty(), "no handler runs unrecorded");
    // Tried again after growing waits (1 s, 2 s, 4 s … up to 30 s), not in a loop.
    let refused = journal.hook.refused.load(Ordering::SeqCst);
    assert!((4..=8).contains(&refused), "{refused} tries in a minute");
    assert!(!caller.is_finished(), "its caller waits");
    let record = only_unfinished(&journal.journal).await;
    assert_eq!((record.state, record.attempts), (ActionState::Queued, 0));

    // Waiting for the journal, it can be withdrawn like a retry.
    let held = hold_the_slot(&host, &gate).await;
    let withdrawn = send_accepted(&host, "withdrawn").await;
    release(&gate, held).await;
    host.advance(Duration::from_secs(1)).await;
    let waiting = journal.journal.unfinished().await.unwrap();
    let withdrawn_id = waiting.iter().find(|r| r.id != record.id).unwrap().id;
    host.handle().cancel(withdrawn_id).await.unwrap();
    let heard = withdrawn.await.unwrap().unwrap_err();
    assert!(
        matches!(heard, ActionError::Cancelled(id) if id == withdrawn_id),
        "{heard}"
    );

    // The journal mends: the action starts as its first attempt, and only then.
    journal.hook.broken.store(false, Ordering::SeqCst);
    host.advance(Duration::from_secs(31)).await;
    assert_eq!(caller.await.unwrap().unwrap(), "kept");
    assert_eq!(work_of(&runs), [("kept".to_owned(), Some(1))]);
    let record = host.handle().action(record.id).await.unwrap();
    assert_eq!((record.state, record.attempts), (ActionState::Succeeded, 1));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_action_still_waiting_for_the_journal_at_shutdown_is_abandoned_and_runs_at_the_next_start()
 {
    let journal = Faulty::journal();
    let worker = Worker::default();
    let (runs, gate) = (worker.runs.clone(), worker.gate.clone());
    let first = start(journal.clone(), worker).await;
    let held = hold_the_slot(&first, &gate).await;
    journal.hook.broken.store(true, Ordering::SeqCst);
    let caller = send_accepted(&first, "later").await;
    release(&gate, held).await;
    first.advance(Duration::from_secs(5)).await;
    first.shutdown().await;
    let heard = caller.await.unwrap().unwrap_err();
    assert!(matches!(heard, ActionError::Abandoned(_)), "{heard}");
    assert!(work_of(&runs).is_empty());
    let record = only_unfinished(&journal.journal).await;
    assert_eq!((record.state, record.attempts), (ActionState::Queued, 0));

    // The next host, on the journal mended, runs it as its first attempt.
    journal.hook.broken.store(false, Ordering::SeqCst);
    let second = start(
        journal.clone(),
        Worker {
            runs: runs.clone(),
            ..Worker::default()
        },
    )
    .await;
    let done = until_state(&second, record.id, ActionState::Succeeded).await;
    assert_eq!(done.attempts, 1);
    assert_eq!(work_of(&runs), [("later".to_owned(), Some(1))]);
    second.shutdown().await;
}
/// An action a previous process left in `state` after `attempts` attempts.
fn left(n: u128, state: ActionState, attempts: u32, max_retries: u32) -> ActionRecord {
    let at = chrono::Utc::now();
    let params = serde_json::json!(n.to_string());
    ActionRecord {
        max_retries,
        state,
        attempts,
        ..ActionRecord::queued(ActionId::from(n), "worker", "work", params, at)
    }
}
#[tokio::test(start_paused = true)]
async fn replay_dead_letters_an_action_whose_last_attempts_all_ended_with_the_process() {
    use ActionState::{Queued, Running};
    let journal = Arc::new(MemoryJournal::new());
    // With no retries, attempts 1 and 2 cut short: replayed once more.
    journal.accept(left(1, Running, 2, 0)).await.unwrap();
    // Attempts 1 to 3 cut short: not again.
    journal.accept(left(2, Running, 3, 0)).await.unwrap();
    // Two retries: attempts 3 and 4 were past them, cut short: replayed.
    journal.accept(left(3, Running, 4, 2)).await.unwrap();
    // Attempts 3 to 5 cut short: not again.
    journal.accept(left(4, Running, 5, 2)).await.unwrap();
    // Sent round by hand after many attempts, and not started: nothing was cut short.
    journal.accept(left(5, Queued, 9, 0)).await.unwrap();
    let worker = Worker::default();
    let runs = worker.runs.clone();
    let host = start(journal.clone(), worker).await;
    for n in [1, 3, 5] {
        until_state(&host, ActionId::from(n), ActionState::Succeeded).await;
    }
    let expected = |runs: &[(u128, u32)]| -> Vec<(String, Option<u32>)> {
        runs.iter()
            .map(|(n, attempt)| (n.to_string(), Some(*attempt)))
            .collect()
    };
    assert_eq!(runs_of(&runs), expected(&[(1, 3), (3, 5), (5, 10)]));
    let dead = host.handle().dead_letters().await.unwrap();
    let dead: Vec<_> = dead
        .iter()
        .map(|record| (record.id, record.attempts, record.error.clone().unwrap()))
        .collect();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!((dead[0].0, dead[0].1), (ActionId::from(2), 3));
    assert_eq!((dead[1].0, dead[1].1), (ActionId::from(4), 5));
    for (_, _, error) in &dead {
        assert!(error.contains("interrupted 3 times"), "{error}");
    }

    // Retried by hand, it runs once more.
    host.handle()
        .retry_dead_letter(ActionId::from(2))
        .await
        .unwrap();
    let record = until_state(&host, ActionId::from(2), ActionState::Succeeded).await;
    assert_eq!(record.attempts, 4);
    assert_eq!(runs_of(&runs).len(), 4);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_action_that_never_lets_its_process_finish_runs_three_times_then_waits_for_a_hand() {
    let journal = Arc::new(MemoryJournal::new());
    let (runs, hang) = (Arc::default(), Arc::new(AtomicBool::new(true)));
    let worker = || Worker {
        runs: Arc::clone(&runs),
        hang: Arc::clone(&hang),
        gate: Arc::default(),
    };
    let first = start(journal.clone(), worker()).await;
    let id = first
        .handle()
        .named("worker")
        .act("work", "poison".to_owned())
        .submit()
        .await
        .unwrap();
    until_state(&first, id, ActionState::Running).await;
    // Its handler never ends: the host gives up on it and stops with it running,
    // as a process it killed would have left it.
    first.shutdown().await;
    for attempt in [2, 3] {
        let next = start(journal.clone(), worker()).await;
        let record = until_record(&next, id, |record| record.attempts == attempt).await;
        assert_eq!(record.state, ActionState::Running);
        next.shutdown().await;
    }
    let attempts: Vec<_> = runs_of(&runs).iter().map(|(_, n)| n.unwrap()).collect();
    assert_eq!(attempts, [1, 2, 3]);

    let last = start(journal.clone(), worker()).await;
    let record = last.handle().action(id).await.unwrap();
    assert_eq!(
        (record.state, record.attempts),
        (ActionState::DeadLettered, 3)
    );
    let error = record.error.unwrap();
    assert!(error.contains("interrupted 3 times"), "{error}");
    last.advance(Duration::from_secs(60)).await;
    assert_eq!(runs_of(&runs).len(), 3, "not run at the fourth start");

    // Its cause fixed, it is sent round by hand.
    hang.store(false, Ordering::SeqCst);
    last.handle().retry_dead_letter(id).await.unwrap();
    let record = until_state(&last, id, ActionState::Succeeded).await;
    assert_eq!(record.attempts, 4);
    assert_eq!(record.result, Some(serde_json::json!("poison")));
    last.shutdown().await;
}
/// A memory journal that lets other tasks run before each answer, as one that
/// writes to a file or across a network does.
#[derive(Default)]
struct Slow(MemoryJournal);

impl Slow {
    fn later<'a, T: Send + 'a>(answer: JournalFuture<'a, T>) -> JournalFuture<'a, T> {
        JournalFuture::new(async move {
            tokio::task::yield_now().await;
            answer.await
        })
    }
}

impl Journal for Slow {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        Self::later(self.0.accept(record))
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        Self::later(self.0.update(id, change))
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        Self::later(self.0.get(id))
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        Self::later(self.0.unfinished())
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        Self::later(self.0.dead_letters())
    }

    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        Self::later(self.0.history(service, limit))
    }
}

#[tokio::test(start_paused = true)]
async fn two_retries_of_one_dead_letter_at_once_send_it_round_once() {
    let journal = Arc::new(Slow::default());
    journal
        .0
        .accept(left(1, ActionState::DeadLettered, 2, 1))
        .await
        .unwrap();
    let worker = Worker::default();
    let runs = worker.runs.clone();
    let host = start(journal, worker).await;
    let id = ActionId::from(1);
    let handle = host.handle();
    let (one, other) = tokio::join!(handle.retry_dead_letter(id), handle.retry_dead_letter(id));
    let refused = match (one, other) {
        (Ok(()), Err(error)) | (Err(error), Ok(())) => error,
        both => panic!("one retry must be refused: {both:?}"),
    };
    assert!(
        matches!(refused, ActionError::NotDeadLettered { id: of, .. } if of == id),
        "{refused}"
    );
    let record = until_state(&host, id, ActionState::Succeeded).await;
    host.advance(Duration::from_secs(60)).await;
    assert_eq!(record.attempts, 3);
    assert_eq!(runs_of(&runs), [("1".to_owned(), Some(3))]);
    host.shutdown().await;
}
