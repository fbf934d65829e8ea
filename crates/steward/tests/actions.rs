//! Actions: typed and by-name calls, priorities, timeouts, retries, dead letters,
//! bad input, and the mailbox across restarts and shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::journals::{Hooked, UpdateHook, Verdict};
use common::records::until_state;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use steward::testing::TestHost;
use steward::{
    ActionChange, ActionError, ActionState, ActionTable, Backoff, Context, Continuous, Event,
    IfFull, Journal, MemoryJournal, Result, Retry, Stamped, State, continuous,
};
use tokio::sync::Semaphore;

/// Records what its actions did; `hold` blocks handlers until released.
#[derive(Default)]
struct Worker {
    seen: Arc<Mutex<Vec<String>>>,
    hold: Option<Arc<Semaphore>>,
    failures_left: AtomicU32,
    crash_runs: AtomicU32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Job {
    label: String,
    #[serde(default)]
    count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Done {
    label: String,
}

impl Event for Done {
    const NAME: &'static str = "job.done";
}

impl Worker {
    fn holding(gate: &Arc<Semaphore>) -> Self {
        Self {
            hold: Some(gate.clone()),
            ..Self::default()
        }
    }

    async fn work(&self, cx: &Context, job: Job) -> Result<String> {
        if let Some(gate) = &self.hold {
            gate.acquire().await?.forget();
        }
        self.seen.lock().unwrap().push(job.label.clone());
        cx.emit(Done {
            label: job.label.clone(),
        })
        .await?;
        Ok(format!("{}×{}", job.label, job.count))
    }

    async fn flaky(&self, _cx: &Context, job: Job) -> Result<String> {
        let left = self.failures_left.load(Ordering::SeqCst);
        if left > 0 {
            self.failures_left.store(left - 1, Ordering::SeqCst);
            return Err(format!("not yet ({left} to go)").into());
        }
        Ok(job.label)
    }

    async fn slow(&self, _cx: &Context, _: ()) -> Result<()> {
        // Tells when the handler's future is dropped (cancelled by a timeout).
        let _noted = NoteOnDrop(self.seen.clone(), "slow dropped");
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }

    async fn explode(&self, _cx: &Context, _: ()) -> Result<()> {
        panic!("handler blew up");
    }
}

/// Writes its note into the log when dropped.
struct NoteOnDrop(Arc<Mutex<Vec<String>>>, &'static str);

impl Drop for NoteOnDrop {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(self.1.to_owned());
    }
}

impl Continuous for Worker {
    async fn run(&self, cx: &Context) -> Result {
        // The first `crash_runs` runs fail after a second.
        if self.crash_runs.load(Ordering::SeqCst) > 0 {
            self.crash_runs.fetch_sub(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(1)).await;
            return Err("run crashed".into());
        }
        cx.cancelled().await;
        Ok(())
    }
}

fn table() -> ActionTable<Worker> {
    ActionTable::new()
        .action("work", "Does a job", |worker: &Worker, cx, job: Job| {
            Box::pin(worker.work(cx, job))
        })
        .action(
            "flaky",
            "Fails a few times",
            |worker: &Worker, cx, job: Job| Box::pin(worker.flaky(cx, job)),
        )
        .action("slow", "Takes an hour", |worker: &Worker, cx, (): ()| {
            Box::pin(worker.slow(cx, ()))
        })
        .action("explode", "Panics", |worker: &Worker, cx, (): ()| {
            Box::pin(worker.explode(cx, ()))
        })
}

fn job(label: &str) -> Job {
    Job {
        label: label.to_owned(),
        count: 1,
    }
}

async fn host_with(
    worker: Worker,
    configure: impl FnOnce(steward::ServiceDef) -> steward::ServiceDef,
) -> TestHost {
    let def = configure(continuous("worker", worker).actions(table()));
    let host = TestHost::builder().service(def).start().await.unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    host
}

/// A host whose worker holds every action until `gate` lets it through, and the
/// labels its actions saw, in order.
async fn held_worker() -> (TestHost, Arc<Semaphore>, Arc<Mutex<Vec<String>>>) {
    let gate = Arc::new(Semaphore::new(0));
    let worker = Worker::holding(&gate);
    let seen = worker.seen.clone();
    (host_with(worker, |def| def).await, gate, seen)
}

#[tokio::test(start_paused = true)]
async fn typed_and_json_calls_reach_the_same_handler() {
    let host = host_with(Worker::default(), |def| def).await;
    let services = host.handle();

    let typed: String = services
        .of::<Worker>()
        .act("work", job("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(typed, "a×1");

    let by_name: serde_json::Value = services
        .named("worker")
        .act_json("work", json!({"label": "b", "count": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_name, json!("b×2"));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn higher_priority_runs_first_and_equal_priorities_in_order() {
    let (host, gate, seen) = held_worker().await;
    let worker = host.handle().of::<Worker>();
    let mut done = worker.on::<Done>().stream().await.unwrap();

    // The first occupies the only handler slot while the rest queue up.
    let first = worker.act("work", job("first")).submit().await.unwrap();
    until_state(&host, first, ActionState::Running).await;
    for (label, priority) in [
        ("low-1", 0),
        ("high-1", 5),
        ("low-2", 0),
        ("high-2", 5),
        ("top", 9),
    ] {
        worker
            .act("work", job(label))
            .priority(priority)
            .submit()
            .await
            .unwrap();
    }
    gate.add_permits(6);
    let mut order = Vec::new();
    for _ in 0..6 {
        order.push(done.recv().await.unwrap().label);
    }
    assert_eq!(
        order,
        ["first", "top", "high-1", "high-2", "low-1", "low-2"]
    );
    assert_eq!(*seen.lock().unwrap(), order);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_submitted_action_is_looked_up_by_id() {
    let host = host_with(Worker::default(), |def| def).await;
    let services = host.handle();
    let mut done = services.of::<Worker>().on::<Done>().stream().await.unwrap();
    let id = services
        .named("worker")
        .act("work", job("later"))
        .correlation_id("batch-7")
        .submit()
        .await
        .unwrap();
    done.recv().await.unwrap();
    tokio::task::yield_now().await;
    let record = services.action(id).await.unwrap();
    assert_eq!(record.state, ActionState::Succeeded);
    assert_eq!(record.result, Some(json!("later×1")));
    assert_eq!(record.correlation_id.as_deref(), Some("batch-7"));
    assert_eq!(record.attempts, 1);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn events_a_handler_emits_carry_the_correlation_id() {
    let host = host_with(Worker::default(), |def| def).await;
    let services = host.handle();
    let mut events = services.events().stream().await.unwrap();
    services
        .of::<Worker>()
        .act("work", job("traced"))
        .correlation_id("req-42")
        .send::<String>()
        .await
        .unwrap();
    let event = events.recv().await.unwrap();
    assert_eq!(event.name(), "job.done");
    assert_eq!(event.service(), "worker");
    assert_eq!(event.correlation_id(), Some("req-42"));
    assert_eq!(event.json(), &json!({"label": "traced"}));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_typed_subscriber_sees_the_correlation_id_when_it_asks_for_stamped_events() {
    let host = host_with(Worker::default(), |def| def).await;
    let worker = host.handle().of::<Worker>();
    // One filter on the value, one on the stamp: both apply.
    let mut events = worker
        .on::<Done>()
        .filter(|done| done.label != "skipped")
        .stamped()
        .filter(|stamped| stamped.correlation_id.as_deref() != Some("b"))
        .stream()
        .await
        .unwrap();
    for (label, correlation) in [
        ("skipped", "a"),
        ("traced", "req-42"),
        ("dropped", "b"),
        ("last", "c"),
    ] {
        worker
            .act("work", job(label))
            .correlation_id(correlation)
            .send::<String>()
            .await
            .unwrap();
    }
    let first: Stamped<Done> = events.recv().await.unwrap();
    assert_eq!(
        first.event,
        Done {
            label: "traced".into()
        }
    );
    assert_eq!(first.correlation_id.as_deref(), Some("req-42"));
    assert_eq!(&*first.service, "worker");
    let second = events.recv().await.unwrap();
    assert_eq!(
        (
            second.event.label.as_str(),
            second.correlation_id.as_deref()
        ),
        ("last", Some("c"))
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_handler_past_its_timeout_is_cancelled() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let service = Worker {
        seen: seen.clone(),
        ..Worker::default()
    };
    let host = host_with(service, |def| def).await;
    let worker = host.handle().of::<Worker>();
    let error = worker
        .act("slow", ())
        .timeout(Duration::from_secs(2))
        .send::<()>()
        .await
        .unwrap_err();
    assert!(matches!(error, ActionError::TimedOut { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "service `worker`, action `slow`: timed out after 2s"
    );
    // Cancelled means dropped, not left running in the background.
    assert_eq!(*seen.lock().unwrap(), ["slow dropped"]);

    // The slot is free again: the next action runs.
    let next: String = worker.act("work", job("next")).send().await.unwrap();
    assert_eq!(next, "next×1");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_fails_its_action_and_nothing_else() {
    let host = host_with(Worker::default(), |def| def).await;
    let worker = host.handle().of::<Worker>();
    let error = worker.act("explode", ()).send::<()>().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `worker`, action `explode`: failed: panicked: handler blew up"
    );
    assert_eq!(
        host.handle().service("worker").unwrap().state(),
        State::Running
    );
    let after: String = worker.act("work", job("after")).send().await.unwrap();
    assert_eq!(after, "after×1");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn failures_are_retried_with_backoff_then_succeed() {
    let worker = Worker {
        failures_left: AtomicU32::new(2),
        ..Worker::default()
    };
    let host = host_with(worker, |def| def).await;
    let began = tokio::time::Instant::now();
    let retry = Retry::times(3)
        .backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(10)).jitter(0.0));
    let result: String = host
        .handle()
        .of::<Worker>()
        .act("flaky", job("eventually"))
        .retry(retry)
        .send()
        .await
        .unwrap();
    assert_eq!(result, "eventually");
    // Two failures: waits of 1 s, then 2 s.
    assert_eq!(began.elapsed(), Duration::from_secs(3));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_dead_letter_and_can_be_retried() {
    let worker = Worker {
        failures_left: AtomicU32::new(3),
        ..Worker::default()
    };
    let host = host_with(worker, |def| def).await;
    let services = host.handle();
    let retry =
        Retry::times(1).backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(1)));
    let error = services
        .of::<Worker>()
        .act("flaky", job("doomed"))
        .retry(retry)
        .send::<String>()
        .await
        .unwrap_err();
    assert!(
        matches!(error, ActionError::DeadLettered { attempts: 2, .. }),
        "{error}"
    );
    let dead = services.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].state, ActionState::DeadLettered);
    assert_eq!(dead[0].error.as_deref(), Some("not yet (2 to go)"));

    // One failure left: the manual retry fails and is dead-lettered again; the
    // next succeeds.
    let id = dead[0].id;
    services.retry_dead_letter(id).await.unwrap();
    let record = settle(&host, id).await;
    assert_eq!(
        (record.state, record.attempts),
        (ActionState::DeadLettered, 3)
    );
    assert_eq!(record.error.as_deref(), Some("not yet (1 to go)"));
    services.retry_dead_letter(id).await.unwrap();
    let record = settle(&host, id).await;
    assert_eq!((record.state, record.attempts), (ActionState::Succeeded, 4));
    let error = services.retry_dead_letter(id).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("action {id} is succeeded, not dead-lettered")
    );
    host.shutdown().await;
}

/// Waits until an action is finished, letting paused time run.
async fn settle(host: &TestHost, id: steward::ActionId) -> steward::ActionRecord {
    for _ in 0..100 {
        let record = host.handle().action(id).await.unwrap();
        if record.state.is_finished() {
            return record;
        }
        host.advance(Duration::from_millis(100)).await;
    }
    panic!("action {id} never finished");
}

#[tokio::test(start_paused = true)]
async fn a_full_mailbox_makes_callers_wait_or_fail_as_they_choose() {
    let gate = Arc::new(Semaphore::new(0));
    let host = host_with(Worker::holding(&gate), |def| def.mailbox(2)).await;
    let worker = host.handle().of::<Worker>();
    // One running, two waiting: the mailbox is full.
    let running = worker.act("work", job("running")).submit().await.unwrap();
    until_state(&host, running, ActionState::Running).await;
    worker.act("work", job("queued-1")).submit().await.unwrap();
    worker.act("work", job("queued-2")).submit().await.unwrap();

    let error = worker
        .act("work", job("refused"))
        .if_full(IfFull::Fail)
        .submit()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `worker`: action queue full (2 waiting)"
    );

    let waiting = tokio::spawn({
        let worker = worker.clone();
        async move { worker.act("work", job("patient")).send::<String>().await }
    });
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished(), "a waiting caller waits for room");
    gate.add_permits(4);
    assert_eq!(waiting.await.unwrap().unwrap(), "patient×1");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn bad_requests_name_the_service_action_and_field() {
    let host = host_with(Worker::default(), |def| def).await;
    let services = host.handle();

    let error = services
        .named("nope")
        .act("work", job("x"))
        .submit()
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "no service named `nope`");

    let error = services
        .named("worker")
        .act("wrok", job("x"))
        .submit()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `worker` has no action `wrok` (it answers: work, flaky, slow, explode)"
    );

    let error = services
        .named("worker")
        .act_json("work", json!({"label": "x", "count": "three"}))
        .submit()
        .await
        .unwrap_err();
    match &error {
        ActionError::BadParameters {
            service,
            action,
            path,
            ..
        } => {
            assert_eq!(
                (service.as_str(), action.as_str(), path.as_str()),
                ("worker", "work", "count")
            );
        }
        other => panic!("expected bad parameters, got {other}"),
    }
    assert!(error.to_string().starts_with("service `worker`, action `work`: bad parameters at `count`: invalid type: string \"three\""), "{error}");

    // A missing field is named by its own path, not its parent's.
    let error = services
        .named("worker")
        .act_json("work", json!({"count": 3}))
        .submit()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `worker`, action `work`: bad parameters at `label`: missing field `label`"
    );

    let error = services
        .of::<String>()
        .act("work", ())
        .submit()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "no service of type `alloc::string::String` is registered"
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn actions_wait_out_a_restart_and_handles_stay_valid() {
    let worker = Worker {
        crash_runs: AtomicU32::new(1),
        ..Worker::default()
    };
    let host = host_with(worker, |def| def).await;
    let handle = host.handle().of::<Worker>();
    // The run crashes after a second; the service backs off, then runs again.
    host.wait_for("worker", State::BackingOff).await.unwrap();
    let sent = tokio::spawn({
        let handle = handle.clone();
        async move { handle.act("work", job("patient")).send::<String>().await }
    });
    host.wait_for("worker", State::Running).await.unwrap();
    assert_eq!(sent.await.unwrap().unwrap(), "patient×1");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_concurrency_lets_handlers_overlap() {
    let gate = Arc::new(Semaphore::new(0));
    let host = host_with(Worker::holding(&gate), |def| def.max_concurrency(2)).await;
    let worker = host.handle().of::<Worker>();
    let mut done = worker.on::<Done>().stream().await.unwrap();
    let mut ids = Vec::new();
    for label in ["a", "b", "c"] {
        ids.push(worker.act("work", job(label)).submit().await.unwrap());
    }
    until_state(&host, ids[1], ActionState::Running).await;
    let info = worker.info().await.unwrap();
    let queue = info.queue.unwrap();
    assert_eq!(
        (queue.depth, queue.capacity),
        (1, 1024),
        "two run, one waits"
    );
    gate.add_permits(3);
    for _ in 0..3 {
        done.recv().await.unwrap();
    }
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_queued_actions_and_then_refuses_new_ones() {
    let (host, gate, seen) = held_worker().await;
    let services = host.handle();
    let worker = services.of::<Worker>();
    for label in ["a", "b", "c"] {
        worker.act("work", job(label)).submit().await.unwrap();
    }
    gate.add_permits(3);
    let report = host.shutdown().await;
    assert_eq!(report.stopped, ["worker"]);
    assert_eq!(*seen.lock().unwrap(), ["a", "b", "c"]);
    let error = worker.act("work", job("late")).submit().await.unwrap_err();
    assert_eq!(error, ActionError::ShuttingDown);
}

#[tokio::test(start_paused = true)]
async fn info_lists_the_actions() {
    let host = host_with(Worker::default(), |def| def).await;
    let info = host.handle().named("worker").info().await.unwrap();
    let names: Vec<_> = info
        .actions
        .iter()
        .map(|action| action.name.as_str())
        .collect();
    assert_eq!(names, ["work", "flaky", "slow", "explode"]);
    assert_eq!(info.actions[0].description, "Does a job");
    assert!(info.actions[0].params.ends_with("Job"));
    assert_eq!(info.max_concurrency, Some(1));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unfinished_actions_in_the_journal_are_replayed_by_the_next_host() {
    let journal = Arc::new(MemoryJournal::new());
    let stuck = Arc::new(Semaphore::new(0));
    let first = TestHost::builder()
        .with(|builder| builder.journal(journal.clone()))
        .config_toml("[host]\ndrain_timeout = \"1s\"\nstop_timeout = \"1s\"")
        .service(continuous("worker", Worker::holding(&stuck)).actions(table()))
        .start()
        .await
        .unwrap();
    first.wait_for("worker", State::Running).await.unwrap();
    let worker = first.handle().of::<Worker>();
    let running = worker.act("work", job("running")).submit().await.unwrap();
    let queued = worker
        .act("work", job("queued"))
        .priority(-1)
        .submit()
        .await
        .unwrap();
    // Neither can finish: the handler waits forever; shutdown gives up on both.
    let report = first.shutdown().await;
    assert_eq!(report.abandoned, ["worker"]);
    let unfinished: Vec<_> = journal
        .unfinished()
        .await
        .unwrap()
        .iter()
        .map(|r| (r.id, r.state))
        .collect();
    assert_eq!(
        unfinished,
        [
            (running, ActionState::Running),
            (queued, ActionState::Queued)
        ]
    );

    let second_worker = Worker::default();
    let seen = second_worker.seen.clone();
    let second = TestHost::builder()
        .with(|builder| builder.journal(journal.clone()))
        .service(continuous("worker", second_worker).actions(table()))
        .start()
        .await
        .unwrap();
    let mut done = second
        .handle()
        .of::<Worker>()
        .on::<Done>()
        .stream()
        .await
        .unwrap();
    for _ in 0..2 {
        done.recv().await.unwrap();
    }
    tokio::task::yield_now().await;
    assert_eq!(*seen.lock().unwrap(), ["running", "queued"]);
    let record = second.handle().action(running).await.unwrap();
    assert_eq!(
        (record.state, record.attempts),
        (ActionState::Succeeded, 2),
        "delivered at least once"
    );
    assert_eq!(record.result, Some(json!("running×1")));
    assert!(journal.unfinished().await.unwrap().is_empty());
    second.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_sequence_sends_each_action_after_the_last_succeeded_and_stops_at_a_failure() {
    let worker = Worker::default();
    let seen = worker.seen.clone();
    let host = host_with(worker, |def| def).await;
    let worker = host.handle().of::<Worker>();
    let results = worker
        .act("work", job("one"))
        .then(worker.act("work", job("two")).priority(-5))
        .send()
        .await
        .unwrap();
    assert_eq!(results, [json!("one×1"), json!("two×1")]);

    let error = worker
        .act("explode", ())
        .then(worker.act("work", job("never")))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, ActionError::Failed { .. }), "{error}");
    assert_eq!(
        *seen.lock().unwrap(),
        ["one", "two"],
        "nothing after the failure"
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_action_sent_before_start_runs_once() {
    let worker = Worker::default();
    let seen = worker.seen.clone();
    let host = TestHost::builder()
        .service(continuous("worker", worker).actions(table()))
        .build()
        .unwrap()
        .0;
    let handle = host.handle();
    let early = tokio::spawn({
        let worker = handle.of::<Worker>();
        async move { worker.act("work", job("early")).send::<String>().await }
    });
    tokio::task::yield_now().await;
    assert!(!early.is_finished(), "it waits for the host to start");
    let running = host.start().await.unwrap();
    assert_eq!(early.await.unwrap().unwrap(), "early×1");
    handle
        .service("worker")
        .unwrap()
        .wait_for(State::Running)
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(*seen.lock().unwrap(), ["early"]);
    running.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn callers_of_actions_left_at_shutdown_hear_they_were_abandoned() {
    let stuck = Arc::new(Semaphore::new(0));
    let host = TestHost::builder()
        .config_toml("[host]\ndrain_timeout = \"1s\"\nstop_timeout = \"1s\"")
        .service(continuous("worker", Worker::holding(&stuck)).actions(table()))
        .start()
        .await
        .unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    let worker = host.handle().of::<Worker>();
    let calls: Vec<_> = ["running", "queued"]
        .into_iter()
        .map(|label| {
            let worker = worker.clone();
            tokio::spawn(async move { worker.act("work", job(label)).send::<String>().await })
        })
        .collect();
    tokio::task::yield_now().await;
    host.shutdown().await;
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert!(matches!(error, ActionError::Abandoned(_)), "{error}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_drain_waits_for_a_retry_in_its_backoff() {
    let worker = Worker {
        failures_left: AtomicU32::new(1),
        ..Worker::default()
    };
    let host = host_with(worker, |def| def).await;
    let retry = Retry::times(1)
        .backoff(Backoff::new(Duration::from_secs(2), Duration::from_secs(2)).jitter(0.0));
    let id = host
        .handle()
        .of::<Worker>()
        .act("flaky", job("later"))
        .retry(retry)
        .submit()
        .await
        .unwrap();
    until_state(&host, id, ActionState::Queued).await;
    let handle = host.handle();
    host.shutdown().await;
    let record = handle.action(id).await.unwrap();
    assert_eq!((record.state, record.attempts), (ActionState::Succeeded, 2));
}

#[tokio::test(start_paused = true)]
async fn a_retry_waiting_out_its_backoff_can_be_cancelled_and_is_not_waited_for() {
    let worker = Worker {
        failures_left: AtomicU32::new(5),
        ..Worker::default()
    };
    let host = host_with(worker, |def| def).await;
    let services = host.handle();
    let worker = services.of::<Worker>();
    let retry = Retry::times(3)
        .backoff(Backoff::new(Duration::from_secs(60), Duration::from_secs(60)).jitter(0.0));
    let id = worker
        .act("flaky", job("x"))
        .retry(retry)
        .submit()
        .await
        .unwrap();
    // The first attempt fails: the action waits a minute for its retry.
    for _ in 0..1000 {
        let record = services.action(id).await.unwrap();
        if record.attempts == 1 && record.error.is_some() {
            break;
        }
        tokio::task::yield_now().await;
    }
    let queue = worker.status().await.unwrap().queue.unwrap();
    assert_eq!((queue.depth, queue.scheduled), (0, 1));

    services.cancel(id).await.unwrap();
    let record = services.action(id).await.unwrap();
    assert_eq!((record.state, record.attempts), (ActionState::Cancelled, 1));
    assert_eq!(worker.status().await.unwrap().queue.unwrap().scheduled, 0);
    // Nothing is left for the drain: shutdown does not sit out the backoff, and
    // the retry never runs.
    let began = tokio::time::Instant::now();
    host.shutdown().await;
    assert!(
        began.elapsed() < Duration::from_secs(60),
        "{:?}",
        began.elapsed()
    );
    let record = services.action(id).await.unwrap();
    assert_eq!((record.state, record.attempts), (ActionState::Cancelled, 1));
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_panics_before_returning_its_future_fails_only_its_action() {
    let table =
        ActionTable::new().action("boom", "Panics at once", |worker: &Worker, _cx, (): ()| {
            assert!(worker.hold.is_some(), "no future for you");
            Box::pin(async { Ok(()) })
        });
    let host = TestHost::builder()
        .service(continuous("worker", Worker::default()).actions(table))
        .start()
        .await
        .unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    let error = host
        .handle()
        .named("worker")
        .act("boom", ())
        .send::<()>()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `worker`, action `boom`: failed: panicked: no future for you"
    );
    tokio::task::yield_now().await;
    assert_eq!(
        host.handle().service("worker").unwrap().state(),
        State::Running
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_queued_action_can_be_cancelled() {
    let (host, gate, seen) = held_worker().await;
    let services = host.handle();
    let worker = services.of::<Worker>();
    let first = worker.act("work", job("first")).submit().await.unwrap();
    until_state(&host, first, ActionState::Running).await;
    let withdrawn = worker.act("work", job("withdrawn")).submit().await.unwrap();
    let kept = worker.act("work", job("kept")).submit().await.unwrap();

    let error = services.cancel(first).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("action {first} is running; only a queued action can be cancelled")
    );
    services.cancel(withdrawn).await.unwrap();
    assert_eq!(
        services.action(withdrawn).await.unwrap().state,
        ActionState::Cancelled
    );
    assert!(services.cancel(withdrawn).await.is_err(), "once is enough");

    gate.add_permits(2);
    until_state(&host, kept, ActionState::Succeeded).await;
    assert_eq!(*seen.lock().unwrap(), ["first", "kept"]);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_action_interrupted_by_a_failed_run_runs_again_after_the_restart() {
    let gate = Arc::new(Semaphore::new(0));
    let worker = Worker {
        crash_runs: AtomicU32::new(1),
        hold: Some(gate.clone()),
        ..Worker::default()
    };
    let seen = worker.seen.clone();
    let host = host_with(worker, |def| def).await;
    let worker = host.handle().of::<Worker>();
    let call = tokio::spawn({
        let worker = worker.clone();
        async move {
            worker
                .act("work", job("interrupted"))
                .send::<String>()
                .await
        }
    });
    // The run crashes after a second while the handler waits at the gate.
    host.wait_for("worker", State::BackingOff).await.unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    gate.add_permits(1);
    assert_eq!(call.await.unwrap().unwrap(), "interrupted×1");
    assert_eq!(
        *seen.lock().unwrap(),
        ["interrupted"],
        "it ran to the end once"
    );
    host.shutdown().await;
}

/// Leaves the first write of an action's end in `state` unfinished for ever.
struct FirstEndHangs {
    state: ActionState,
    hung: AtomicBool,
}

impl FirstEndHangs {
    fn at(state: ActionState) -> Hooked<Self> {
        Hooked::waiting(Self {
            state,
            hung: AtomicBool::new(false),
        })
    }
}

impl UpdateHook for FirstEndHangs {
    fn verdict(&self, change: &ActionChange) -> Verdict {
        if change.state == self.state && !self.hung.swap(true, Ordering::SeqCst) {
            return Verdict::WriteAfter(Box::pin(std::future::pending()));
        }
        Verdict::Write
    }
}

/// Sends `action` to a worker whose first run crashes after a second, on a journal
/// whose first write of an end in `state` never finishes; the caller's answer.
async fn interrupted_while_written(
    worker: Worker,
    state: ActionState,
    action: &'static str,
    label: &'static str,
) -> Result<String, ActionError> {
    worker.crash_runs.store(1, Ordering::SeqCst);
    let host = TestHost::builder()
        .with(|builder| builder.journal(FirstEndHangs::at(state)))
        .service(continuous("worker", worker).actions(table()))
        .start()
        .await
        .unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    let worker = host.handle().of::<Worker>();
    let call = tokio::spawn(async move { worker.act(action, job(label)).send::<String>().await });
    // The attempt ends at once, its end is never written, and the run crashes:
    // the action is put back in line with its caller's reply and runs again
    // after the restart, where its end is written.
    host.wait_for("worker", State::BackingOff).await.unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    let answer = call.await.unwrap();
    host.shutdown().await;
    answer
}

#[tokio::test(start_paused = true)]
async fn an_action_interrupted_while_its_success_is_written_still_answers_its_caller() {
    let worker = Worker::default();
    let seen = worker.seen.clone();
    let answer = interrupted_while_written(worker, ActionState::Succeeded, "work", "twice").await;
    assert_eq!(answer.unwrap(), "twice×1");
    assert_eq!(*seen.lock().unwrap(), ["twice", "twice"], "at least once");
}

#[tokio::test(start_paused = true)]
async fn an_action_interrupted_while_its_failure_is_written_still_answers_its_caller() {
    // The first attempt fails; the one after the restart succeeds.
    let worker = Worker {
        failures_left: AtomicU32::new(1),
        ..Worker::default()
    };
    let answer = interrupted_while_written(worker, ActionState::Failed, "flaky", "second").await;
    assert_eq!(answer.unwrap(), "second");
}

#[tokio::test(start_paused = true)]
async fn configuration_sets_concurrency_and_mailbox_size() {
    let host = TestHost::builder()
        .config_toml("[services.worker]\nmax_concurrency = 3\nmailbox = 16\n")
        .service(continuous("worker", Worker::default()).actions(table()))
        .start()
        .await
        .unwrap();
    let info = host.handle().named("worker").info().await.unwrap();
    assert_eq!(info.max_concurrency, Some(3));
    assert_eq!(info.queue.unwrap().capacity, 16);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn info_shows_the_configuration_a_service_runs_with_wherever_it_was_set() {
    use steward::{Restart, RestartPolicy};

    let host = TestHost::builder()
        .config_toml("[services.worker]\nmax_concurrency = 3\nstop_timeout = \"7s\"\n")
        .service(
            continuous("worker", Worker::default())
                .actions(table())
                .critical()
                .restart(Restart::default().policy(RestartPolicy::Always)),
        )
        .start()
        .await
        .unwrap();
    let config = host.handle().named("worker").info().await.unwrap().config;
    assert_eq!(config["critical"], true, "from code: {config}");
    assert_eq!(config["restart"]["policy"], "always", "from code: {config}");
    assert_eq!(config["max_concurrency"], 3, "from the file: {config}");
    assert_eq!(config["stop_timeout"], "7s", "from the file: {config}");
    assert_eq!(config["mailbox"], 1024, "a default: {config}");
    assert_eq!(config["enabled"], true);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn action_settings_on_a_service_without_actions_are_an_error() {
    let error = TestHost::builder()
        .config_toml("[services.worker]\nmax_concurrency = 3\n[services.other]\nmailbox = 0\n")
        .service(continuous("worker", Worker::default()))
        .service(continuous("other", Worker::default()).actions(table()))
        .start()
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("`services.worker.max_concurrency`: `worker` has no actions"),
        "{message}"
    );
    assert!(
        message.contains("`services.other.mailbox`: must be at least 1"),
        "{message}"
    );
}
