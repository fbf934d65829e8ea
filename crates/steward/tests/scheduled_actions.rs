//! Scheduled actions: held until their time, cancellable meanwhile, kept in the
//! journal across a restart of the host; and a retry's backoff journaled with its time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::records::{until_record, until_state};

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steward::testing::TestHost;
use steward::{
    ActionState, ActionTable, Backoff, Context, Continuous, Journal, MemoryJournal, Result, Retry,
    State, continuous,
};
use tokio::time::Instant;

/// Notes the labels of the actions it ran; `flaky` fails its first attempt.
#[derive(Default)]
struct Clerk {
    ran: Arc<Mutex<Vec<String>>>,
    flaky_attempts: AtomicU32,
}

impl Continuous for Clerk {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

fn table() -> ActionTable<Clerk> {
    ActionTable::new()
        .action(
            "note",
            "Notes a label",
            |clerk: &Clerk, _cx, label: String| {
                clerk.ran.lock().unwrap().push(label);
                Box::pin(async { Ok(()) })
            },
        )
        .action(
            "flaky",
            "Fails its first attempt",
            |clerk: &Clerk, _cx, (): ()| {
                let first = clerk.flaky_attempts.fetch_add(1, Ordering::SeqCst) == 0;
                Box::pin(async move {
                    if first {
                        return Err("not yet".into());
                    }
                    Ok(())
                })
            },
        )
}

async fn host(journal: Arc<MemoryJournal>, ran: Arc<Mutex<Vec<String>>>) -> TestHost {
    host_with_mailbox(journal, ran, 1024).await
}

async fn host_with_mailbox(
    journal: Arc<MemoryJournal>,
    ran: Arc<Mutex<Vec<String>>>,
    mailbox: usize,
) -> TestHost {
    let clerk = Clerk {
        ran,
        ..Clerk::default()
    };
    let host = TestHost::builder()
        .with(|builder| builder.journal(journal))
        .service(continuous("clerk", clerk).actions(table()).mailbox(mailbox))
        .start()
        .await
        .unwrap();
    host.wait_for("clerk", State::Running).await.unwrap();
    host
}

async fn scheduled(host: &TestHost) -> usize {
    let status = host.handle().service("clerk").unwrap().status();
    status.queue.unwrap().scheduled
}

#[tokio::test(start_paused = true)]
async fn an_action_sent_for_later_runs_at_its_time_and_not_before() {
    let ran = Arc::default();
    let host = host(Arc::default(), Arc::clone(&ran)).await;
    let clerk = host.handle().of::<Clerk>();
    let began = Instant::now();
    let id = clerk
        .act("note", "later")
        .after(Duration::from_secs(10))
        .submit()
        .await
        .unwrap();
    let record = host.handle().action(id).await.unwrap();
    assert_eq!(record.state, ActionState::Queued);
    assert_eq!(
        record.not_before,
        Some(record.accepted_at + chrono::Duration::seconds(10))
    );
    assert_eq!(scheduled(&host).await, 1);

    host.advance(Duration::from_millis(9_999)).await;
    assert!(ran.lock().unwrap().is_empty(), "not before its time");

    // One sent to wait for its result hears it when it ran.
    let now: () = clerk
        .act("note", "now")
        .at(host.started_at() - chrono::Duration::hours(1))
        .send()
        .await
        .unwrap();
    assert_eq!(now, ());
    assert_eq!(*ran.lock().unwrap(), ["now"], "a past time means at once");

    host.advance(Duration::from_millis(1)).await;
    let record = until_state(&host, id, ActionState::Succeeded).await;
    assert_eq!(began.elapsed(), Duration::from_secs(10));
    assert_eq!(record.attempts, 1);
    assert_eq!(*ran.lock().unwrap(), ["now", "later"]);
    assert_eq!(scheduled(&host).await, 0);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_action_can_be_cancelled_before_its_time() {
    let ran = Arc::default();
    let host = host(Arc::default(), Arc::clone(&ran)).await;
    let handle = host.handle();
    let id = handle
        .of::<Clerk>()
        .act("note", "withdrawn")
        .after(Duration::from_secs(5))
        .submit()
        .await
        .unwrap();
    handle.cancel(id).await.unwrap();
    assert_eq!(
        handle.action(id).await.unwrap().state,
        ActionState::Cancelled
    );
    host.advance(Duration::from_secs(10)).await;
    assert!(ran.lock().unwrap().is_empty());
    assert_eq!(scheduled(&host).await, 0);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_action_waits_in_the_journal_across_a_restart() {
    let journal = Arc::new(MemoryJournal::new());
    let first = host(journal.clone(), Arc::default()).await;
    let id = first
        .handle()
        .of::<Clerk>()
        .act("note", "tomorrow")
        .after(Duration::from_secs(60))
        .submit()
        .await
        .unwrap();
    // Shutdown does not wait for it: it is not due.
    let stopping = Instant::now();
    first.shutdown().await;
    assert!(stopping.elapsed() < Duration::from_secs(1));
    let left = journal.unfinished().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].id, left[0].state), (id, ActionState::Queued));
    let due = left[0].not_before.unwrap();

    let ran = Arc::default();
    let second = host(journal.clone(), Arc::clone(&ran)).await;
    assert_eq!(scheduled(&second).await, 1, "held again, not run at once");
    // The second host's clock starts where the first one's did.
    let wait = (due - second.started_at()).to_std().unwrap();
    second.advance(wait - Duration::from_millis(1)).await;
    assert!(ran.lock().unwrap().is_empty());
    second.advance(Duration::from_millis(1)).await;
    until_state(&second, id, ActionState::Succeeded).await;
    assert_eq!(*ran.lock().unwrap(), ["tomorrow"]);
    second.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_in_its_backoff_is_journaled_with_when_it_runs_again() {
    let host = host(Arc::default(), Arc::default()).await;
    let retry = Retry::times(1)
        .backoff(Backoff::new(Duration::from_secs(30), Duration::from_secs(30)).jitter(0.0));
    let id = host
        .handle()
        .of::<Clerk>()
        .act("flaky", ())
        .retry(retry)
        .submit()
        .await
        .unwrap();
    let waiting = until_record(&host, id, |record| {
        record.attempts == 1 && record.state == ActionState::Queued
    })
    .await;
    assert_eq!(waiting.error.as_deref(), Some("not yet"));
    assert_eq!(
        waiting.not_before,
        Some(waiting.updated_at + chrono::Duration::seconds(30))
    );
    host.advance(Duration::from_secs(30)).await;
    let done = until_state(&host, id, ActionState::Succeeded).await;
    assert_eq!((done.attempts, done.not_before), (2, None));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_replayed_retry_keeps_the_backoff_its_sender_asked_for() {
    let journal = Arc::new(MemoryJournal::new());
    let first = host(journal.clone(), Arc::default()).await;
    let backoff = Backoff::new(Duration::from_secs(600), Duration::from_secs(1200)).jitter(0.0);
    let id = first
        .handle()
        .of::<Clerk>()
        .act("flaky", ())
        .retry(Retry::times(3).backoff(backoff))
        .submit()
        .await
        .unwrap();
    let waiting = until_record(&first, id, |record| record.attempts == 1).await;
    assert_eq!(waiting.retry_backoff, Some(backoff));
    // The drain gives up on a ten-minute wait: the retry stays in the journal.
    first.shutdown().await;

    // The next host's clerk fails its first attempt too: the retry after it waits
    // 2 × 10 minutes, as asked, not the default backoff's 2 seconds.
    let second = host(journal, Arc::default()).await;
    second.advance(Duration::from_secs(600)).await;
    let again = until_record(&second, id, |record| record.attempts == 2).await;
    assert_eq!(again.state, ActionState::Queued);
    assert_eq!(
        again.not_before,
        Some(again.updated_at + chrono::Duration::seconds(1200))
    );
    second.advance(Duration::from_secs(1200)).await;
    let done = until_state(&second, id, ActionState::Succeeded).await;
    assert_eq!(done.attempts, 3);
    second.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_time_no_journal_can_keep_is_refused_and_held_actions_are_bounded() {
    let host = host_with_mailbox(Arc::default(), Arc::default(), 2).await;
    let clerk = host.handle().of::<Clerk>();
    let far = clerk.act("note", "far").after(Duration::MAX).submit().await;
    assert!(
        matches!(far, Err(steward::ActionError::BadSchedule(_))),
        "{far:?}"
    );
    let beyond = clerk
        .act("note", "beyond")
        .at(chrono::DateTime::<chrono::Utc>::MAX_UTC)
        .submit()
        .await;
    assert!(
        matches!(beyond, Err(steward::ActionError::BadSchedule(_))),
        "{beyond:?}"
    );

    for label in ["one", "two"] {
        clerk
            .act("note", label)
            .after(Duration::from_secs(60))
            .submit()
            .await
            .unwrap();
    }
    let third = clerk
        .act("note", "three")
        .after(Duration::from_secs(60))
        .submit()
        .await;
    assert!(
        matches!(
            third,
            Err(steward::ActionError::QueueFull { capacity: 2, .. })
        ),
        "{third:?}"
    );
    assert_eq!(scheduled(&host).await, 2);
    host.shutdown().await;
}
