//! The journal as configuration chooses it, a service's history of finished
//! actions, and what a handler knows about the action it handles.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::records::until_state;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steward::testing::TestHost;
use steward::{
    ActionChange, ActionError, ActionId, ActionRecord, ActionState, ActionTable, Backoff, Context,
    Continuous, Host, HostError, Journal, JournalConfig, JournalError, JournalFuture, JournalKind,
    MemoryJournal, Result, Retry, State, continuous,
};

/// What a context says about the action it is for: its id and attempt.
type Handling = (Option<ActionId>, Option<u32>);

/// Answers `echo`, and fails `fail` on its first two attempts; notes what each
/// `fail` handler's context said, and what the service's own context says.
#[derive(Default)]
struct Echo {
    seen: Arc<Mutex<Vec<Handling>>>,
    context_outside: Arc<Mutex<Option<Handling>>>,
}

impl Continuous for Echo {
    async fn run(&self, cx: &Context) -> Result {
        *self.context_outside.lock().unwrap() = Some((cx.action_id(), cx.attempt()));
        cx.cancelled().await;
        Ok(())
    }
}

fn table() -> ActionTable<Echo> {
    ActionTable::new()
        .action("echo", "Answers its text", |_: &Echo, _cx, text: String| {
            Box::pin(async move { Ok(text) })
        })
        .action(
            "fail",
            "Fails its first two attempts",
            |echo: &Echo, cx, (): ()| {
                echo.seen
                    .lock()
                    .unwrap()
                    .push((cx.action_id(), cx.attempt()));
                let attempt = cx.attempt();
                Box::pin(async move {
                    match attempt {
                        Some(n) if n > 2 => Ok(()),
                        _ => Err("not yet".into()),
                    }
                })
            },
        )
}

async fn start(echo: Echo, config: &str) -> TestHost {
    let host = TestHost::builder()
        .config_toml(config)
        .service(continuous("echo", echo).actions(table()))
        .start()
        .await
        .unwrap();
    host.wait_for("echo", State::Running).await.unwrap();
    host
}

async fn echo(host: &TestHost, text: &str) {
    let answer: String = host
        .handle()
        .named("echo")
        .act("echo", text.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(answer, text);
}

#[tokio::test(start_paused = true)]
async fn history_lists_finished_actions_newest_first_up_to_the_limit() {
    let host = start(Echo::default(), "").await;
    for text in ["a", "b", "c"] {
        echo(&host, text).await;
        host.advance(Duration::from_millis(10)).await;
    }
    let echo_ref = host.handle().named("echo");
    let texts = |records: &[steward::ActionRecord]| -> Vec<String> {
        records
            .iter()
            .map(|record| record.params.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(texts(&echo_ref.history(10).await.unwrap()), ["c", "b", "a"]);
    assert_eq!(texts(&echo_ref.history(2).await.unwrap()), ["c", "b"]);
    assert!(echo_ref.history(0).await.unwrap().is_empty());
    let error = host.handle().named("nobody").history(5).await.unwrap_err();
    assert!(matches!(error, ActionError::UnknownService(_)), "{error}");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn history_includes_dead_letters_and_not_what_is_still_to_run() {
    let host = start(Echo::default(), "").await;
    let services = host.handle();
    let retry =
        Retry::times(1).backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)));
    let failed = services
        .named("echo")
        .act("fail", ())
        .retry(retry)
        .send::<()>();
    let (failed, ()) = tokio::join!(failed, host.advance(Duration::from_secs(5)));
    assert!(matches!(failed, Err(ActionError::DeadLettered { .. })));
    echo(&host, "after").await;
    // Stopped, the service leaves a new action queued: not history yet.
    services.service("echo").unwrap().stop().await.unwrap();
    let queued = services
        .named("echo")
        .act("echo", "later".to_owned())
        .submit()
        .await
        .unwrap();
    let history = services.named("echo").history(10).await.unwrap();
    let states: Vec<ActionState> = history.iter().map(|record| record.state).collect();
    assert_eq!(states, [ActionState::Succeeded, ActionState::DeadLettered]);
    assert_eq!(history[1].error.as_deref(), Some("not yet"));
    assert!(history.iter().all(|record| record.id != queued));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_handler_knows_its_action_id_and_attempt() {
    let echo = Echo::default();
    let (seen, outside) = (echo.seen.clone(), echo.context_outside.clone());
    let host = start(echo, "").await;
    let retry =
        Retry::times(3).backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)));
    let id = host
        .handle()
        .named("echo")
        .act("fail", ())
        .retry(retry)
        .submit()
        .await
        .unwrap();
    for _ in 0..50 {
        if host.handle().action(id).await.unwrap().state.is_finished() {
            break;
        }
        host.advance(Duration::from_millis(200)).await;
    }
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (Some(id), Some(1)),
            (Some(id), Some(2)),
            (Some(id), Some(3))
        ]
    );
    // Outside a handler there is no action.
    assert_eq!(*outside.lock().unwrap(), Some((None, None)));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_memory_journal_keeps_as_many_finished_actions_as_configured() {
    let host = start(
        Echo::default(),
        "[journal]\nkind = \"memory\"\nkeep_finished = 2",
    )
    .await;
    let mut ids = Vec::new();
    for text in ["a", "b", "c"] {
        let id = host
            .handle()
            .named("echo")
            .act("echo", text.to_owned())
            .submit()
            .await
            .unwrap();
        ids.push(id);
        host.advance(Duration::from_millis(10)).await;
    }
    let error = host.handle().action(ids[0]).await.unwrap_err();
    assert!(matches!(error, ActionError::UnknownId(_)), "{error}");
    assert_eq!(
        host.handle().named("echo").history(10).await.unwrap().len(),
        2
    );
    host.shutdown().await;
}

#[test]
fn a_journal_kind_the_core_cannot_open_is_a_configuration_error() {
    let error = Host::builder()
        .env_prefix(None)
        .config_toml("steward.toml", "[journal]\nkind = \"sqlite\"")
        .build()
        .err()
        .unwrap();
    let HostError::Config(errors) = error else {
        panic!("{error}")
    };
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].key, "journal.kind");
    assert!(
        errors.0[0].reason.contains("HostBuilder::journal"),
        "{errors}"
    );
}

#[test]
fn journal_from_opens_what_the_section_names_once_it_is_valid() {
    let opened: Arc<Mutex<Option<JournalConfig>>> = Arc::default();
    let seen = opened.clone();
    Host::builder()
        .env_prefix(None)
        .config_toml(
            "steward.toml",
            "[journal]\nkind = \"sqlite\"\npath = \"x.db\"",
        )
        .journal_from(move |journal: &JournalConfig| {
            *seen.lock().unwrap() = Some(journal.clone());
            Ok::<_, std::io::Error>(Some(MemoryJournal::new()))
        })
        .build()
        .unwrap();
    let journal = opened.lock().unwrap().clone().unwrap();
    assert_eq!(
        (journal.kind, journal.path.to_str()),
        (JournalKind::Sqlite, Some("x.db"))
    );

    // An invalid configuration opens nothing.
    let called = Arc::new(Mutex::new(false));
    let flag = called.clone();
    let error = Host::builder()
        .env_prefix(None)
        .config_toml("steward.toml", "[journal]\nkind = \"sqlite\"\n[hots]")
        .journal_from(move |_: &JournalConfig| {
            *flag.lock().unwrap() = true;
            Ok::<_, std::io::Error>(Some(MemoryJournal::new()))
        })
        .build()
        .err()
        .unwrap();
    assert!(matches!(error, HostError::Config(_)), "{error}");
    assert!(!*called.lock().unwrap());

    // A journal that cannot be opened stops the build, in its own words.
    let error = Host::builder()
        .env_prefix(None)
        .config_toml("steward.toml", "[journal]\nkind = \"sqlite\"")
        .journal_from(|_: &JournalConfig| {
            Err::<Option<MemoryJournal>, _>(std::io::Error::other("journal x.db is broken"))
        })
        .build()
        .err()
        .unwrap();
    assert!(matches!(error, HostError::Journal(_)), "{error}");
    assert_eq!(error.to_string(), "journal x.db is broken");

    // `None` leaves the section to the core: memory is fine, sqlite is not.
    let none = |_: &JournalConfig| Ok::<Option<MemoryJournal>, std::io::Error>(None);
    Host::builder()
        .env_prefix(None)
        .journal_from(none)
        .build()
        .unwrap();
    let error = Host::builder()
        .env_prefix(None)
        .config_toml("steward.toml", "[journal]\nkind = \"sqlite\"")
        .journal_from(none)
        .build()
        .err()
        .unwrap();
    assert!(matches!(error, HostError::Config(_)), "{error}");
}
/// A memory journal that also notes every state it is told of, in order; one
/// that says it answers `later` is treated as a journal on disk would be.
#[derive(Default)]
struct Noting {
    inner: MemoryJournal,
    states: Mutex<Vec<(ActionId, ActionState)>>,
    later: bool,
    /// The next accept fails, as on a full disk.
    refuse_next: AtomicBool,
    /// The next accept is written at once but answered only once this is sent.
    hold_next: Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
}

impl Noting {
    fn states_of(&self, id: ActionId) -> Vec<ActionState> {
        let states = self.states.lock().unwrap();
        states
            .iter()
            .filter(|(of, _)| *of == id)
            .map(|(_, state)| *state)
            .collect()
    }
}

impl Journal for Noting {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        if self.refuse_next.swap(false, Ordering::SeqCst) {
            return JournalFuture::ready(Err(JournalError("the disk is full".to_owned())));
        }
        self.states.lock().unwrap().push((record.id, record.state));
        let written = self.inner.accept(record);
        match self.hold_next.lock().unwrap().take() {
            Some(held) => JournalFuture::new(async move {
                let _ = held.await;
                written.await
            }),
            None => written,
        }
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        self.states.lock().unwrap().push((id, change.state));
        self.inner.update(id, change)
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        self.inner.get(id)
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.inner.unfinished()
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.inner.dead_letters()
    }

    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.inner.history(service, limit)
    }

    fn is_immediate(&self) -> bool {
        !self.later
    }
}

/// A service that only serves its actions.
struct Idle;

impl Continuous for Idle {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// `table` with `later`, which waits 5 ms before it succeeds.
fn with_later(table: ActionTable<Idle>) -> ActionTable<Idle> {
    table.action("later", "Waits a moment first", |_: &Idle, _cx, (): ()| {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok(())
        })
    })
}

#[tokio::test(start_paused = true)]
/// A crash during a handler's first attempt must replay as attempt 2, so the
/// handler can tell it may have run before: running is on record before any
/// handler code runs, even for one done at its first poll.
async fn every_attempt_is_journaled_as_running_before_its_handler_runs() {
    let table = with_later(ActionTable::new().action(
        "now",
        "Done at once",
        |_: &Idle, _cx, (): ()| Box::pin(async { Ok(()) }),
    ));
    let journal = Arc::new(Noting::default());
    let host = TestHost::builder()
        .with(|builder| builder.journal(journal.clone()))
        .service(continuous("idle", Idle).actions(table))
        .start()
        .await
        .unwrap();
    host.wait_for("idle", State::Running).await.unwrap();
    let service = host.handle().named("idle");
    let now = service.act("now", ()).submit().await.unwrap();
    let later = service.act("later", ()).submit().await.unwrap();
    host.advance(Duration::from_millis(10)).await;
    use ActionState::{Queued, Running, Succeeded};
    assert_eq!(journal.states_of(now), [Queued, Running, Succeeded]);
    assert_eq!(journal.states_of(later), [Queued, Running, Succeeded]);
    host.shutdown().await;
}

/// A running host on `journal` with `idle`, one handler slot, and the actions
/// `attempt` (answers which attempt it is) and `later`.
async fn one_slot_host(journal: &Arc<Noting>) -> TestHost {
    let table = with_later(ActionTable::new().action(
        "attempt",
        "Says which attempt it is",
        |_: &Idle, cx, (): ()| {
            let attempt = cx.attempt();
            Box::pin(async move { Ok(attempt) })
        },
    ));
    let host = TestHost::builder()
        .with(|builder| builder.journal(journal.clone()))
        .service(continuous("idle", Idle).actions(table).max_concurrency(1))
        .start()
        .await
        .unwrap();
    host.wait_for("idle", State::Running).await.unwrap();
    host
}

#[tokio::test(start_paused = true)]
/// With a journal on disk, an action its service can start at once (nothing in
/// line, a handler slot free) is written once, as started with its first attempt
/// counted, not as queued and then started; one that waits in line is written
/// as queued, then as started when it starts.
async fn an_action_started_as_it_is_accepted_is_written_once_as_started() {
    let journal = Arc::new(Noting {
        later: true,
        ..Noting::default()
    });
    let host = one_slot_host(&journal).await;
    let service = host.handle().named("idle");
    // Takes the one handler slot for 5 ms…
    let first = service.act("later", ()).submit().await.unwrap();
    // …so this one waits in line.
    let second = service.act("attempt", ()).submit().await.unwrap();
    host.advance(Duration::from_millis(10)).await;
    let third = service.act("attempt", ()).send::<Option<u32>>().await;
    use ActionState::{Queued, Running, Succeeded};
    assert_eq!(journal.states_of(first), [Running, Succeeded]);
    assert_eq!(journal.states_of(second), [Queued, Running, Succeeded]);
    assert_eq!(third, Ok(Some(1)));
    let third = journal.history("idle", 1).await.unwrap().remove(0);
    assert_eq!(journal.states_of(third.id), [Running, Succeeded]);
    assert_eq!(
        (third.attempts, third.started_at),
        (1, Some(third.accepted_at))
    );

    // Not written: the caller hears why, nothing runs, and the handler slot
    // taken for it is free again.
    journal.refuse_next.store(true, Ordering::SeqCst);
    let refused = service.act("attempt", ()).send::<Option<u32>>().await;
    assert!(
        matches!(&refused, Err(ActionError::Journal(reason)) if reason.contains("disk is full")),
        "{refused:?}"
    );
    let after = service.act("attempt", ()).submit().await.unwrap();
    host.advance(Duration::from_millis(1)).await;
    assert_eq!(journal.states_of(after), [Running, Succeeded]);
    // 2 + 3 + 2 + 2: nothing of the refused one.
    assert_eq!(journal.states.lock().unwrap().len(), 9);

    // A caller that goes away while its action is written: the action is
    // started all the same, by the service's task, once its start is written
    // after its record (so never before the record is).
    let (answer, held) = tokio::sync::oneshot::channel();
    *journal.hold_next.lock().unwrap() = Some(held);
    let caller = tokio::spawn({
        let service = service.clone();
        async move { service.act("later", ()).send::<()>().await }
    });
    while journal.states.lock().unwrap().len() < 10 {
        tokio::task::yield_now().await;
    }
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    drop(answer);
    let (gone, _) = *journal.states.lock().unwrap().last().unwrap();
    host.advance(Duration::from_millis(10)).await;
    assert_eq!(journal.states_of(gone), [Running, Running, Succeeded]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn with_an_immediate_journal_an_action_its_caller_starts_is_also_written_once() {
    let journal = Arc::new(Noting::default());
    let host = one_slot_host(&journal).await;
    let service = host.handle().named("idle");
    use ActionState::{Queued, Running, Succeeded};

    // A caller that finds the slot free starts its action, written as started.
    assert_eq!(
        service.act("attempt", ()).send::<Option<u32>>().await,
        Ok(Some(1))
    );
    let started = journal.history("idle", 1).await.unwrap().remove(0);
    assert_eq!(journal.states_of(started.id), [Running, Succeeded]);
    assert_eq!(
        (started.attempts, started.started_at),
        (1, Some(started.accepted_at))
    );

    // One behind a busy slot waits in line, and its start is written on its own.
    let busy = service.act("later", ()).submit().await.unwrap();
    let queued = tokio::spawn({
        let service = service.clone();
        async move { service.act("attempt", ()).send::<Option<u32>>().await }
    });
    host.advance(Duration::from_millis(10)).await;
    assert_eq!(queued.await.unwrap(), Ok(Some(1)));
    assert_eq!(journal.states_of(busy), [Queued, Running, Succeeded]);
    let waited = journal.history("idle", 1).await.unwrap().remove(0);
    assert_eq!(journal.states_of(waited.id), [Queued, Running, Succeeded]);

    // Not written: the caller hears why, and the slot taken for it is free again.
    journal.refuse_next.store(true, Ordering::SeqCst);
    let refused = service.act("attempt", ()).send::<Option<u32>>().await;
    assert!(
        matches!(refused, Err(ActionError::Journal(_))),
        "{refused:?}"
    );
    assert_eq!(
        service.act("attempt", ()).send::<Option<u32>>().await,
        Ok(Some(1))
    );
    host.shutdown().await;
}

/// A memory journal whose list of unfinished actions cannot be read, as a file
/// with a damaged page would answer.
#[derive(Default)]
struct Unreadable(MemoryJournal);

impl Journal for Unreadable {
    fn accept(&self, record: ActionRecord) -> JournalFuture<'_, ()> {
        self.0.accept(record)
    }

    fn update(&self, id: ActionId, change: ActionChange) -> JournalFuture<'_, ()> {
        self.0.update(id, change)
    }

    fn get(&self, id: ActionId) -> JournalFuture<'_, Option<ActionRecord>> {
        self.0.get(id)
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        JournalFuture::ready(Err(JournalError(
            "actions.db: page 7 is damaged".to_owned(),
        )))
    }

    fn dead_letters(&self) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.0.dead_letters()
    }

    fn history(&self, service: &str, limit: usize) -> JournalFuture<'_, Vec<ActionRecord>> {
        self.0.history(service, limit)
    }

    fn is_immediate(&self) -> bool {
        true
    }
}

#[tokio::test(start_paused = true)]
async fn a_journal_whose_unfinished_actions_cannot_be_read_stops_the_host_before_it_starts() {
    let echo = Echo::default();
    let ran = echo.context_outside.clone();
    let (host, recorder) = TestHost::builder()
        .with(|builder| builder.journal(Unreadable::default()))
        .service(continuous("echo", echo).actions(table()))
        .build()
        .unwrap();
    let handle = host.handle();
    // Sent before start: it waits for the journal's unfinished actions to be back
    // in line, which never happens; it is refused, not left waiting.
    let early = tokio::spawn({
        let handle = handle.clone();
        async move {
            handle
                .named("echo")
                .act("echo", "early".to_owned())
                .send::<String>()
                .await
        }
    });
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert!(!early.is_finished());
    let error = host.start().await.err().unwrap();
    assert!(matches!(error, HostError::Replay(_)), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("unfinished actions") && message.contains("page 7 is damaged"),
        "{message}"
    );
    let early = early.await.unwrap().unwrap_err();
    assert!(matches!(early, ActionError::ShuttingDown), "{early}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(recorder.transitions().is_empty(), "no service started");
    assert!(ran.lock().unwrap().is_none(), "no service ran");
    let ended = tokio::time::timeout(Duration::from_secs(1), handle.shutdown_requested());
    assert!(
        ended.await.is_ok(),
        "what waits for the host's end ends too"
    );
}

/// An action a previous process left queued, after `attempts` attempts.
fn left_queued(n: u128, service: &str, action: &str, text: &str, attempts: u32) -> ActionRecord {
    let at = chrono::Utc::now();
    let params = serde_json::json!(text);
    ActionRecord {
        attempts,
        ..ActionRecord::queued(ActionId::from(n), service, action, params, at)
    }
}

#[tokio::test(start_paused = true)]
async fn an_action_left_for_what_is_no_longer_defined_is_dead_lettered_and_retried_once_it_is() {
    let journal = Arc::new(MemoryJournal::new());
    let (renamed, gone) = (ActionId::from(7), ActionId::from(8));
    journal
        .accept(left_queued(7, "renamed", "echo", "kept", 3))
        .await
        .unwrap();
    journal
        .accept(left_queued(8, "echo", "gone", "lost", 1))
        .await
        .unwrap();
    let first = TestHost::builder()
        .with(|builder| builder.journal(journal.clone()))
        .service(continuous("echo", Echo::default()).actions(table()))
        .start()
        .await
        .unwrap();
    let dead: Vec<_> = first
        .handle()
        .dead_letters()
        .await
        .unwrap()
        .into_iter()
        .map(|record| (record.id, record.attempts, record.error.unwrap_or_default()))
        .collect();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!((dead[0].0, dead[0].1), (renamed, 3), "attempts kept");
    assert!(dead[0].2.contains("no service named `renamed`"), "{dead:?}");
    assert_eq!((dead[1].0, dead[1].1), (gone, 1), "attempts kept");
    assert!(
        dead[1].2.contains("service `echo` has no action `gone`"),
        "{dead:?}"
    );
    first.shutdown().await;

    // The configuration defines the service again: its action can be retried.
    let second = TestHost::builder()
        .with(|builder| builder.journal(journal.clone()))
        .service(continuous("renamed", Echo::default()).actions(table()))
        .start()
        .await
        .unwrap();
    second.wait_for("renamed", State::Running).await.unwrap();
    second.handle().retry_dead_letter(renamed).await.unwrap();
    let record = until_state(&second, renamed, ActionState::Succeeded).await;
    assert_eq!(record.attempts, 4);
    assert_eq!(record.result, Some(serde_json::json!("kept")));
    second.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_action_replayed_at_the_most_attempts_a_record_can_count_runs_and_stops_there() {
    let journal = Arc::new(MemoryJournal::new());
    // At the limit, once more (its retries to spare, so not taken for an action
    // that keeps ending the process): it runs, and the count stays at the limit.
    let mut done = left_queued(1, "echo", "echo", "again", u32::MAX);
    done.state = ActionState::Running;
    done.max_retries = u32::MAX;
    journal.accept(done).await.unwrap();
    // At the limit with retries to spare: failing, it has none left to take.
    let mut refused = left_queued(2, "echo", "refuse", "", u32::MAX);
    refused.params = serde_json::Value::Null;
    refused.max_retries = u32::MAX;
    journal.accept(refused).await.unwrap();
    let table = table().action("refuse", "Always fails", |_: &Echo, _cx, (): ()| {
        Box::pin(async { Result::<()>::Err("never".into()) })
    });
    let host = TestHost::builder()
        .with(|builder| builder.journal(journal.clone()))
        .service(continuous("echo", Echo::default()).actions(table))
        .start()
        .await
        .unwrap();
    host.wait_for("echo", State::Running).await.unwrap();
    let done = until_state(&host, ActionId::from(1), ActionState::Succeeded).await;
    assert_eq!(done.attempts, u32::MAX);
    assert_eq!(done.result, Some(serde_json::json!("again")));
    host.advance(Duration::from_secs(120)).await;
    let refused = host.handle().action(ActionId::from(2)).await.unwrap();
    assert_eq!(
        (refused.state, refused.attempts, refused.error.as_deref()),
        (ActionState::DeadLettered, u32::MAX, Some("never"))
    );
    host.shutdown().await;
}

/// Sleeps for its first number of milliseconds, then fails while its attempt is
/// at most its second number.
struct Napper;

impl Continuous for Napper {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_record_says_when_its_last_attempt_started_apart_from_its_wait_in_line() {
    let table = ActionTable::new().action(
        "nap",
        "Sleeps, then fails its first attempts",
        |_: &Napper, cx, (millis, failing): (u64, u32)| {
            let attempt = cx.attempt().unwrap_or(0);
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                if attempt <= failing {
                    Err("not yet".into())
                } else {
                    Ok(())
                }
            })
        },
    );
    let host = TestHost::builder()
        .service(continuous("napper", Napper).actions(table))
        .start()
        .await
        .unwrap();
    host.wait_for("napper", State::Running).await.unwrap();
    let napper = host.handle().named("napper");
    // One handler at a time: the second waits 300 ms in line, fails after 200 ms,
    // waits out a 1 s backoff and succeeds after another 200 ms.
    let first = napper.act("nap", (300_u64, 0_u32)).submit().await.unwrap();
    let once = Backoff::new(Duration::from_secs(1), Duration::from_secs(1)).jitter(0.0);
    let second = napper
        .act("nap", (200_u64, 1_u32))
        .retry(Retry::times(1).backoff(once))
        .submit()
        .await
        .unwrap();
    let queued = host.handle().action(second).await.unwrap();
    assert_eq!(queued.started_at, None, "not started yet");
    host.advance(Duration::from_secs(5)).await;

    let millis = |from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>| {
        (to - from).num_milliseconds()
    };
    let first = until_state(&host, first, ActionState::Succeeded).await;
    let started = first.started_at.unwrap();
    assert_eq!(millis(first.accepted_at, started), 0);
    assert_eq!(millis(started, first.updated_at), 300);

    let second = until_state(&host, second, ActionState::Succeeded).await;
    assert_eq!(second.attempts, 2);
    let started = second.started_at.unwrap();
    assert_eq!(
        millis(second.accepted_at, started),
        300 + 200 + 1000,
        "the last attempt's start"
    );
    assert_eq!(millis(started, second.updated_at), 200, "how long it ran");
    assert_eq!(millis(second.accepted_at, second.updated_at), 1700);
    host.shutdown().await;
}
