//! Edge cases of supervision and control: abandoned stops, attempts, observers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use common::{Log, Probe, Stubborn, secs};
use steward::testing::TestHost;
use steward::{
    Backoff, Context, Continuous, ControlError, Health, HealthStatus, Host, HostError, Restart,
    Result, Schedule, State, continuous, periodic, startup,
};

#[tokio::test(start_paused = true)]
async fn a_service_abandoned_by_stop_can_be_started_again() {
    let host = TestHost::builder()
        .service(continuous("stubborn", Stubborn).stop_timeout(secs(1)))
        .start()
        .await
        .unwrap();
    let stubborn = host.handle().service("stubborn").unwrap();
    stubborn.wait_for(State::Running).await;
    stubborn.restart().await.unwrap();
    stubborn.wait_for(State::Running).await;
    assert_eq!(
        host.states("stubborn"),
        [
            State::Starting,
            State::Running,
            State::Stopping,
            State::Stopped,
            State::Pending,
            State::Starting,
            State::Running
        ]
    );
    host.shutdown().await;
}

/// Fails after spawning a helper with `cx.child_token()`; counts helpers alive.
struct SpawnsHelpers {
    alive: Arc<AtomicU32>,
}

impl Continuous for SpawnsHelpers {
    async fn run(&self, cx: &Context) -> Result {
        let token = cx.child_token();
        let alive = self.alive.clone();
        alive.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            token.cancelled().await;
            alive.fetch_sub(1, Ordering::SeqCst);
        });
        tokio::time::sleep(secs(1)).await;
        Err("lost the device".into())
    }
}

#[tokio::test(start_paused = true)]
async fn helpers_of_a_failed_attempt_end_with_it() {
    let alive = Arc::new(AtomicU32::new(0));
    let restart = Restart::default().backoff(Backoff::new(secs(1), secs(1)).jitter(0.0));
    let host = TestHost::builder()
        .service(
            continuous(
                "device",
                SpawnsHelpers {
                    alive: alive.clone(),
                },
            )
            .restart(restart),
        )
        .start()
        .await
        .unwrap();
    host.advance(secs(5)).await;
    let restarts = host.handle().service("device").unwrap().status().restarts;
    assert!(restarts >= 2, "{restarts}");
    assert!(
        alive.load(Ordering::SeqCst) <= 1,
        "helpers of ended attempts still run"
    );
    host.shutdown().await;
    tokio::task::yield_now().await;
    assert_eq!(alive.load(Ordering::SeqCst), 0);
}

/// Reports unhealthy, then fails; the next attempt has not reported anything.
struct ReportsThenFails {
    first: AtomicBool,
}

impl Continuous for ReportsThenFails {
    async fn run(&self, cx: &Context) -> Result {
        if self.first.swap(false, Ordering::SeqCst) {
            cx.set_health(Health::unhealthy("database down"));
            return Err("database down".into());
        }
        cx.cancelled().await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_restart_forgets_the_health_the_last_attempt_reported() {
    let service = ReportsThenFails {
        first: AtomicBool::new(true),
    };
    let host = TestHost::builder()
        .service(continuous("db", service))
        .start()
        .await
        .unwrap();
    host.advance(secs(5)).await;
    let db = host.handle().service("db").unwrap();
    assert_eq!(db.state(), State::Running);
    assert_eq!(db.health().status, HealthStatus::Healthy);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_observer_does_not_stop_the_service() {
    let log = Log::default();
    let host = TestHost::builder()
        .with(|builder| {
            builder.on_transition(|transition| {
                assert_ne!(transition.to, State::Running, "observer bug");
            })
        })
        .service(continuous("worker", Probe::new("worker", &log)))
        .start()
        .await
        .unwrap();
    host.wait_for("worker", State::Running).await.unwrap();
    host.advance(secs(1)).await;
    assert_eq!(log.entries(), ["start:worker"]);
    let report = host.shutdown().await;
    assert_eq!(report.stopped, ["worker"]);
}

#[tokio::test(start_paused = true)]
async fn control_is_refused_before_the_host_has_started() {
    let log = Log::default();
    let host = Host::builder()
        .env_prefix(None)
        .service(continuous("worker", Probe::new("worker", &log)))
        .build()
        .unwrap();
    let worker = host.handle().service("worker").unwrap();
    assert_eq!(worker.start().await, Err(ControlError::NotStarted));
    assert!(log.entries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_service_name_must_fit_keys_and_urls() {
    for name in ["", "a.b", "with space"] {
        let log = Log::default();
        let error = Host::builder()
            .env_prefix(None)
            .service(continuous(name, Probe::new("x", &log)))
            .build()
            .err()
            .unwrap();
        let HostError::Config(errors) = error else {
            panic!("expected a config error for {name:?}");
        };
        assert_eq!(errors.0.len(), 1, "{errors}");
    }
}

#[tokio::test(start_paused = true)]
async fn code_options_on_the_wrong_kind_are_refused() {
    let log = Log::default();
    let error = Host::builder()
        .env_prefix(None)
        .service(continuous("db", Probe::new("db", &log)))
        .service(startup("migrate", common::Step::ok("migrate", &log)).depends_on(["db"]))
        .service(continuous("api", Probe::new("api", &log)).schedule(Schedule::every(secs(1))))
        .build()
        .err()
        .unwrap();
    let text = error.to_string();
    assert!(
        text.contains("`services.migrate.depends_on`: startup services run one by one"),
        "{text}"
    );
    assert!(
        text.contains("`services.api.schedule`: only periodic services have a schedule"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cron_that_never_fires_and_a_zero_window_are_refused() {
    let ticker = common::Ticker::new(Schedule::cron("0 0 30 2 *").unwrap());
    let log = Log::default();
    let error = Host::builder()
        .env_prefix(None)
        .service(periodic("never", ticker))
        .service(
            continuous("spin", Probe::new("spin", &log))
                .restart(Restart::default().intensity(3, secs(0))),
        )
        .build()
        .err()
        .unwrap();
    let text = error.to_string();
    assert!(
        text.contains("`services.never.schedule`: this cron expression matches no future time"),
        "{text}"
    );
    assert!(
        text.contains("`services.spin`: the restart window must be longer than zero"),
        "{text}"
    );
}
