//! A real host on a SQLite journal: its actions are journaled to the end, and
//! what a previous process left unfinished is replayed when the next one starts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use chrono::Utc;
use common::{journal_path, record, within};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward::{
    ActionChange, ActionId, ActionState, ActionTable, Context, Continuous, Host, Journal, Result,
    RunningHost, continuous,
};
use steward_sqlite::SqliteJournal;
use tokio::sync::mpsc;

/// Tells the test every job it works on.
struct Worker {
    seen: mpsc::UnboundedSender<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Job {
    label: String,
}

impl Worker {
    async fn work(&self, _cx: &Context, job: Job) -> Result<String> {
        let _ = self.seen.send(job.label.clone());
        Ok(format!("did {}", job.label))
    }
}

impl Continuous for Worker {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// A host with one worker on `journal`; the receiver hears each job worked on.
async fn start(journal: &Arc<SqliteJournal>) -> (RunningHost, mpsc::UnboundedReceiver<String>) {
    let (seen, heard) = mpsc::unbounded_channel();
    let table = ActionTable::new().action("work", "Does a job", |worker: &Worker, cx, job: Job| {
        Box::pin(worker.work(cx, job))
    });
    let host = Host::builder()
        .env_prefix(None)
        .journal(journal.clone())
        .service(continuous("worker", Worker { seen }).actions(table))
        .build()
        .unwrap();
    (
        within("the host to start", host.start()).await.unwrap(),
        heard,
    )
}

async fn hear(heard: &mut mpsc::UnboundedReceiver<String>, count: usize) -> Vec<String> {
    let mut labels = Vec::new();
    for _ in 0..count {
        labels.push(within("a job", heard.recv()).await.unwrap());
    }
    labels
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosts_actions_are_journaled_until_they_succeed() {
    let (_dir, path) = journal_path();
    let journal = Arc::new(SqliteJournal::open(&path).unwrap());
    let (host, mut heard) = start(&journal).await;
    let worker = host.handle().named("worker");

    let direct: String = within(
        "a sent action",
        worker
            .act(
                "work",
                Job {
                    label: "direct".into(),
                },
            )
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(direct, "did direct");
    let mut submitted = Vec::new();
    for n in 0..20 {
        let job = Job {
            label: format!("job-{n}"),
        };
        submitted.push(worker.act("work", job).submit().await.unwrap());
    }
    assert_eq!(hear(&mut heard, 21).await.len(), 21);
    // Shutdown drains: every outcome is written before it returns.
    let report = within("shutdown", host.shutdown()).await;
    assert!(report.abandoned.is_empty(), "{report:?}");
    journal.close().await.unwrap();

    let reopened = SqliteJournal::open(&path).unwrap();
    for (n, id) in submitted.into_iter().enumerate() {
        let record = reopened.get(id).await.unwrap().expect("journaled");
        assert_eq!(
            (record.state, record.attempts, record.result),
            (
                ActionState::Succeeded,
                1,
                Some(json!(format!("did job-{n}")))
            ),
        );
        assert_eq!(record.params, json!({ "label": format!("job-{n}") }));
    }
    assert!(reopened.unfinished().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_previous_process_left_unfinished_is_replayed_by_priority() {
    let (_dir, path) = journal_path();
    {
        // The previous process accepted four actions and died working on one.
        let previous = SqliteJournal::open(&path).unwrap();
        let labelled = |n: u128, label: &str, priority: i32| {
            let mut record = record(n);
            record.params = json!({ "label": label });
            record.priority = priority;
            record
        };
        for record in [
            labelled(1, "low-1", 0),
            labelled(2, "high", 5),
            labelled(3, "low-2", 0),
            labelled(4, "interrupted", 0),
        ] {
            previous.accept(record).await.unwrap();
        }
        let running = ActionChange::new(ActionState::Running, 1, Utc::now());
        previous.update(ActionId::from(4), running).await.unwrap();
        previous.close().await.unwrap();
    }
    let interrupted_at = {
        let journal = SqliteJournal::open(&path).unwrap();
        let record = journal.get(ActionId::from(4)).await.unwrap().unwrap();
        journal.close().await.unwrap();
        record
            .started_at
            .expect("the interrupted attempt's start is kept")
    };

    let journal = Arc::new(SqliteJournal::open(&path).unwrap());
    let (host, mut heard) = start(&journal).await;
    // All four are back in the mailbox before the handler starts: priority first,
    // then the order they were accepted in.
    assert_eq!(
        hear(&mut heard, 4).await,
        ["high", "low-1", "low-2", "interrupted"]
    );
    within("shutdown", host.shutdown()).await;

    assert!(journal.unfinished().await.unwrap().is_empty());
    for (n, label, attempts) in [
        (1, "low-1", 1),
        (2, "high", 1),
        (3, "low-2", 1),
        // At least once: the interrupted attempt counts.
        (4, "interrupted", 2),
    ] {
        let record = journal.get(ActionId::from(n)).await.unwrap().unwrap();
        assert_eq!(
            (record.state, record.attempts, record.result.clone()),
            (
                ActionState::Succeeded,
                attempts,
                Some(json!(format!("did {label}")))
            ),
            "action {n}"
        );
        // When its last attempt, the one that succeeded, started.
        let started = record.started_at.expect("started");
        assert!(
            record.accepted_at <= started && started <= record.updated_at,
            "action {n}: {record:?}"
        );
        if n == 4 {
            assert!(started > interrupted_at, "the replayed attempt's start");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_scheduled_for_later_waits_in_the_file_across_a_restart() {
    let (_dir, path) = journal_path();
    let delay = std::time::Duration::from_millis(400);
    let journal = Arc::new(SqliteJournal::open(&path).unwrap());
    let (host, _heard) = start(&journal).await;
    let id = within(
        "a scheduled action",
        host.handle()
            .named("worker")
            .act("work", json!({"label": "later"}))
            .after(delay)
            .submit(),
    )
    .await
    .unwrap();
    within("the shutdown", host.shutdown()).await;
    journal.close().await.unwrap();
    drop(journal);

    let journal = Arc::new(SqliteJournal::open(&path).unwrap());
    let kept = journal.get(id).await.unwrap().unwrap();
    assert_eq!(kept.state, ActionState::Queued);
    let due = kept.not_before.expect("its time is in the file");
    assert_eq!(
        due,
        kept.accepted_at + chrono::Duration::from_std(delay).unwrap()
    );

    let (host, mut heard) = start(&journal).await;
    assert_eq!(hear(&mut heard, 1).await, ["later"]);
    assert!(Utc::now() >= due, "not run before its time");
    let done = within("the record", async {
        loop {
            let record = journal.get(id).await.unwrap().unwrap();
            if record.state == ActionState::Succeeded {
                break record;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!((done.attempts, done.not_before), (1, None));
    within("the shutdown", host.shutdown()).await;
}
