//! A caller that waits for its action's result starts it in its own task when the
//! service is idle: `max_concurrency` still holds, a caller that stops waiting
//! does not interrupt the action, and a stop waits for it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::journals::{Hooked, UpdateHook, Verdict};
use common::records::until_state;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steward::testing::TestHost;
use steward::{
    ActionChange, ActionId, ActionState, ActionTable, Context, Continuous, Result, State,
    continuous,
};
use tokio::sync::Semaphore;

/// What the handlers did, shared with the test.
struct Counts {
    now: AtomicUsize,
    most: AtomicUsize,
    done: AtomicUsize,
    gate: Semaphore,
    ids: Mutex<Vec<ActionId>>,
}

impl Default for Counts {
    fn default() -> Self {
        Self {
            now: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            gate: Semaphore::new(0),
            ids: Mutex::new(Vec::new()),
        }
    }
}

impl Counts {
    fn ids(&self) -> Vec<ActionId> {
        self.ids.lock().unwrap().clone()
    }
}

/// Its action `wait` counts itself running and waits for the gate; `task` names
/// the task it runs in.
struct Counted(Arc<Counts>);

impl Counted {
    async fn wait(&self, cx: &Context) -> Result<()> {
        let counts = &self.0;
        counts.ids.lock().unwrap().extend(cx.action_id());
        let now = counts.now.fetch_add(1, Ordering::SeqCst) + 1;
        counts.most.fetch_max(now, Ordering::SeqCst);
        counts.gate.acquire().await?.forget();
        counts.now.fetch_sub(1, Ordering::SeqCst);
        counts.done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl Continuous for Counted {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

fn table() -> ActionTable<Counted> {
    ActionTable::new()
        .action("wait", "Waits for the gate", |svc: &Counted, cx, (): ()| {
            Box::pin(svc.wait(cx))
        })
        .action(
            "task",
            "Names the task it runs in",
            |_: &Counted, _, (): ()| {
                Box::pin(async { Ok(tokio::task::try_id().map(|id| id.to_string())) })
            },
        )
}

async fn host(counts: &Arc<Counts>, max_concurrency: usize) -> TestHost {
    let def = continuous("counted", Counted(counts.clone()))
        .actions(table())
        .max_concurrency(max_concurrency);
    let host = TestHost::builder().service(def).start().await.unwrap();
    host.wait_for("counted", State::Running).await.unwrap();
    host
}

/// Lets the host work until `done` holds (no time passes).
async fn until(done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never got there");
}

#[tokio::test(start_paused = true)]
async fn a_caller_starts_an_idle_services_action_in_its_own_task_and_a_submitted_one_does_not() {
    let service = Arc::new(Counts::default());
    let host = host(&service, 4).await;
    let counted = host.handle().named("counted");

    let caller = counted.clone();
    let (mine, ran_in) = tokio::spawn(async move {
        let ran_in: Option<String> = caller.act("task", ()).send().await.unwrap();
        (tokio::task::id().to_string(), ran_in)
    })
    .await
    .unwrap();
    assert_eq!(ran_in.as_deref(), Some(mine.as_str()));

    // Submitted, it is the service's task that runs it.
    let (mine, id) = {
        let caller = counted.clone();
        tokio::spawn(async move {
            let id = caller.act("task", ()).submit().await.unwrap();
            (tokio::task::id().to_string(), id)
        })
        .await
        .unwrap()
    };
    let record = until_state(&host, id, ActionState::Succeeded).await;
    let ran_in = record.result.unwrap();
    assert!(ran_in.is_string(), "{ran_in}");
    assert_ne!(ran_in.as_str(), Some(mine.as_str()));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn callers_starting_actions_themselves_keep_to_max_concurrency() {
    let service = Arc::new(Counts::default());
    let host = host(&service, 2).await;
    let counted = host.handle().named("counted");

    let callers: Vec<_> = (0..10)
        .map(|_| {
            let counted = counted.clone();
            tokio::spawn(async move { counted.act("wait", ()).send::<()>().await })
        })
        .collect();
    until(|| service.now.load(Ordering::SeqCst) == 2).await;
    // The other eight wait in the mailbox.
    let queued = || {
        let status = host.handle().service("counted").unwrap().status();
        status.queue.is_some_and(|queue| queue.depth == 8)
    };
    until(queued).await;
    service.gate.add_permits(10);
    for caller in callers {
        caller.await.unwrap().unwrap();
    }
    assert_eq!(service.done.load(Ordering::SeqCst), 10);
    assert_eq!(service.most.load(Ordering::SeqCst), 2);
    host.shutdown().await;
}

/// A host whose one caller's `wait` action has started and waits for the gate.
async fn one_waiting() -> (
    Arc<Counts>,
    TestHost,
    tokio::task::JoinHandle<std::result::Result<(), steward::ActionError>>,
) {
    let service = Arc::new(Counts::default());
    let host = host(&service, 4).await;
    let counted = host.handle().named("counted");
    let caller = tokio::spawn(async move { counted.act("wait", ()).send::<()>().await });
    until(|| service.now.load(Ordering::SeqCst) == 1).await;
    (service, host, caller)
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_stops_waiting_does_not_interrupt_its_action() {
    let (service, host, caller) = one_waiting().await;
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());

    service.gate.add_permits(1);
    let id = service.ids()[0];
    let record = until_state(&host, id, ActionState::Succeeded).await;
    assert_eq!(record.attempts, 1);
    assert_eq!(service.done.load(Ordering::SeqCst), 1);
    assert_eq!(service.ids().len(), 1, "it ran once");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_stop_waits_for_an_action_its_caller_started() {
    let (service, host, caller) = one_waiting().await;
    let opener = service.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        opener.gate.add_permits(1);
    });
    let report = host.shutdown().await;
    assert_eq!(report.stopped, ["counted"]);
    assert!(report.abandoned.is_empty(), "{report:?}");
    assert_eq!(service.done.load(Ordering::SeqCst), 1);
    caller.await.unwrap().unwrap();
}

/// Callers on several threads, each starting actions itself or queueing them when
/// the one slot is taken: every action runs, none waits for a wake that never
/// comes (a slot given back by a caller must wake the service's task).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_runs_when_callers_and_the_mailbox_share_one_slot() {
    let service = Arc::new(Counts::default());
    let host = host(&service, 1).await;
    let counted = host.handle().named("counted");
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let counted = counted.clone();
            tokio::spawn(async move {
                for _ in 0..2_000 {
                    let _: Option<String> = counted.act("task", ()).send().await.unwrap();
                }
            })
        })
        .collect();
    let all = async {
        for caller in callers {
            caller.await.unwrap();
        }
    };
    // A lost wake leaves a queued action waiting for ever: the bound only turns
    // that into a failure.
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("an action was never run");
    assert_eq!(
        service.most.load(Ordering::SeqCst),
        0,
        "`task` takes no count"
    );
    host.shutdown().await;
}

/// Holds back every write of an action's success until its gate opens.
struct LateSuccess(Arc<Semaphore>);

impl UpdateHook for LateSuccess {
    fn verdict(&self, change: &ActionChange) -> Verdict {
        if change.state != ActionState::Succeeded {
            return Verdict::Write;
        }
        let gate = self.0.clone();
        Verdict::WriteAfter(Box::pin(async move {
            let _ = gate.acquire().await;
        }))
    }
}

/// A caller that starts its action in its own task, on a journal that claims to
/// answer at once but is slow to write the success, hears the answer once it is
/// written, not before (the attempt goes on in the service's task meanwhile).
#[tokio::test(start_paused = true)]
async fn a_caller_hears_a_success_written_after_its_poll() {
    let gate = Arc::new(Semaphore::new(0));
    // It claims to answer at once, so callers start actions themselves.
    let journal = Hooked::immediate(LateSuccess(gate.clone()));
    let def = continuous("counted", Counted(Arc::new(Counts::default()))).actions(table());
    let host = TestHost::builder()
        .with(|builder| builder.journal(journal))
        .service(def)
        .start()
        .await
        .unwrap();
    host.wait_for("counted", State::Running).await.unwrap();
    let counted = host.handle().named("counted");
    let mut caller = tokio::spawn(async move {
        let ran_in: Option<String> = counted.act("task", ()).send().await?;
        Ok::<_, steward::ActionError>((tokio::task::id().to_string(), ran_in))
    });
    let (mine, ran_in) = tokio::select! {
        answer = &mut caller => panic!("answered before its success was written: {answer:?}"),
        () = tokio::time::sleep(Duration::from_secs(1)) => {
            gate.add_permits(1);
            caller.await.unwrap().unwrap()
        }
    };
    assert_eq!(
        ran_in.as_deref(),
        Some(mine.as_str()),
        "it started in the caller's task"
    );
    host.shutdown().await;
}

/// What another task on the caller's thread saw of `sent`, spawned as `calls`
/// actions that end at once are sent (or submitted) one after another.
async fn seen_beside(counted: &steward::ServiceRef, calls: usize, submit: bool) -> usize {
    let sent = Arc::new(AtomicUsize::new(0));
    let seen = tokio::spawn({
        let sent = sent.clone();
        async move { sent.load(Ordering::SeqCst) }
    });
    for _ in 0..calls {
        if submit {
            counted.act("task", ()).submit().await.unwrap();
        } else {
            let _: Option<String> = counted.act("task", ()).send().await.unwrap();
        }
        sent.fetch_add(1, Ordering::SeqCst);
    }
    seen.await.unwrap()
}

/// Actions its caller starts and that end at once never make that caller wait,
/// yet a task sending them in a loop still lets the other tasks on its thread run.
#[tokio::test(start_paused = true)]
async fn a_caller_sending_in_a_loop_lets_other_tasks_run() {
    let service = Arc::new(Counts::default());
    let host = host(&service, 4).await;
    let counted = host.handle().named("counted");
    // It ran while the loop went on, not only once the loop was done.
    assert!(seen_beside(&counted, 1_000, false).await < 1_000);
    assert!(seen_beside(&counted, 1_000, true).await < 1_000);
    host.shutdown().await;
}
