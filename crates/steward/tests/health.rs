//! Health: what services report, what their state implies, what the host aggregates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Crasher, Log, Probe, Ticker, secs};
use steward::testing::TestHost;
use steward::{
    Context, Continuous, Health, HealthStatus, Restart, RestartPolicy, Result, Schedule, State,
    continuous, periodic,
};

fn give_up_at_once() -> Restart {
    Restart::default().policy(RestartPolicy::Never)
}

#[tokio::test(start_paused = true)]
async fn the_host_is_ready_once_critical_services_run() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("db", Probe::new("db", &log).slow_start(secs(10))).critical())
        .start()
        .await
        .unwrap();
    let handle = host.handle();
    assert!(
        !handle.health().ready,
        "not ready while the critical db starts"
    );
    assert!(handle.health().live);
    host.wait_for("db", State::Running).await.unwrap();
    let health = handle.health();
    assert!(health.ready);
    assert_eq!(health.status, HealthStatus::Healthy);
    host.shutdown().await;
    assert!(!handle.health().live);
    assert!(!handle.health().ready);
}

#[tokio::test(start_paused = true)]
async fn a_failed_critical_service_makes_the_host_not_ready_and_unhealthy() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(
            continuous("db", Crasher::default())
                .critical()
                .restart(give_up_at_once()),
        )
        .service(continuous("api", Probe::new("api", &log)))
        .start()
        .await
        .unwrap();
    host.wait_for("db", State::Failed).await.unwrap();
    host.wait_for("api", State::Running).await.unwrap();
    let health = host.handle().health();
    assert!(!health.ready);
    assert_eq!(health.status, HealthStatus::Unhealthy);
    let db = health.services.iter().find(|s| s.name == "db").unwrap();
    assert_eq!(db.health.status, HealthStatus::Unhealthy);
    assert_eq!(db.health.message.as_deref(), Some("failed: panicked: boom"));
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_ordinary_service_only_degrades_the_host() {
    let host = TestHost::builder()
        .service(continuous("thumbnails", Crasher::default()).restart(give_up_at_once()))
        .start()
        .await
        .unwrap();
    host.wait_for("thumbnails", State::Failed).await.unwrap();
    let health = host.handle().health();
    assert!(health.ready);
    assert_eq!(health.status, HealthStatus::Degraded);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_service_waiting_on_a_failed_ordinary_dependency_does_not_hold_readiness() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("thumbnails", Crasher::default()).restart(give_up_at_once()))
        .service(continuous("gallery", Probe::new("gallery", &log)).depends_on(["thumbnails"]))
        .start()
        .await
        .unwrap();
    host.wait_for("thumbnails", State::Failed).await.unwrap();
    host.advance(secs(60)).await;
    let gallery = host.handle().service("gallery").unwrap().state();
    assert_eq!(gallery, State::Pending, "it waits for its dependency");
    let health = host.handle().health();
    assert!(health.ready, "nothing critical is down: {health:?}");
    assert_eq!(health.status, HealthStatus::Degraded);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_critical_service_waiting_on_a_failed_dependency_keeps_the_host_not_ready() {
    let log = Log::default();
    let host = TestHost::builder()
        .service(continuous("thumbnails", Crasher::default()).restart(give_up_at_once()))
        .service(
            continuous("gallery", Probe::new("gallery", &log))
                .depends_on(["thumbnails"])
                .critical(),
        )
        .start()
        .await
        .unwrap();
    host.wait_for("thumbnails", State::Failed).await.unwrap();
    host.advance(secs(60)).await;
    assert!(!host.handle().health().ready);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_backing_off_service_is_unhealthy() {
    let host = TestHost::builder()
        .service(continuous("flaky", Crasher::default()))
        .start()
        .await
        .unwrap();
    host.wait_for("flaky", State::BackingOff).await.unwrap();
    let health = host.handle().service("flaky").unwrap().health();
    assert_eq!(health.status, HealthStatus::Unhealthy);
    assert_eq!(
        health.message.as_deref(),
        Some("restarting after: panicked: boom")
    );
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn critical_failure_can_shut_the_host_down() {
    let host = TestHost::builder()
        .service(
            continuous("db", Crasher::default())
                .critical()
                .restart(give_up_at_once()),
        )
        .config_toml("[host]\nshutdown_on_critical_failure = true\n")
        .start()
        .await
        .unwrap();
    let handle = host.handle();
    tokio::time::timeout(secs(60), handle.shutdown_requested())
        .await
        .expect("the critical failure asks for a shutdown");
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn without_the_option_a_critical_failure_does_not_stop_the_host() {
    let host = TestHost::builder()
        .service(
            continuous("db", Crasher::default())
                .critical()
                .restart(give_up_at_once()),
        )
        .start()
        .await
        .unwrap();
    host.wait_for("db", State::Failed).await.unwrap();
    host.advance(secs(60)).await;
    assert!(!host.handle().is_shutdown_requested());
    host.shutdown().await;
}

struct Reporter;

impl Continuous for Reporter {
    async fn run(&self, cx: &Context) -> Result {
        cx.set_health(
            Health::degraded("GPU not found; using the CPU").with_detail("device", "cpu"),
        );
        tokio::time::sleep(secs(10)).await;
        cx.set_health(Health::unhealthy("CPU overloaded"));
        cx.cancelled().await;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn services_report_their_own_health() {
    let host = TestHost::builder()
        .service(continuous("detector", Reporter).critical())
        .start()
        .await
        .unwrap();
    host.advance(secs(1)).await;
    let handle = host.handle();
    let health = handle.service("detector").unwrap().health();
    assert_eq!(health.status, HealthStatus::Degraded);
    assert_eq!(health.details["device"], "cpu");
    assert_eq!(handle.health().status, HealthStatus::Degraded);
    assert!(handle.health().ready, "degraded is still ready");

    host.advance(secs(10)).await;
    assert_eq!(handle.health().status, HealthStatus::Unhealthy);
    host.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_tick_degrades_until_a_tick_succeeds() {
    let mut ticker = Ticker::new(Schedule::every(secs(10)));
    ticker.fail_on = vec![2];
    let host = TestHost::builder()
        .service(periodic("report", ticker))
        .start()
        .await
        .unwrap();
    let report = host.handle().service("report").unwrap();
    host.advance(secs(21)).await;
    let health = report.health();
    assert_eq!(health.status, HealthStatus::Degraded);
    assert_eq!(
        health.message.as_deref(),
        Some("last tick failed: tick 2 failed")
    );
    assert_eq!(
        report.state(),
        State::Running,
        "a failed tick does not restart"
    );

    host.advance(secs(10)).await;
    assert_eq!(report.health().status, HealthStatus::Healthy);
    host.shutdown().await;
}

/// A service that idles until stopped.
struct Idle;

impl Continuous for Idle {
    async fn run(&self, cx: &Context) -> Result {
        cx.cancelled().await;
        Ok(())
    }
}

/// The critical service fails on another worker while the host is still
/// launching the thousands after it: the shutdown it asks for must not be lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_failure_during_start_up_still_shuts_the_host_down() {
    let mut builder = TestHost::builder()
        .service(
            continuous("db", Crasher::default())
                .critical()
                .restart(give_up_at_once()),
        )
        .config_toml("[host]\nshutdown_on_critical_failure = true\n");
    for index in 0..30_000 {
        builder = builder.service(continuous(format!("idle-{index}"), Idle).order(1));
    }
    let host = builder.start().await.unwrap();
    let handle = host.handle();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        handle.shutdown_requested(),
    )
    .await
    .expect("the critical failure asks for a shutdown");
    host.shutdown().await;
}
