//! The built-in commands of periodic services: trigger, check-queue, process-batch;
//! and `trigger` on a continuous service that answers it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use steward::testing::TestHost;
use steward::{
    ActionError, Context, Continuous, Periodic, ProcessBatch, Result, Schedule, ServiceRef, State,
    continuous, periodic,
};
use tokio::task::JoinHandle;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Ticks hourly; each tick takes `tick_time`. Tracks ticks running at once.
#[derive(Default)]
struct Hourly {
    ticks: Arc<AtomicU32>,
    running: Arc<AtomicU32>,
    most_at_once: Arc<AtomicU32>,
    tick_time: Duration,
    batches: Arc<Mutex<Vec<ProcessBatch>>>,
}

impl Hourly {
    /// Ticks that take `tick_time` each.
    fn taking(tick_time: Duration) -> Self {
        Self {
            tick_time,
            ..Self::default()
        }
    }
}

/// A trigger sent from a task of its own, answered when its tick is done.
fn spawn_trigger(service: &ServiceRef) -> JoinHandle<std::result::Result<(), ActionError>> {
    let service = service.clone();
    tokio::spawn(async move { service.trigger().await })
}

impl Periodic for Hourly {
    fn schedule(&self) -> Schedule {
        Schedule::every(secs(3600))
    }

    async fn tick(&self, _cx: &Context) -> Result {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.tick_time).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.ticks.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn check_queue(&self, _cx: &Context) -> Result<Value> {
        Ok(json!({"waiting": 3}))
    }

    async fn process_batch(&self, _cx: &Context, batch: ProcessBatch) -> Result<Value> {
        self.batches.lock().unwrap().push(batch.clone());
        Ok(json!({"processed": batch.batch_size.unwrap_or(0)}))
    }
}

/// Implements no command.
struct Plain;

impl Periodic for Plain {
    fn schedule(&self) -> Schedule {
        Schedule::every(secs(60))
    }

    async fn tick(&self, _cx: &Context) -> Result {
        Ok(())
    }
}

struct Forever;

impl Continuous for Forever {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// A continuous service that answers `trigger`, failing every second time.
#[derive(Default)]
struct OnRequest {
    triggered: Arc<AtomicU32>,
}

impl Continuous for OnRequest {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }

    async fn trigger(&self, _cx: &Context) -> Result {
        let count = self.triggered.fetch_add(1, Ordering::SeqCst) + 1;
        if count.is_multiple_of(2) {
            return Err(format!("trigger {count} went wrong").into());
        }
        Ok(())
    }
}

async fn host(hourly: Hourly) -> TestHost {
    let host = TestHost::builder()
        .service(periodic("hourly", hourly))
        .service(periodic("plain", Plain))
        .service(continuous("forever", Forever))
        .start()
        .await
        .unwrap();
    for name in ["hourly", "plain", "forever"] {
        host.wait_for(name, State::Running).await.unwrap();
    }
    host
}

#[tokio::test(start_paused = true)]
async fn trigger_ticks_now_and_leaves_the_schedule_alone() {
    let hourly = Hourly::default();
    let ticks = hourly.ticks.clone();
    let host = host(hourly).await;
    let service = host.handle().named("hourly");
    host.advance(secs(600)).await;
    let next_before = service.status().await.unwrap().runs.unwrap().next_run;

    service.trigger().await.unwrap();
    assert_eq!(ticks.load(Ordering::SeqCst), 1, "one tick, at once");
    let runs = service.status().await.unwrap().runs.unwrap();
    assert_eq!(
        runs.next_run, next_before,
        "the scheduled tick stays where it was"
    );
    assert_eq!(
        runs.last_run.unwrap(),
        host.started_at() + chrono::Duration::seconds(600)
    );

    host.advance(secs(3001)).await;
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        2,
        "and the scheduled one still comes"
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn triggers_during_a_tick_wait_for_it_and_share_the_next() {
    let hourly = Hourly::taking(secs(10));
    let (ticks, most) = (hourly.ticks.clone(), hourly.most_at_once.clone());
    let host = host(hourly).await;
    let service = host.handle().named("hourly");
    let first = spawn_trigger(&service);
    host.advance(secs(1)).await;
    // The first triggered tick is running: these two wait, then share one tick.
    let (second, third) = tokio::join!(service.trigger(), service.trigger());
    first.await.unwrap().unwrap();
    second.unwrap();
    third.unwrap();
    assert_eq!(ticks.load(Ordering::SeqCst), 2);
    assert_eq!(most.load(Ordering::SeqCst), 1, "ticks never overlap");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn check_queue_and_process_batch_reach_the_service() {
    let hourly = Hourly::default();
    let batches = hourly.batches.clone();
    let host = host(hourly).await;
    let service = host.handle().named("hourly");
    assert_eq!(service.check_queue().await.unwrap(), json!({"waiting": 3}));
    let done = service
        .process_batch(ProcessBatch::of(50).filter("cam1"))
        .await
        .unwrap();
    assert_eq!(done, json!({"processed": 50}));
    let by_name = service
        .command("process-batch", json!({"batch_size": 7}))
        .await
        .unwrap();
    assert_eq!(by_name, json!({"processed": 7}));
    assert_eq!(
        *batches.lock().unwrap(),
        [ProcessBatch::of(50).filter("cam1"), ProcessBatch::of(7)]
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn commands_a_service_cannot_answer_say_so() {
    let host = host(Hourly::default()).await;
    let services = host.handle();

    let error = services.named("plain").check_queue().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `plain` does not answer `check-queue`: the service does not implement it"
    );
    let error = services.named("forever").trigger().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `forever` does not answer `trigger`: it is a continuous service that does not implement it"
    );
    let error = services
        .named("hourly")
        .command("process-batch", json!({"batch_size": "ten"}))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ActionError::BadParameters { path, .. } if path == "batch_size"),
        "{error}"
    );
    let error = services
        .named("hourly")
        .command("reboot", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `hourly` has no action `reboot` (it answers: trigger, check-queue, process-batch)"
    );

    services.service("hourly").unwrap().stop().await.unwrap();
    let error = services.named("hourly").trigger().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `hourly` is stopped; `trigger` needs it running"
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn triggers_during_a_scheduled_tick_share_one_tick_and_nothing_more() {
    let hourly = Hourly::taking(secs(10));
    let ticks = hourly.ticks.clone();
    let host = host(hourly).await;
    let service = host.handle().named("hourly");
    // The scheduled tick at one hour runs for ten seconds.
    host.advance(secs(3601)).await;
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        0,
        "still in the scheduled tick"
    );
    let (first, second) = tokio::join!(service.trigger(), service.trigger());
    first.unwrap();
    second.unwrap();
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        2,
        "the scheduled tick, then one for both"
    );
    host.advance(secs(600)).await;
    assert_eq!(ticks.load(Ordering::SeqCst), 2, "and no extra tick later");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_trigger_waiting_when_the_service_stops_is_told_so() {
    let hourly = Hourly::taking(secs(10));
    let host = host(hourly).await;
    let service = host.handle().named("hourly");
    let first = spawn_trigger(&service);
    host.advance(secs(1)).await;
    let waiting = spawn_trigger(&service);
    host.advance(secs(1)).await;
    host.handle()
        .service("hourly")
        .unwrap()
        .stop()
        .await
        .unwrap();
    // The running tick was cancelled with its service; neither trigger hangs.
    let _ = first.await.unwrap();
    let error = waiting.await.unwrap().unwrap_err();
    assert!(matches!(error, ActionError::NotRunning { .. }), "{error}");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_continuous_service_answers_trigger_through_its_own_hook() {
    let on_request = OnRequest::default();
    let triggered = on_request.triggered.clone();
    let host = TestHost::builder()
        .service(continuous("on-request", on_request))
        .start()
        .await
        .unwrap();
    host.wait_for("on-request", State::Running).await.unwrap();
    let service = host.handle().named("on-request");

    service.trigger().await.unwrap();
    assert_eq!(triggered.load(Ordering::SeqCst), 1);
    let error = service.command("trigger", Value::Null).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `on-request`, action `trigger`: failed: trigger 2 went wrong"
    );
    let error = service.check_queue().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `on-request` does not answer `check-queue`: it is a continuous service; commands are for periodic ones"
    );

    host.handle()
        .service("on-request")
        .unwrap()
        .stop()
        .await
        .unwrap();
    let error = service.trigger().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "service `on-request` is stopped; `trigger` needs it running"
    );
    assert_eq!(
        triggered.load(Ordering::SeqCst),
        2,
        "not called when stopped"
    );
    host.shutdown().await;
}
