//! Replay's reads on a real file: the backlog's outline, and its pages in replay
//! order, exactly as the in-memory journal would give them; and a host replaying
//! a backlog far larger than its mailbox, each action once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use common::{ids, journal_path, record, within};
use steward::{
    ActionChange, ActionId, ActionRecord, ActionState, ActionTable, BacklogCursor, BacklogPage,
    Context, Continuous, Host, Journal, MemoryJournal, Result, continuous,
};
use steward_sqlite::SqliteJournal;

/// Actions 1 to 60 over two services at priorities -1 to 2, a few finished.
fn records() -> Vec<(ActionRecord, Option<ActionState>)> {
    (1..=60)
        .map(|n| {
            let mut record = record(n);
            record.priority = (n % 4) as i32 - 1;
            if n % 5 == 0 {
                record.service = "other".into();
            }
            let finished = match n % 7 {
                0 => Some(ActionState::Succeeded),
                3 => Some(ActionState::DeadLettered),
                _ => None,
            };
            (record, finished)
        })
        .collect()
}

async fn fill(journal: &dyn Journal) {
    for (record, finished) in records() {
        let id = record.id;
        journal.accept(record).await.unwrap();
        if let Some(state) = finished {
            let change = ActionChange::new(state, 1, chrono::Utc::now());
            journal.update(id, change).await.unwrap();
        }
    }
}

/// Every page of `service`'s backlog up to `newest`, `limit` at a time.
async fn read_all(
    journal: &dyn Journal,
    service: &str,
    newest: u128,
    limit: usize,
) -> Vec<Vec<u128>> {
    let mut page = BacklogPage::first(service.into(), ActionId::from(newest), limit);
    let mut pages = Vec::new();
    loop {
        let records = journal.backlog_page(page.clone()).await.unwrap();
        pages.push(ids(&records));
        match records.last() {
            Some(last) if records.len() == limit => page = page.next(BacklogCursor::of(last)),
            _ => return pages,
        }
    }
}

#[tokio::test]
async fn the_backlog_reads_as_the_memory_journal_reads_it() {
    let (_dir, path) = journal_path();
    let sqlite = SqliteJournal::open(&path).unwrap();
    let memory = MemoryJournal::new();
    fill(&sqlite).await;
    fill(&memory).await;

    let outline = sqlite.backlog().await.unwrap();
    let services: HashSet<_> = outline.services.iter().map(|s| s.to_string()).collect();
    assert_eq!(services, HashSet::from(["worker".into(), "other".into()]));
    // The newest action held (59 is the newest unfinished; 60 is finished).
    assert_eq!(outline.newest, Some(ActionId::from(60)));
    assert!(memory.backlog().await.unwrap().newest <= outline.newest);

    for service in ["worker", "other"] {
        for limit in [1, 3, 7, 100] {
            for newest in [60, 41] {
                let on_file = read_all(&sqlite, service, newest, limit).await;
                let in_memory = read_all(&memory, service, newest, limit).await;
                assert_eq!(
                    on_file, in_memory,
                    "{service}, {limit} a page, up to {newest}"
                );
                let all: Vec<u128> = on_file.into_iter().flatten().collect();
                assert!(all.iter().all(|n| *n <= newest && n % 7 != 0 && n % 7 != 3));
            }
        }
    }
    // Highest priority first, oldest first within one.
    let worker = read_all(&sqlite, "worker", 60, 100).await.concat();
    let mut expected: Vec<u128> = (1..=60)
        .filter(|n| n % 5 != 0 && n % 7 != 0 && n % 7 != 3)
        .collect();
    expected.sort_by_key(|n| (std::cmp::Reverse(n % 4), *n));
    assert_eq!(worker, expected);
}

/// Counts the jobs it works on, by id.
#[derive(Default, Clone)]
struct Counter {
    runs: Arc<Mutex<Vec<u128>>>,
}

impl Continuous for Counter {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_a_hundred_times_the_mailbox_is_replayed_once_each() {
    let (_dir, path) = journal_path();
    let journal = Arc::new(SqliteJournal::open(&path).unwrap());
    for n in 1..=1_600 {
        let mut record = record(n);
        record.priority = (n % 3) as i32;
        journal.accept(record).await.unwrap();
    }
    let counter = Counter::default();
    let table = ActionTable::new().action(
        "work",
        "Counts",
        |counter: &Counter, cx, _: serde_json::Value| {
            counter
                .runs
                .lock()
                .unwrap()
                .push(cx.action_id().unwrap().as_u128());
            Box::pin(async { Ok(()) })
        },
    );
    let host = Host::builder()
        .env_prefix(None)
        .journal(journal.clone())
        .service(
            continuous("worker", counter.clone())
                .actions(table)
                .mailbox(16),
        )
        .build()
        .unwrap();
    let host = within("the host to start", host.start()).await.unwrap();
    within("the backlog to run", async {
        while journal.backlog().await.unwrap().newest.is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    host.shutdown().await;
    let runs = counter.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 1_600, "each once");
    assert_eq!(runs.iter().collect::<HashSet<_>>().len(), 1_600);
    // Taken from the mailbox highest first, fed to it a page at a time in
    // replay order: every priority's actions run before the next one's.
    let mut by_priority: Vec<u128> = runs.iter().map(|n| n % 3).collect();
    by_priority.dedup();
    assert_eq!(by_priority, [2, 1, 0]);
}
